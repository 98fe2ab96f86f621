package worker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
	"github.com/payoutd/payoutd/tasks"
	"github.com/redis/go-redis/v9"
)

// unknownToUs creates payout id at the fake while the record never learns
// its cid (the create is applied and answered 504): the record stays
// submitting, and the fake's payout heads for fate. It returns the cid.
func (h *harness) unknownToUs(id string, fate cregis.Status) string {
	h.t.Helper()
	h.fake.SetFate(id, fate)
	h.fake.FailCreatesAfterApply(1, cregistest.FaultGatewayTimeout)
	if err := h.submit(id); !cregis.OutcomeUnknown(err) {
		h.t.Fatalf("submit: got %v, want an unknown outcome", err)
	}
	fp, ok := h.fake.PayoutByThirdPartyID(id)
	if !ok {
		h.t.Fatal("the create never reached the fake")
	}
	return formatCID(fp.CID)
}

func TestApplyCallback(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("ACallbackIsRecordedAsAHintAndChangesNothingElse", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		cid := h.unknownToUs(id, cregis.StatusPendingApproval)
		before := h.get(id)
		rec, err := h.p.ApplyCallback(ctx, &cregis.Callback{ThirdPartyID: id, CID: mustCID(t, cid), Status: cregis.StatusFailed})
		if err != nil {
			t.Fatal(err)
		}
		if rec.State != tasks.StateSubmitting || rec.CID != "" || rec.CregisStatus != nil || len(rec.Hints) != 1 ||
			rec.Hints[0].CID != cid || *rec.Hints[0].Status != cregis.StatusFailed {
			t.Errorf("state %s, cid %q, cregis_status %v, hints %+v; want submitting, no cid, one hint with the claim",
				rec.State, rec.CID, rec.CregisStatus, rec.Hints)
		}
		if got := lastHistory(rec); len(rec.History) != len(before.History)+1 || !strings.Contains(got.Reason, "callback claims cid "+cid) {
			t.Errorf("history %+v; want one entry naming the claim", rec.History)
		}
		if h.taskState(h.queues.Poll, tasks.ConfirmTaskID(id, cid)) == 0 {
			t.Error("no confirm task was enqueued")
		}
		if got := metricValue(t, h.metrics.Callbacks.WithLabelValues("recorded")); got != 1 {
			t.Errorf("callbacks recorded = %v, want 1", got)
		}
	})

	t.Run("OnlyTheQueryDecides", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		cid := h.unknownToUs(id, cregis.StatusPendingApproval)
		if _, err := h.p.ApplyCallback(ctx, &cregis.Callback{ThirdPartyID: id, CID: mustCID(t, cid), Status: cregis.StatusFailed}); err != nil {
			t.Fatal(err)
		}
		if err := h.confirm(id, cid); err != nil {
			t.Fatal(err)
		}
		rec := h.get(id)
		if rec.State != tasks.StateSubmitted || rec.CID != cid || *rec.CregisStatus != cregis.StatusPendingApproval || len(rec.PendingHints()) != 0 {
			t.Errorf("state %s, cid %s, cregis_status %v, pending %v; want submitted at status 0 with the cid Cregis confirmed",
				rec.State, rec.CID, rec.CregisStatus, rec.PendingHints())
		}
		if got := metricValue(t, h.metrics.Callbacks.WithLabelValues("contradicted")); got != 1 {
			t.Errorf("callbacks contradicted = %v, want 1: the claimed status 7 is not what Cregis says", got)
		}
		assertNoKeys(t, h, h.p.unsureKey(id))
	})

	t.Run("AConfirmedCallbackSettlesThePayoutWithOneQuery", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		h.enableCallbacks()
		id := h.newPayout()
		if err := h.submit(id); err != nil {
			t.Fatal(err)
		}
		rec := h.awaitSettled(id, tasks.StateSucceeded)
		cbs := h.fake.CallbacksFor(cidOf(t, rec))
		if len(cbs) != 1 || !cbs[0].Acked || rec.TxID == "" || h.fake.Queries(cidOf(t, rec)) != 1 {
			t.Errorf("callbacks %d (acked %v), txid %q, queries %d; want one acked callback, a txid, the one confirming query",
				len(cbs), len(cbs) == 1 && cbs[0].Acked, rec.TxID, h.fake.Queries(cidOf(t, rec)))
		}
		if got := metricValue(t, h.metrics.Callbacks.WithLabelValues("confirmed")); got != 1 {
			t.Errorf("callbacks confirmed = %v, want 1", got)
		}
	})

	t.Run("AnInventedCIDIsNeverBound", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		h.unknownToUs(id, cregis.StatusPendingApproval)
		lie := &cregis.Callback{ThirdPartyID: id, CID: 9007199254740993, Status: cregis.StatusFailed}
		if _, err := h.p.ApplyCallback(ctx, lie); err != nil {
			t.Fatal(err)
		}
		for range hintNotFoundTries {
			_ = h.confirm(id, "9007199254740993")
		}
		rec := h.get(id)
		if rec.State != tasks.StateSubmitting || rec.CID != "" || !rec.Contradicted("9007199254740993") {
			t.Errorf("state %s, cid %q, hints %+v; want submitting, no cid, the hint contradicted", rec.State, rec.CID, rec.Hints)
		}
		if _, err := h.p.ApplyCallback(ctx, lie); !errors.Is(err, ErrCIDMismatch) {
			t.Errorf("the same lie again: got %v, want ErrCIDMismatch", err)
		}
	})

	t.Run("AnotherPayoutsCIDIsNeverBound", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		other := h.newPayout()
		if err := h.submit(other); err != nil {
			t.Fatal(err)
		}
		id := h.newPayout()
		h.unknownToUs(id, cregis.StatusPendingApproval)
		otherCID := h.get(other).CID
		if _, err := h.p.ApplyCallback(ctx, &cregis.Callback{ThirdPartyID: id, CID: mustCID(t, otherCID), Status: cregis.StatusSucceeded}); err != nil {
			t.Fatal(err)
		}
		if err := h.confirm(id, otherCID); err != nil {
			t.Fatal(err)
		}
		if rec := h.get(id); rec.CID != "" || rec.State != tasks.StateSubmitting || !rec.Contradicted(otherCID) {
			t.Errorf("cid %q, state %s; want no cid, submitting, the hint contradicted", rec.CID, rec.State)
		}
	})

	t.Run("ACallbackForAnUnknownPayoutIsNotFound", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		_, err := h.p.ApplyCallback(ctx, &cregis.Callback{ThirdPartyID: "nobody", CID: 5, Status: cregis.StatusSucceeded})
		if !errors.Is(err, tasks.ErrNotFound) {
			t.Errorf("got %v, want tasks.ErrNotFound", err)
		}
	})

	t.Run("ACallbackForAQueuedPayoutIsRefused", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		_, err := h.p.ApplyCallback(ctx, &cregis.Callback{ThirdPartyID: id, CID: 5, Status: cregis.StatusSucceeded})
		if !errors.Is(err, tasks.ErrIllegalTransition) || len(h.get(id).Hints) != 0 {
			t.Errorf("got %v, hints %v; want ErrIllegalTransition and nothing recorded", err, h.get(id).Hints)
		}
	})

	t.Run("ACallbackWithAnotherCIDIsRefused", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		forceSubmitted(t, h, id, "9007199254740993")
		_, err := h.p.ApplyCallback(ctx, &cregis.Callback{ThirdPartyID: id, CID: 9007199254740995, Status: cregis.StatusSucceeded})
		if rec := h.get(id); !errors.Is(err, ErrCIDMismatch) || rec.State != tasks.StateSubmitted || rec.CID != "9007199254740993" || len(rec.Hints) != 0 {
			t.Errorf("got %v, state %s, cid %s; want ErrCIDMismatch and nothing changed", err, rec.State, rec.CID)
		}
	})

	t.Run("AConfirmedCallbackGivesASubmittingPayoutItsCID", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		h.enableCallbacks()
		id := h.newPayout()
		cid := h.unknownToUs(id, cregis.StatusPendingApproval)
		if err := h.fake.SetStatus(mustCID(t, cid), cregis.StatusReviewRejected); err != nil {
			t.Fatal(err)
		}
		rec := h.awaitSettled(id, tasks.StateFailed)
		if rec.CID != cid || *rec.CregisStatus != cregis.StatusReviewRejected {
			t.Errorf("cid %q, cregis_status %v; want %s, 4", rec.CID, *rec.CregisStatus, cid)
		}
		assertNoKeys(t, h, h.p.unsureKey(id))
		if err := h.submit(id); err != nil || h.fake.Calls(cregis.PathPayout) != 1 {
			t.Errorf("the pending retry: %v, create calls %d; want nil and no new call", err, h.fake.Calls(cregis.PathPayout))
		}
		h.assertCreatedOnce(id)
	})

	t.Run("ACallbackDuringAHangingCreateWaitsForItsAnswer", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		h.cfg.Cregis = h.cregisClient(time.Second)
		h.p = h.pipeline(h.cfg)
		id := h.newPayout()
		h.fake.SetFate(id, cregis.StatusPendingApproval)
		h.fake.FailCreatesAfterApply(1, cregistest.FaultHang)
		done := make(chan error, 1)
		go func() { done <- h.submit(id) }()
		var fp cregistest.Payout
		eventually(t, 5*time.Second, func() bool {
			var ok bool
			fp, ok = h.fake.PayoutByThirdPartyID(id)
			return ok
		}, "the create never reached the fake")
		if _, err := h.p.ApplyCallback(ctx, &cregis.Callback{ThirdPartyID: id, CID: fp.CID, Status: cregis.StatusSignatureApproved}); err != nil {
			t.Fatalf("callback during the create: %v", err)
		}
		if err := h.confirm(id, formatCID(fp.CID)); !isWaiting(err) || h.fake.Queries(fp.CID) != 0 {
			t.Fatalf("confirm while the create is in flight: got %v, %d queries; want a wait and no query", err, h.fake.Queries(fp.CID))
		}
		if err := <-done; !cregis.OutcomeUnknown(err) {
			t.Fatalf("the hanging create: got %v, want an unknown outcome", err)
		}
		h.awaitSettled(id, tasks.StateSubmitted)
		if err := h.submit(id); err != nil {
			t.Fatalf("the retry: %v", err)
		}
		rec := h.get(id)
		if rec.CID != formatCID(fp.CID) || rec.LastError != "" || h.fake.Calls(cregis.PathPayout) != 1 {
			t.Errorf("cid %s, last_error %q, create calls %d; want the confirmed cid, no error, one call",
				rec.CID, rec.LastError, h.fake.Calls(cregis.PathPayout))
		}
		assertNoKeys(t, h, h.p.unsureKey(id))
		h.assertCreatedOnce(id)
	})

	t.Run("AConfirmedNonTerminalCallbackMovesAnUnconfirmedPayoutToPolling", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		cid := h.unknownToUs(id, cregis.StatusSignatureApproved)
		forceState(t, h, id, tasks.StateUnconfirmed)
		if _, err := h.p.ApplyCallback(ctx, &cregis.Callback{ThirdPartyID: id, CID: mustCID(t, cid), Status: cregis.StatusSignatureApproved}); err != nil {
			t.Fatal(err)
		}
		rec := h.awaitSettled(id, tasks.StateSubmitted)
		if rec.CID != cid || rec.PollSeq != 1 || h.taskState(h.queues.Poll, tasks.PollTaskID(id, 1)) == 0 {
			t.Errorf("cid %s, poll_seq %d; want the cid and its first poll", rec.CID, rec.PollSeq)
		}
	})

	t.Run("ATerminalRecordRefusesEveryLaterTransition", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		h.enableCallbacks()
		id := h.newPayout()
		h.fake.SetFate(id, cregis.StatusPendingApproval)
		_ = h.submit(id)
		_ = h.poll(id) // poll 1 schedules poll 2
		fp, _ := h.fake.PayoutByThirdPartyID(id)
		_ = h.fake.SetStatus(fp.CID, cregis.StatusSucceeded)
		settled := h.awaitSettled(id, tasks.StateSucceeded)

		replay := &cregis.Callback{ThirdPartyID: id, CID: fp.CID, Status: cregis.StatusSucceeded}
		if _, err := h.p.ApplyCallback(ctx, replay); err != nil {
			t.Errorf("a replayed callback: got %v, want nil (already recorded)", err)
		}
		conflicting := &cregis.Callback{ThirdPartyID: id, CID: fp.CID, Status: cregis.StatusFailed}
		if _, err := h.p.ApplyCallback(ctx, conflicting); !errors.Is(err, ErrOutcomeConflict) {
			t.Errorf("a conflicting callback: got %v, want ErrOutcomeConflict", err)
		}
		stale := &cregis.Callback{ThirdPartyID: id, CID: fp.CID, Status: cregis.StatusSignatureApproved}
		if _, err := h.p.ApplyCallback(ctx, stale); err != nil {
			t.Errorf("a stale non-terminal callback: got %v, want nil", err)
		}
		// Cregis itself flips it (it never does): the pushed callback is refused.
		_ = h.fake.SetStatus(fp.CID, cregis.StatusFailed)
		eventually(t, 5*time.Second, func() bool { return len(h.fake.CallbacksFor(fp.CID)) == 2 }, "no second callback")
		if cbs := h.fake.CallbacksFor(fp.CID); cbs[1].Acked {
			t.Error("the conflicting callback was acknowledged")
		}
		for _, seq := range []int64{1, 2} {
			if err := h.pollSeq(id, seq); err != nil {
				t.Errorf("late poll %d: %v", seq, err)
			}
		}
		if now := h.get(id); now.State != tasks.StateSucceeded || !now.UpdatedAt.Equal(settled.UpdatedAt) || len(now.History) != len(settled.History) {
			t.Errorf("state %s, updated %s (was %s); want the settled record untouched", now.State, now.UpdatedAt, settled.UpdatedAt)
		}
		if got := metricValue(t, h.metrics.Callbacks.WithLabelValues("conflict")); got != 2 {
			t.Errorf("conflicting callbacks counted = %v, want 2", got)
		}
	})

	t.Run("AReplayedCallbackEnqueuesTheNotifyTaskTheConfirmationMissed", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		req := newRequest(goodAddress)
		req.NotifyURL = "https://producer.example/hooks"
		id := h.create(req).ThirdPartyID
		cid := h.unknownToUs(id, cregis.StatusSucceeded)
		forceState(t, h, id, tasks.StateUnconfirmed) // no poll chain and no submit task will meet it again
		eventually(t, 5*time.Second, func() bool {
			fp, _ := h.fake.Payout(mustCID(t, cid))
			return fp.Status == cregis.StatusSucceeded
		}, "the fake's payout never succeeded")
		cb := &cregis.Callback{ThirdPartyID: id, CID: mustCID(t, cid), Status: cregis.StatusSucceeded}
		if _, err := h.p.ApplyCallback(ctx, cb); err != nil {
			t.Fatal(err)
		}
		// The confirmation writes the outcome, but its worker cannot enqueue
		// the notify task (its asynq connection is gone; or it dies right
		// after the write).
		down := redis.NewClient(h.redis.Options())
		_ = down.Close()
		cfg := h.cfg
		cfg.Asynq = asynq.NewClientFromRedisClient(down)
		broken := h.pipeline(cfg)
		eventually(t, 5*time.Second, func() bool {
			t, _ := tasks.NewConfirmTask(h.queues, id, cid, 0, time.Minute)
			_ = broken.HandleConfirm(ctx, t)
			return h.get(id).State == tasks.StateSucceeded
		}, "the confirmation never recorded the outcome")
		if h.taskState(h.queues.Notify, notifyTaskID(id, "succeeded")) != 0 {
			t.Fatal("the notify task exists although its enqueue failed")
		}
		// An operator re-pushes the callback from the Cregis client.
		if _, err := h.p.ApplyCallback(ctx, cb); err != nil {
			t.Fatalf("replay: %v", err)
		}
		if h.taskState(h.queues.Notify, notifyTaskID(id, "succeeded")) == 0 {
			t.Error("the replay found the outcome recorded and stopped there: no notify task, and nothing else will enqueue it")
		}
	})

	t.Run("ARejectedPayoutRefusesACallback", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		addr := "TRejected0000000000000000000000000"
		h.fake.MarkAddressInvalid(addr)
		id := h.create(newRequest(addr)).ThirdPartyID
		_ = h.submit(id)
		_, err := h.p.ApplyCallback(ctx, &cregis.Callback{ThirdPartyID: id, CID: 77, Status: cregis.StatusSucceeded})
		if !errors.Is(err, ErrOutcomeConflict) || h.get(id).State != tasks.StateRejected {
			t.Errorf("got %v, state %s; want ErrOutcomeConflict and still rejected", err, h.get(id).State)
		}
	})

	t.Run("ACallbackForARejectedPayoutIsAnAnomalyOnlyWhenCregisConfirmsIt", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		req := newRequest(goodAddress)
		req.Remark = strings.Repeat("r", 300) // Cregis refuses it: E0002
		id := h.create(req).ThirdPartyID
		if _ = h.submit(id); h.get(id).State != tasks.StateRejected {
			t.Fatalf("state %s, want rejected", h.get(id).State)
		}
		anomalies := func() float64 {
			return metricValue(t, h.metrics.Anomalies.WithLabelValues("created_after_rejected"))
		}
		_, _ = h.p.ApplyCallback(ctx, &cregis.Callback{ThirdPartyID: id, CID: 77, Status: cregis.StatusSucceeded})
		_ = h.confirm(id, "77")
		if got := anomalies(); got != 0 {
			t.Errorf("a forged callback counted %v anomalies, want 0: Cregis does not know cid 77", got)
		}
		// Someone with the key creates it at Cregis after all, with a shorter
		// remark: Cregis's own answer confirms it.
		cid, err := h.fake.CreateForeign(cregis.PayoutRequest{Currency: req.Currency, ToAddress: req.ToAddress, Amount: req.Amount, ThirdPartyID: id})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = h.p.ApplyCallback(ctx, &cregis.Callback{ThirdPartyID: id, CID: cid, Status: cregis.StatusSucceeded})
		if err := h.confirm(id, formatCID(cid)); err != nil {
			t.Fatal(err)
		}
		if got := anomalies(); got != 1 {
			t.Errorf("anomalies counted: got %v want 1: Cregis confirms a payout recorded as rejected", got)
		}
		if rec := h.get(id); rec.State != tasks.StateRejected || rec.CID != "" {
			t.Errorf("state %s, cid %q; want the terminal record untouched", rec.State, rec.CID)
		}
	})
}

// forceState moves a record to st (legally) without calling Cregis.
func forceState(t testing.TB, h *harness, id string, st tasks.State) {
	t.Helper()
	if _, err := h.store.Update(context.Background(), id, "test", func(r *tasks.Record) error {
		r.State = st
		return nil
	}); err != nil {
		t.Fatalf("force %s: %v", st, err)
	}
}

// forceUnconfirmed moves a queued record to unconfirmed, as an E0009 would.
func forceUnconfirmed(t testing.TB, h *harness, id string) {
	t.Helper()
	forceState(t, h, id, tasks.StateSubmitting)
	forceState(t, h, id, tasks.StateUnconfirmed)
}

// mustCID parses a decimal cid.
func mustCID(t testing.TB, cid string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(cid, &n); err != nil || n <= 0 {
		t.Fatalf("not a cid: %q", cid)
	}
	return n
}
