package cregis_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
)

// These tests cross-check the client against the shared fake, which verifies
// signatures its own way and uses a pid and cids above 2^53.

func TestClientAgainstFake(t *testing.T) {
	clock := cregistest.NewClock(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	fake := cregistest.NewServer(t, cregistest.WithNowFunc(clock.Now),
		cregistest.WithDwell(cregistest.Dwell{PendingApproval: time.Minute, PendingSignature: time.Minute, OnChain: time.Minute}))
	c := fake.Client()
	ctx := context.Background()
	req := cregis.PayoutRequest{
		Currency: "195@195", ToAddress: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", Amount: "1.5",
		ThirdPartyID: "fake-cross-check-1", Remark: "payout",
	}

	cid, err := c.Payout(ctx, req)
	if err != nil {
		t.Fatalf("Payout: %v", err)
	}
	t.Run("PayoutReturnsTheFakesCIDExactly", func(t *testing.T) {
		p, ok := fake.PayoutByThirdPartyID(req.ThirdPartyID)
		if !ok || p.CID != cid || cid <= 1<<53 {
			t.Errorf("cid = %d, fake has %d (found %v); want equal and above 2^53", cid, p.CID, ok)
		}
	})
	t.Run("SameThirdPartyIDIsDuplicate", func(t *testing.T) {
		_, err := c.Payout(ctx, req)
		if !errors.Is(err, cregis.ErrDuplicateThirdPartyID) || !cregis.NotApplied(err) {
			t.Errorf("second Payout error = %v, want ErrDuplicateThirdPartyID", err)
		}
	})
	t.Run("BothQueryEndpointsFollowTheStatus", func(t *testing.T) {
		for _, want := range []cregis.Status{cregis.StatusPendingApproval, cregis.StatusPendingSignature,
			cregis.StatusSignatureApproved, cregis.StatusSucceeded} {
			info, err := c.SubAddressWithdrawalInfo(ctx, cid)
			if err != nil || info.Status != want || info.ThirdPartyID != req.ThirdPartyID || info.PID != fake.PID {
				t.Fatalf("SubAddressWithdrawalInfo = %+v, %v; want status %v of %s, pid %d", info, err, want, req.ThirdPartyID, fake.PID)
			}
			q, err := c.PayoutQuery(ctx, cid)
			if err != nil || q.Status != want || q.ToAddress != req.ToAddress || q.Amount != "1.5" {
				t.Fatalf("PayoutQuery = %+v, %v; want status %v to %s", q, err, want, req.ToAddress)
			}
			clock.Advance(time.Minute + time.Millisecond)
		}
	})
	t.Run("UnknownCIDIsOrderNotFound", func(t *testing.T) {
		_, err := c.PayoutQuery(ctx, cid+1000)
		if !errors.Is(err, cregis.ErrOrderNotFound) && !errors.Is(err, cregis.ErrOrderNotExist) {
			t.Errorf("PayoutQuery(unknown) error = %v, want E0014 or E0015", err)
		}
	})
	t.Run("CoinsListsTheFakesTable", func(t *testing.T) {
		coins, err := c.Coins(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := cregistest.DefaultCoins(); !reflect.DeepEqual(coins.PayoutCoins, want) {
			t.Errorf("PayoutCoins = %+v\nwant %+v", coins.PayoutCoins, want)
		}
	})
	t.Run("AddressLegalFollowsTheFake", func(t *testing.T) {
		fake.MarkAddressInvalid("TBadAddress")
		good, err1 := c.AddressLegal(ctx, "195", req.ToAddress)
		bad, err2 := c.AddressLegal(ctx, "195", "TBadAddress")
		if err1 != nil || err2 != nil || !good || bad {
			t.Errorf("AddressLegal = %v, %v and %v, %v; want true and false", good, err1, bad, err2)
		}
	})
}

func TestSubAddressWithdrawalAgainstFake(t *testing.T) {
	fake := cregistest.NewServer(t)
	cid, err := fake.Client().SubAddressWithdrawal(context.Background(), cregis.SubAddressWithdrawalRequest{
		Currency: "195@195", FromAddress: "TFromSubAddress1111111111111111111", ToAddress: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS",
		Amount: "2", ThirdPartyID: "fake-sub-1",
	})
	if err != nil {
		t.Fatalf("SubAddressWithdrawal: %v", err)
	}
	info, err := fake.Client().SubAddressWithdrawalInfo(context.Background(), cid)
	if err != nil || info.FromAddress != "TFromSubAddress1111111111111111111" {
		t.Errorf("SubAddressWithdrawalInfo = %+v, %v; want from the sub-address", info, err)
	}
}

func TestFakeCallbacksVerify(t *testing.T) {
	fake := cregistest.NewServer(t)
	c := fake.Client()
	got := make(chan error, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, err := c.ParseCallback(body)
		got <- err
		if err == nil {
			_, _ = io.WriteString(w, cregis.CallbackAck)
		}
	}))
	t.Cleanup(receiver.Close)
	// The "hold1" marker keeps the payout at status 1, so the fake sends no
	// callback of its own and the receiver sees only the ones sent below.
	cid, err := c.Payout(context.Background(), cregis.PayoutRequest{
		Currency: "195@195", ToAddress: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FShold1", Amount: "1",
		ThirdPartyID: "fake-callback-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	fields, err := fake.CallbackFields(cid)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("SignedByTheFakeIsAccepted", func(t *testing.T) {
		d := fake.SendCallback(receiver.URL, fields, true)
		if err := <-got; err != nil || !d.Acked {
			t.Errorf("ParseCallback = %v, acked %v; want nil, true", err, d.Acked)
		}
	})
	t.Run("TamperedAfterSigningIsRefused", func(t *testing.T) {
		signed := map[string]any{}
		for k, v := range fields {
			signed[k] = v
		}
		signed["sign"] = cregis.Sign(fake.APIKey, fields)
		signed["amount"] = "1000"
		d := fake.SendCallback(receiver.URL, signed, false)
		if err := <-got; !errors.Is(err, cregis.ErrCallbackSignature) || d.Acked {
			t.Errorf("ParseCallback = %v, acked %v; want ErrCallbackSignature, false", err, d.Acked)
		}
	})
}

