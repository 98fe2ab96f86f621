package cregistest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
)

// These tests drive the fake through the real client, as every later test
// will.

func clientRequest(id string) cregis.PayoutRequest {
	return cregis.PayoutRequest{Currency: "195@TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", ToAddress: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS",
		Amount: "12.345678", ThirdPartyID: id, Remark: "invoice 7"}
}

func TestTheClientCreatesAndFollowsAPayout(t *testing.T) {
	s, clock := newClocked(t)
	c := s.Client()
	ctx := context.Background()
	cid, err := c.Payout(ctx, clientRequest("client-1"))
	if err != nil || cid <= 1<<53 {
		t.Fatalf("Payout = %d, %v; want a cid above 2^53", cid, err)
	}
	if p, _ := s.PayoutByThirdPartyID("client-1"); p.CID != cid {
		t.Fatalf("the client's cid %d is not the fake's %d: it lost precision", cid, p.CID)
	}
	t.Run("ARetryIsADuplicate", func(t *testing.T) {
		if _, err := c.Payout(ctx, clientRequest("client-1")); !errors.Is(err, cregis.ErrDuplicateThirdPartyID) {
			t.Errorf("retry = %v, want ErrDuplicateThirdPartyID", err)
		}
	})
	t.Run("BothQueriesReportTheSamePayout", func(t *testing.T) {
		clock.Advance(3 * dwell)
		a, errA := c.SubAddressWithdrawalInfo(ctx, cid)
		b, errB := c.PayoutQuery(ctx, cid)
		if errA != nil || errB != nil {
			t.Fatalf("queries: %v, %v", errA, errB)
		}
		if *a != *b || a.Status != cregis.StatusSucceeded || a.ToAddress != "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS" || a.PID != s.PID || a.TxID == "" {
			t.Errorf("info %+v\nquery %+v\nwant equal, succeeded, with the recipient, pid and txid", a, b)
		}
	})
}

func TestTheClientSeesTheFakesErrorsAsFacts(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		desc   string
		inject func(*cregistest.Server)
		req    cregis.PayoutRequest
		check  func(error) bool
	}{
		{"too many decimals is ErrAmountPrecision", nil, with1(clientRequest("e1"), func(r *cregis.PayoutRequest) { r.Amount = "1.1234567" }),
			func(err error) bool { return errors.Is(err, cregis.ErrAmountPrecision) && cregis.NotApplied(err) }},
		{"an unsupported coin is ErrUnsupportedCoin", nil, with1(clientRequest("e2"), func(r *cregis.PayoutRequest) { r.Currency = "1@1" }),
			func(err error) bool { return errors.Is(err, cregis.ErrUnsupportedCoin) }},
		{"a memo on TRC20 is ErrInvalidMemo", nil, with1(clientRequest("e3"), func(r *cregis.PayoutRequest) { r.Memo = "1" }),
			func(err error) bool { return errors.Is(err, cregis.ErrInvalidMemo) }},
		{"a signature storm is ErrSignature", func(s *cregistest.Server) { s.SetErrorStorm("B0001") }, clientRequest("e4"),
			func(err error) bool { return errors.Is(err, cregis.ErrSignature) }},
		{"a 502 before applying leaves the outcome unknown", func(s *cregistest.Server) { s.FailCreatesBeforeApply(1, cregistest.FaultBadGateway) }, clientRequest("e5"),
			func(err error) bool {
				var he *cregis.HTTPError
				return errors.As(err, &he) && he.StatusCode == 502 && cregis.OutcomeUnknown(err)
			}},
		{"a reset leaves the outcome unknown", func(s *cregistest.Server) { s.FailCreatesBeforeApply(1, cregistest.FaultReset) }, clientRequest("e6"),
			func(err error) bool { return cregis.OutcomeUnknown(err) }},
		{"an HTML answer leaves the outcome unknown", func(s *cregistest.Server) { s.FailCreatesAfterApply(1, cregistest.FaultHTML) }, clientRequest("e7"),
			func(err error) bool {
				var he *cregis.HTTPError
				return errors.As(err, &he) && cregis.OutcomeUnknown(err)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			s := cregistest.NewServer(t)
			if tc.inject != nil {
				tc.inject(s)
			}
			if _, err := s.Client().Payout(ctx, tc.req); !tc.check(err) {
				t.Errorf("Payout error = %v (%T), not the fact expected", err, err)
			}
		})
	}
}

