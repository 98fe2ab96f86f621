package cregistest_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
)

// verifier is a verification receiver whose answer the test changes. It
// parses every request with the real client, as payoutd will.
type verifier struct {
	URL    string
	client *cregis.Client
	mu     sync.Mutex
	status int
	body   string
	got    []*cregis.Verification
	bad    []error
}

func newVerifier(t *testing.T, status int, body string) *verifier {
	v := &verifier{status: status, body: body}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		status, body := v.record(raw)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	v.URL = srv.URL + "/verify"
	return v
}

// use makes v parse requests with s's client.
func (v *verifier) use(s *cregistest.Server) *verifier {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.client = s.Client()
	return v
}

func (v *verifier) record(raw []byte) (int, string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.client != nil {
		got, err := v.client.ParseVerification(raw)
		if err != nil {
			v.bad = append(v.bad, err)
			return http.StatusBadRequest, "bad request"
		}
		v.got = append(v.got, got)
	}
	return v.status, v.body
}

func (v *verifier) answer(status int, body string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.status, v.body = status, body
}

func (v *verifier) parsed() ([]*cregis.Verification, []error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]*cregis.Verification(nil), v.got...), append([]error(nil), v.bad...)
}

// verdictFor waits until the fake recorded a verdict for cid.
func verdictFor(t *testing.T, s *cregistest.Server, cid int64) cregistest.VerificationDelivery {
	t.Helper()
	var last cregistest.VerificationDelivery
	waitFor(t, "a verification verdict", func() bool {
		for _, d := range s.VerificationsFor(cid) {
			if d.Verdict != "" && !d.Manual {
				last = d
				return true
			}
		}
		return false
	})
	return last
}

