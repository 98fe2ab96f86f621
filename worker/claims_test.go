package worker

import (
	"context"
	"maps"
	"strconv"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
	"github.com/payoutd/payoutd/tasks"
)

// Claims from outside (callbacks, verification requests, trade records)
// settle nothing until Cregis's own answer confirms them: end to end,
// through a running worker and the fake.
func TestClaimsSettleNothingUntilCregisConfirms(t *testing.T) {
	t.Parallel()

	t.Run("SignedLiesChangeNoOutcomeAndBindNoCID", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		url := h.callbackReceiver()
		h.cfg.CallbackURL = url
		h.p = h.pipeline(h.cfg)
		h.runServer(h.p, ServerConfig{Concurrency: 8})
		const n = 20
		ids := make([]string, n)
		lie := func(id string, cid int64, template map[string]any) {
			fields := maps.Clone(template)
			fields["third_party_id"], fields["cid"], fields["status"] = id, cid, int(cregis.StatusFailed)
			if d := h.fake.SendCallback(url, fields, true); !d.Acked {
				t.Errorf("%s: a signed callback was not acknowledged: %+v", id, d)
			}
		}
		// Half the lies name the real cid of a payout Cregis goes on to pay.
		var template map[string]any
		for i := 0; i < n; i += 2 {
			req := newRequest(goodAddress)
			h.fake.SetFate(req.ThirdPartyID, cregis.StatusPendingApproval) // held until the lies are judged
			ids[i] = h.enqueue(req)
			cid := cidOf(t, h.awaitState(ids[i], 10*time.Second, tasks.StateSubmitted))
			var err error
			if template, err = h.fake.CallbackFields(cid); err != nil {
				t.Fatal(err)
			}
			lie(ids[i], cid, template)
		}
		// The other half invent a cid while the create is still in flight.
		h.fake.SetLatency(300 * time.Millisecond)
		for i := 1; i < n; i += 2 {
			req := newRequest(goodAddress)
			h.fake.SetFate(req.ThirdPartyID, cregis.StatusPendingApproval)
			ids[i] = h.enqueue(req)
			h.awaitState(ids[i], 10*time.Second, tasks.StateSubmitting)
			lie(ids[i], 9007199254740000+int64(i), template)
		}
		h.fake.SetLatency(0)
		for _, id := range ids {
			id := id
			eventually(t, 20*time.Second, func() bool { return len(h.get(id).PendingHints()) == 0 },
				"payout %s: its hint was never judged", id)
			h.fake.SetFate(id, cregis.StatusSucceeded)
		}
		for _, id := range ids {
			rec := h.awaitState(id, 20*time.Second, tasks.StateSucceeded, tasks.StateFailed)
			fp, _ := h.fake.PayoutByThirdPartyID(id)
			if rec.State != tasks.StateSucceeded || rec.CID != formatCID(fp.CID) {
				t.Errorf("%s: state %s, cid %s; want succeeded with Cregis's cid %d", id, rec.State, rec.CID, fp.CID)
			}
		}
		if got := metricValue(t, h.metrics.Callbacks.WithLabelValues("contradicted")); got != n {
			t.Errorf("callbacks contradicted = %v, want %d", got, n)
		}
		h.assertCreatedOnce(ids...)
	})

	t.Run("VerificationApprovesWhatPayoutdMadeAndDeniesTheRest", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		verifyURL := h.enableVerification()
		h.runServer(h.p, ServerConfig{Concurrency: 4})
		var ids []string
		for range 5 {
			ids = append(ids, h.enqueue(newRequest(goodAddress)))
		}
		for _, id := range ids {
			h.awaitState(id, 20*time.Second, tasks.StateSucceeded)
			fp, _ := h.fake.PayoutByThirdPartyID(id)
			if vs := h.fake.VerificationsFor(fp.CID); len(vs) == 0 || vs[len(vs)-1].Response != cregis.VerificationApprove {
				t.Errorf("%s: verification deliveries %+v; want the last answered ok", id, vs)
			}
		}
		foreign := newRequest(goodAddress)
		denied := map[string]cregis.PayoutRequest{
			"a payout payoutd never made": {Currency: foreign.Currency, ToAddress: foreign.ToAddress, Amount: foreign.Amount, ThirdPartyID: foreign.ThirdPartyID},
		}
		// Someone with the key, using the ids of payouts in flight.
		for desc, change := range map[string]func(*cregis.PayoutRequest){
			"another amount":  func(r *cregis.PayoutRequest) { r.Amount = "2.5" },
			"another address": func(r *cregis.PayoutRequest) { r.ToAddress = "TAttacker0000000000000000000000000" },
		} {
			req := newRequest("TVerifyHold-hold0-0000000000000000")
			h.fake.SetFate(req.ThirdPartyID, cregis.StatusPendingApproval)
			id := h.enqueue(req)
			h.awaitState(id, 10*time.Second, tasks.StateSubmitted)
			fp, _ := h.fake.PayoutByThirdPartyID(id)
			fields, err := h.fake.VerificationFields(fp.CID)
			if err != nil {
				t.Fatal(err)
			}
			pr := cregis.PayoutRequest{Currency: req.Currency, ToAddress: req.ToAddress, Amount: req.Amount, ThirdPartyID: id}
			change(&pr)
			fields["amount"], fields["to_address"] = pr.Amount, pr.ToAddress
			if d := h.fake.SendVerification(verifyURL, fields, true); d.Response != cregis.VerificationDeny {
				t.Errorf("%s: answered %q, want deny", desc, d.Response)
			}
		}
		for desc, req := range denied {
			cid, err := h.fake.CreateForeign(req)
			if err != nil {
				t.Fatal(err)
			}
			eventually(t, 10*time.Second, func() bool {
				vs := h.fake.VerificationsFor(cid)
				return len(vs) > 0 && vs[len(vs)-1].Response == cregis.VerificationDeny
			}, "%s: never denied", desc)
			if fp, _ := h.fake.Payout(cid); fp.Status != cregis.StatusReviewRejected {
				t.Errorf("%s: the fake's status %d, want 4 after a deny", desc, fp.Status)
			}
		}
		// A replay of an approved request gets the same answer, also after
		// the payout has moved on.
		fp, _ := h.fake.PayoutByThirdPartyID(ids[0])
		fields, _ := h.fake.VerificationFields(fp.CID)
		if d := h.fake.SendVerification(verifyURL, fields, true); d.Response != cregis.VerificationApprove {
			t.Errorf("a replay answered %q, want ok", d.Response)
		}
		if got := metricValue(t, h.metrics.Verifications.WithLabelValues("deny")); got != 3 {
			t.Errorf("verifications denied = %v, want 3", got)
		}
	})

	t.Run("LostCreateAnswersResolveThroughVerification", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		h.enableVerification()
		const n = 6
		h.fake.FailCreatesAfterApply(1000, cregistest.FaultGatewayTimeout) // every create applied, answered 504
		h.runServer(h.p, ServerConfig{Concurrency: 4})
		ids := make([]string, n)
		for i := range ids {
			ids[i] = h.enqueue(newRequest(goodAddress))
		}
		for _, id := range ids {
			rec := h.awaitState(id, 30*time.Second, tasks.StateSucceeded)
			fp, _ := h.fake.PayoutByThirdPartyID(id)
			if rec.CID != formatCID(fp.CID) {
				t.Errorf("%s: cid %s, want %d", id, rec.CID, fp.CID)
			}
		}
		h.assertCreatedOnce(ids...)
	})

	t.Run("LostCreateAnswersResolveThroughTheTradeScan", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		const n = 4
		h.fake.FailCreatesAfterApply(n, cregistest.FaultGatewayTimeout) // each first answer lost; the retries get E0009
		h.runServer(h.p, ServerConfig{Concurrency: 4, Scheduler: true, TradeScanInterval: time.Second})
		ids := make([]string, n)
		for i := range ids {
			ids[i] = h.enqueue(newRequest(goodAddress)) // one amount, one address: the query tells them apart
		}
		for _, id := range ids {
			h.awaitState(id, 30*time.Second, tasks.StateUnconfirmed, tasks.StateSucceeded)
		}
		for _, id := range ids {
			rec := h.awaitState(id, 30*time.Second, tasks.StateSucceeded)
			fp, _ := h.fake.PayoutByThirdPartyID(id)
			if rec.CID != formatCID(fp.CID) {
				t.Errorf("%s: cid %s, want %d", id, rec.CID, fp.CID)
			}
		}
		if h.fake.Calls(cregis.PathTradePage) == 0 {
			t.Error("no trade/page call was made")
		}
		h.assertCreatedOnce(ids...)
	})

	t.Run("TheTradeScanMakesNoCallWhileNothingIsUnconfirmed", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		if err := h.submit(id); err != nil {
			t.Fatal(err)
		}
		if err := h.p.HandleTradeScan(context.Background(), tasks.NewTradeScanTask(h.queues, time.Minute, time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got := h.fake.Calls(cregis.PathTradePage); got != 0 {
			t.Errorf("trade/page calls %d, want 0", got)
		}
	})

	t.Run("AResolveNeedsTheSameCurrencyAmountAndRecipient", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		forceUnconfirmed(t, h, id)
		rec := h.get(id)
		cid, err := h.fake.CreateForeign(cregis.PayoutRequest{Currency: rec.Currency, ToAddress: rec.ToAddress, Amount: "9", ThirdPartyID: id})
		if err != nil {
			t.Fatal(err)
		}
		_, err = h.p.Resolve(context.Background(), id, strconv.FormatInt(cid, 10))
		if rec := h.get(id); err == nil || rec.CID != "" {
			t.Errorf("got %v, cid %q; want a refusal and no cid", err, rec.CID)
		}
	})
}