func TestFakeVerificationRequestsVerify(t *testing.T) {
	got := make(chan *cregis.Verification, 1)
	var c *cregis.Client
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		v, err := c.ParseVerification(body)
		if err != nil {
			http.Error(w, "refused", http.StatusBadRequest)
			return
		}
		got <- v
		_, _ = io.WriteString(w, cregis.VerificationApprove)
	}))
	t.Cleanup(receiver.Close)
	fake := cregistest.NewServer(t, cregistest.WithVerificationURL(receiver.URL))
	c = fake.Client()
	req := cregis.PayoutRequest{Currency: "195@195", ToAddress: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", Amount: "1.50",
		ThirdPartyID: "fake-verify-1"}
	cid, err := c.Payout(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	v := <-got
	if v.CID != cid || v.ThirdPartyID != req.ThirdPartyID || v.Currency() != req.Currency ||
		!cregis.SameAmount(v.Amount, "1.5") || !cregis.SameAddress(v.ToAddress, req.ToAddress) {
		t.Errorf("verification = %+v, want the payout's cid, id, currency, amount and recipient", v)
	}
}

func TestTradePageAgainstFake(t *testing.T) {
	clock := cregistest.NewClock(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	fake := cregistest.NewServer(t, cregistest.WithNowFunc(clock.Now),
		cregistest.WithDwell(cregistest.Dwell{PendingApproval: time.Minute, PendingSignature: time.Minute, OnChain: time.Minute}))
	c := fake.Client()
	ctx := context.Background()
	cid, err := c.Payout(ctx, cregis.PayoutRequest{Currency: "195@195", ToAddress: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS",
		Amount: "1", ThirdPartyID: "fake-trade-1"})
	if err != nil {
		t.Fatal(err)
	}
	if page, err := c.TradePage(ctx, cregis.TradePageRequest{CID: cid}); err != nil || page.Total != 0 || len(page.Rows) != 0 {
		t.Fatalf("TradePage at status 0 = %+v, %v; want nothing listed", page, err)
	}
	clock.Advance(2*time.Minute + time.Millisecond)
	page, err := c.TradePage(ctx, cregis.TradePageRequest{CID: cid, Status: new(int), TradeType: cregis.TradeTypeOut})
	if err != nil || page.Total != 1 || page.Rows[0].CID != cid || page.Rows[0].BlockTime != clock.Now().Add(-time.Millisecond).Unix() {
		t.Fatalf("TradePage on chain = %+v, %v; want cid %d pending with block_time in seconds", page, err, cid)
	}
	_, err = c.TradePage(ctx, cregis.TradePageRequest{PageSize: cregis.MaxTradePageSize + 1})
	if !errors.Is(err, cregis.ErrInvalidRequest) || fake.Calls(cregis.PathTradePage) != 2 {
		t.Errorf("page size 101: %v after %d calls; want refused before sending", err, fake.Calls(cregis.PathTradePage))
	}
}