func TestAVerificationRequestIsSentForEveryCreate(t *testing.T) {
	v := newVerifier(t, http.StatusOK, cregis.VerificationApprove)
	s := cregistest.NewServer(t, cregistest.WithVerificationURL(v.URL))
	v.use(s)
	ctx := context.Background()
	c := s.Client()
	wallet := cregis.PayoutRequest{Currency: "60@0xdac17f958d2ee523a2206206994597c13d831ec7",
		ToAddress: "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01", Amount: "12.5", ThirdPartyID: "v-wallet",
		Remark: "invoice 7"}
	walletCID, err := c.Payout(ctx, wallet)
	if err != nil {
		t.Fatal(err)
	}
	subCID, err := c.SubAddressWithdrawal(ctx, cregis.SubAddressWithdrawalRequest{Currency: "144@144",
		FromAddress: "rqkVSVbsatX3mXAc64g9wTihrmoLwpiuB", ToAddress: "rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc",
		Amount: "3", ThirdPartyID: "v-sub", Memo: "123"})
	if err != nil {
		t.Fatal(err)
	}
	foreignCID, err := s.CreateForeign(cregis.PayoutRequest{Currency: "195@195",
		ToAddress: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", Amount: "1", ThirdPartyID: "v-foreign"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]cregis.Verification{
		walletCID: {PID: s.PID, CID: walletCID, ThirdPartyID: "v-wallet", ChainID: "60",
			TokenID: "0xdac17f958d2ee523a2206206994597c13d831ec7", FromAddress: "cregistest-payout-wallet-60",
			ToAddress: wallet.ToAddress, Amount: "12.5", Remark: "invoice 7"},
		subCID: {PID: s.PID, CID: subCID, ThirdPartyID: "v-sub", ChainID: "144", TokenID: "144",
			FromAddress: "rqkVSVbsatX3mXAc64g9wTihrmoLwpiuB", ToAddress: "rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc",
			Amount: "3", Memo: "123"},
		foreignCID: {PID: s.PID, CID: foreignCID, ThirdPartyID: "v-foreign", ChainID: "195", TokenID: "195",
			FromAddress: "cregistest-payout-wallet-195", ToAddress: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", Amount: "1"},
	}
	for cid := range want {
		if d := verdictFor(t, s, cid); d.Verdict != cregis.VerificationApprove || d.StatusCode != http.StatusOK {
			t.Errorf("cid %d: delivery %+v, want approved with HTTP 200", cid, d)
		}
	}
	got, bad := v.parsed()
	if len(bad) != 0 || len(got) != len(want) {
		t.Fatalf("the receiver parsed %d requests and refused %v; want %d, none refused", len(got), bad, len(want))
	}
	for _, g := range got {
		w := want[g.CID]
		w.Nonce, w.Timestamp = g.Nonce, g.Timestamp
		if *g != w {
			t.Errorf("verification = %+v\nwant %+v", *g, w)
		}
		if len(g.Nonce) != 6 || g.Timestamp <= 0 {
			t.Errorf("nonce %q timestamp %d, want 6 characters and a timestamp", g.Nonce, g.Timestamp)
		}
	}
	if p, _ := s.Payout(foreignCID); !p.Foreign || p.Verification != cregistest.VerificationApproved {
		t.Errorf("foreign payout = %+v, want Foreign and approved", p)
	}
}

func TestAPayoutWaitsAtZeroUntilItsVerificationIsApproved(t *testing.T) {
	v := newVerifier(t, http.StatusOK, "not yet")
	s, clock := newClocked(t, cregistest.WithVerificationURL(v.URL), cregistest.WithVerificationRetry(time.Millisecond))
	c := s.Client()
	ctx := context.Background()
	cid, err := c.Payout(ctx, cregis.PayoutRequest{Currency: "195@195", ToAddress: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS",
		Amount: "1", ThirdPartyID: "held", CallbackURL: "http://127.0.0.1:1/cb"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "three unanswered requests", func() bool { return len(s.VerificationsFor(cid)) >= 3 })
	clock.Advance(10 * dwell)
	for _, query := range []func(context.Context, int64) (*cregis.PayoutInfo, error){c.PayoutQuery, c.SubAddressWithdrawalInfo} {
		if info, err := query(ctx, cid); err != nil || info.Status != cregis.StatusPendingApproval {
			t.Fatalf("query while waiting = %+v, %v; want status 0", info, err)
		}
	}
	if p, _ := s.Payout(cid); p.Verification != cregistest.VerificationPending || len(p.History) != 1 {
		t.Fatalf("payout = %+v, want pending verification and no status change", p)
	}
	for _, d := range s.VerificationsFor(cid) {
		if d.Verdict != "" || d.Response != "not yet" {
			t.Fatalf("delivery %+v, want no verdict for %q", d, d.Response)
		}
	}
	v.answer(http.StatusOK, cregis.VerificationApprove)
	verdictFor(t, s, cid)
	if info, _ := c.PayoutQuery(ctx, cid); info.Status != cregis.StatusPendingApproval {
		t.Fatalf("status right after approval = %v, want 0 (approval starts now)", info.Status)
	}
	clock.Advance(dwell)
	if info, _ := c.PayoutQuery(ctx, cid); info.Status != cregis.StatusPendingSignature {
		t.Errorf("status one dwell after approval = %v, want 5", info.Status)
	}
}

func TestAVerificationIsRetriedWhileTheReceiverIsDownOrFails(t *testing.T) {
	down := closedURL(t)
	s := cregistest.NewServer(t, cregistest.WithVerificationURL(down), cregistest.WithVerificationRetry(time.Millisecond))
	id := "retried"
	cid, err := s.Client().Payout(context.Background(), cregis.PayoutRequest{Currency: "195@195",
		ToAddress: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", Amount: "1", ThirdPartyID: id})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two refused deliveries", func() bool {
		return countWhere(s, cid, func(d cregistest.VerificationDelivery) bool { return d.Err != "" }) >= 2
	})
	v := newVerifier(t, http.StatusInternalServerError, cregis.VerificationApprove) // "ok" with a 500 is no verdict
	s.SetVerificationURL(v.URL)
	waitFor(t, "two HTTP 500 deliveries", func() bool {
		return countWhere(s, cid, func(d cregistest.VerificationDelivery) bool { return d.StatusCode == 500 }) >= 2
	})
	if p, _ := s.Payout(cid); p.Status != cregis.StatusPendingApproval || p.Verification != cregistest.VerificationPending {
		t.Fatalf("payout %+v, want waiting at 0", p)
	}
	v.answer(http.StatusOK, cregis.VerificationApprove)
	verdictFor(t, s, cid)
	nonces := map[any]bool{}
	for _, d := range s.VerificationsFor(cid) {
		nonces[d.Fields["nonce"]] = true
	}
	if n := len(s.VerificationsFor(cid)); len(nonces) != n {
		t.Errorf("%d distinct nonces over %d requests, want a fresh one each time", len(nonces), n)
	}
	waitFor(t, "the payout to succeed", func() bool { p, _ := s.Payout(cid); return p.Status == cregis.StatusSucceeded })
	if n := len(s.Payouts()); n != 1 {
		t.Errorf("%d payouts, want 1", n)
	}
}

func countWhere(s *cregistest.Server, cid int64, pred func(cregistest.VerificationDelivery) bool) int {
	n := 0
	for _, d := range s.VerificationsFor(cid) {
		if pred(d) {
			n++
		}
	}
	return n
}

// closedURL is the URL of a port nothing listens on.
func closedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/verify"
	_ = ln.Close()
	return url
}

func TestADeniedVerificationEndsInFourWithACallback(t *testing.T) {
	v := newVerifier(t, http.StatusOK, cregis.VerificationDeny)
	rcv := newReceiver(t, http.StatusOK, cregis.CallbackAck)
	s := cregistest.NewServer(t, cregistest.WithVerificationURL(v.URL))
	cid, err := s.Client().Payout(context.Background(), cregis.PayoutRequest{Currency: "195@195",
		ToAddress: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", Amount: "1", ThirdPartyID: "denied", CallbackURL: rcv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if d := verdictFor(t, s, cid); d.Verdict != cregis.VerificationDeny {
		t.Fatalf("verdict %q, want deny", d.Verdict)
	}
	waitFor(t, "the status-4 callback", func() bool { return len(s.CallbacksFor(cid)) == 1 })
	cb, err := s.Client().ParseCallback(rcv.received()[0])
	if err != nil || cb.Status != cregis.StatusReviewRejected || cb.CID != cid {
		t.Fatalf("callback = %+v, %v; want status 4 for cid %d", cb, err, cid)
	}
	p, _ := s.Payout(cid)
	if p.Status != cregis.StatusReviewRejected || p.Verification != cregistest.VerificationDenied || p.TxID != "" {
		t.Errorf("payout = %+v, want 4, denied, never on chain", p)
	}
	if n := len(s.VerificationsFor(cid)); n != 1 {
		t.Errorf("%d verification requests, want 1 (a verdict ends them)", n)
	}
}

func TestAForgedVerificationIsRefusedByTheReceiverAndDecidesNothing(t *testing.T) {
	v := newVerifier(t, http.StatusOK, "not yet")
	s := cregistest.NewServer(t, cregistest.WithVerificationURL(v.URL), cregistest.WithVerificationRetry(time.Hour))
	v.use(s)
	cid, err := s.Client().Payout(context.Background(), cregis.PayoutRequest{Currency: "195@195",
		ToAddress: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", Amount: "1", ThirdPartyID: "forged"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first request", func() bool { return len(s.VerificationsFor(cid)) == 1 })
	fields, err := s.VerificationFields(cid)
	if err != nil {
		t.Fatal(err)
	}
	genuine := s.SendVerification(v.URL, fields, true)
	fields["amount"] = "1000"
	tampered := s.SendVerification(v.URL, fields, false)
	if genuine.StatusCode != http.StatusOK || !genuine.Manual || tampered.StatusCode != http.StatusBadRequest {
		t.Errorf("genuine answered %d (manual %v), tampered %d; want 200, manual, and 400", genuine.StatusCode, genuine.Manual, tampered.StatusCode)
	}
	v.answer(http.StatusOK, cregis.VerificationApprove)
	forgedOK := s.SendVerification(v.URL, fields, true) // signed, so accepted, but not Cregis's own
	if forgedOK.Verdict != cregis.VerificationApprove {
		t.Fatalf("forged delivery = %+v, want the receiver's ok recorded", forgedOK)
	}
	if p, _ := s.Payout(cid); p.Verification != cregistest.VerificationPending {
		t.Errorf("verification = %s after forged requests, want still pending", p.Verification)
	}
	if _, err := s.VerificationFields(cid + 1); err == nil {
		t.Error("VerificationFields(unknown cid) = nil error, want one")
	}
}

func TestVerificationOffCreatesPayoutsThatNeverWait(t *testing.T) {
	v := newVerifier(t, http.StatusOK, cregis.VerificationApprove)
	s := cregistest.NewServer(t)
	cid := create(t, s, cregis.PathPayout, payoutFields("off-1"))
	s.SetVerificationURL(v.URL)
	on := create(t, s, cregis.PathPayout, payoutFields("on-1"))
	verdictFor(t, s, on)
	s.SetVerificationURL("")
	off := create(t, s, cregis.PathPayout, payoutFields("off-2"))
	for _, c := range []int64{cid, off} {
		if p, _ := s.Payout(c); p.Verification != "" || len(s.VerificationsFor(c)) != 0 {
			t.Errorf("payout %d verification %q, %d requests; want none", c, p.Verification, len(s.VerificationsFor(c)))
		}
	}
}

func TestSetStatusEndsAVerificationWait(t *testing.T) {
	v := newVerifier(t, http.StatusServiceUnavailable, "")
	s := cregistest.NewServer(t, cregistest.WithVerificationURL(v.URL))
	cid := create(t, s, cregis.PathPayout, payoutFields("forced"))
	if err := s.SetStatus(cid, cregis.StatusSucceeded); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Payout(cid); p.Status != cregis.StatusSucceeded || p.Verification != cregistest.VerificationForced {
		t.Errorf("payout = %+v, want 6 and forced", p)
	}
}