func TestAHungCreateIsSettledByRetryingTheSameID(t *testing.T) {
	s := cregistest.NewServer(t)
	s.FailCreatesAfterApply(1, cregistest.FaultHang)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := s.Client().Payout(ctx, clientRequest("hung"))
	if !errors.Is(err, context.DeadlineExceeded) || !cregis.OutcomeUnknown(err) {
		t.Fatalf("Payout = %v, want the deadline with the outcome unknown", err)
	}
	if _, err := s.Client().Payout(context.Background(), clientRequest("hung")); !errors.Is(err, cregis.ErrDuplicateThirdPartyID) {
		t.Errorf("retry = %v, want ErrDuplicateThirdPartyID: the hung create had landed", err)
	}
}

func TestTheClientUsesTheOtherEndpoints(t *testing.T) {
	s := cregistest.NewServer(t, cregistest.WithQueryMode(cregistest.QueryInfoOnly))
	c, ctx := s.Client(), context.Background()
	t.Run("SubAddressWithdrawal", func(t *testing.T) {
		cid, err := c.SubAddressWithdrawal(ctx, cregis.SubAddressWithdrawalRequest{Currency: "144@144", FromAddress: "rqkVSVbsatX3mXAc64g9wTihrmoLwpiuB",
			ToAddress: "rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc", Amount: "1.1", ThirdPartyID: "sub", Memo: "123"})
		if err != nil {
			t.Fatal(err)
		}
		info, err := c.SubAddressWithdrawalInfo(ctx, cid)
		if err != nil || info.FromAddress != "rqkVSVbsatX3mXAc64g9wTihrmoLwpiuB" || info.Memo != "123" || info.Currency != "XRP" {
			t.Errorf("info = %+v, %v; want the sub-address, memo and coin name", info, err)
		}
	})
	t.Run("PayoutQueryIsOrderNotFoundInInfoMode", func(t *testing.T) {
		cid, _ := c.Payout(ctx, clientRequest("info-only"))
		if _, err := c.PayoutQuery(ctx, cid); !errors.Is(err, cregis.ErrOrderNotFound) {
			t.Errorf("PayoutQuery = %v, want ErrOrderNotFound", err)
		}
	})
	t.Run("AddressLegal", func(t *testing.T) {
		ok, err := c.AddressLegal(ctx, "195", "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS")
		bad, err2 := c.AddressLegal(ctx, "195", "not an address")
		if !ok || bad || err != nil || err2 != nil {
			t.Errorf("AddressLegal = %v, %v (%v, %v); want true, false", ok, bad, err, err2)
		}
	})
	t.Run("Coins", func(t *testing.T) {
		coins, err := c.Coins(ctx)
		if err != nil || len(coins.PayoutCoins) != len(cregistest.DefaultCoins()) || coins.PayoutCoins[2].Decimals != 18 {
			t.Errorf("Coins = %+v, %v; want the default table", coins, err)
		}
	})
}

func TestTheClientVerifiesTheFakesCallbacks(t *testing.T) {
	s := cregistest.NewServer(t)
	parsed := make(chan *cregis.Callback, 4)
	failures := make(chan error, 4)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		cb, err := s.Client().ParseCallback(body)
		if err != nil {
			failures <- err
			http.Error(w, "bad callback", http.StatusBadRequest)
			return
		}
		parsed <- cb
		_, _ = io.WriteString(w, cregis.CallbackAck)
	}))
	t.Cleanup(rcv.Close)
	req := clientRequest("cb-client")
	req.CallbackURL = rcv.URL
	cid, err := s.Client().Payout(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("TheAutomaticCallbackParses", func(t *testing.T) {
		cb := receive(t, parsed)
		if cb.CID != cid || cb.Status != cregis.StatusSucceeded || cb.Recipient() != req.ToAddress || cb.PID != s.PID {
			t.Errorf("callback = %+v, want cid %d, status 6, the recipient and pid", cb, cid)
		}
		waitFor(t, "the acknowledgement", func() bool { d := s.CallbacksFor(cid); return len(d) == 1 && d[0].Acked })
	})
	t.Run("AForgedCallbackIsRefused", func(t *testing.T) {
		fields, _ := s.CallbackFields(cid)
		fields["sign"] = cregis.Sign("not-the-key", fields)
		if d := s.SendCallback(rcv.URL, fields, false); d.Acked {
			t.Error("a forged callback was acknowledged")
		}
		if err := receive(t, failures); !errors.Is(err, cregis.ErrCallbackSignature) {
			t.Errorf("ParseCallback = %v, want ErrCallbackSignature", err)
		}
	})
}

// receive waits up to 5 seconds for a value on ch.
func receive[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for the receiver")
	}
	var zero T
	return zero
}

func with1(r cregis.PayoutRequest, change func(*cregis.PayoutRequest)) cregis.PayoutRequest {
	change(&r)
	return r
}
