package worker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
	"github.com/payoutd/payoutd/tasks"
	"github.com/redis/go-redis/v9"
)

func TestApplyCallback(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("ACallbackSettlesASubmittedPayoutBeforeAnyPoll", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		h.enableCallbacks()
		id := h.newPayout()
		if err := h.submit(id); err != nil {
			t.Fatal(err)
		}
		// The fake logs a delivery once answered, a moment after the record
		// is written (the answer follows the write): await both.
		eventually(t, 5*time.Second, func() bool {
			rec := h.get(id)
			return rec.State == tasks.StateSucceeded && len(h.fake.CallbacksFor(cidOf(t, rec))) > 0
		}, "the fake's callback never settled the payout")
		rec := h.get(id)
		cbs := h.fake.CallbacksFor(cidOf(t, rec))
		if len(cbs) != 1 || !cbs[0].Acked || rec.TxID == "" || h.fake.Queries(cidOf(t, rec)) != 0 {
			t.Errorf("callbacks %d (acked %v), txid %q, queries %d; want one acked callback, a txid, no query",
				len(cbs), len(cbs) == 1 && cbs[0].Acked, rec.TxID, h.fake.Queries(cidOf(t, rec)))
		}
		if got := metricValue(t, h.metrics.Callbacks.WithLabelValues("applied")); got != 1 {
			t.Errorf("callbacks applied = %v, want 1", got)
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

	t.Run("ACallbackWithAnotherCIDIsRefused", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		forceSubmitted(t, h, id, "9007199254740993")
		_, err := h.p.ApplyCallback(ctx, &cregis.Callback{ThirdPartyID: id, CID: 9007199254740995, Status: cregis.StatusSucceeded})
		if rec := h.get(id); !errors.Is(err, ErrCIDMismatch) || rec.State != tasks.StateSubmitted || rec.CID != "9007199254740993" {
			t.Errorf("got %v, state %s, cid %s; want ErrCIDMismatch and nothing changed", err, rec.State, rec.CID)
		}
	})

	t.Run("ACallbackGivesASubmittingPayoutItsCID", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		h.enableCallbacks()
		id := h.newPayout()
		h.fake.SetFate(id, cregis.StatusPendingApproval)
		h.fake.FailCreatesAfterApply(1, cregistest.FaultGatewayTimeout)
		_ = h.submit(id) // applied, answered 504: submitting, cid unknown
		fp, _ := h.fake.PayoutByThirdPartyID(id)
		if err := h.fake.SetStatus(fp.CID, cregis.StatusReviewRejected); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, func() bool { return h.get(id).State == tasks.StateFailed },
			"the callback never settled the submitting payout")
		if rec := h.get(id); rec.CID != formatCID(fp.CID) || *rec.CregisStatus != cregis.StatusReviewRejected {
			t.Errorf("cid %q, cregis_status %v; want %d, 4", rec.CID, *rec.CregisStatus, fp.CID)
		}
		assertNoKeys(t, h, h.p.unsureKey(id))
		if err := h.submit(id); err != nil || h.fake.Calls(cregis.PathPayout) != 1 {
			t.Errorf("the pending retry: %v, create calls %d; want nil and no new call", err, h.fake.Calls(cregis.PathPayout))
		}
	})

	t.Run("ACallbackDuringAHangingCreateWinsAndTheRetryCreatesNothing", func(t *testing.T) {
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
		if err := <-done; !cregis.OutcomeUnknown(err) {
			t.Fatalf("the hanging create: got %v, want an unknown outcome", err)
		}
		if err := h.submit(id); err != nil {
			t.Fatalf("the retry: %v", err)
		}
		rec := h.get(id)
		if rec.State != tasks.StateSubmitted || rec.CID != formatCID(fp.CID) || rec.LastError != "" || h.fake.Calls(cregis.PathPayout) != 1 {
			t.Errorf("state %s, cid %s, last_error %q, create calls %d; want submitted with the callback's cid, no error, one call",
				rec.State, rec.CID, rec.LastError, h.fake.Calls(cregis.PathPayout))
		}
		assertNoKeys(t, h, h.p.unsureKey(id))
	})

	t.Run("ANonTerminalCallbackMovesAnUnconfirmedPayoutToPolling", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		forceUnconfirmed(t, h, id)
		rec, err := h.p.ApplyCallback(ctx, &cregis.Callback{ThirdPartyID: id, CID: 9007199254740993, Status: cregis.StatusSignatureApproved})
		if err != nil {
			t.Fatal(err)
		}
		if rec.State != tasks.StateSubmitted || rec.CID != "9007199254740993" || rec.PollSeq != 1 || h.taskState(h.queues.Poll, tasks.PollTaskID(id, 1)) == 0 {
			t.Errorf("state %s, cid %s, poll_seq %d; want submitted with the cid and its first poll", rec.State, rec.CID, rec.PollSeq)
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
		eventually(t, 5*time.Second, func() bool { return h.get(id).State == tasks.StateSucceeded }, "never succeeded")
		settled := h.get(id)

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

	t.Run("AReplayedCallbackEnqueuesTheNotifyTaskTheFirstDeliveryMissed", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		req := newRequest(goodAddress)
		req.NotifyURL = "https://producer.example/hooks"
		id := h.create(req).ThirdPartyID
		forceUnconfirmed(t, h, id) // no poll chain and no submit task will meet it again
		cb := &cregis.Callback{ThirdPartyID: id, CID: 9007199254740993, Status: cregis.StatusSucceeded}
		// The first delivery's outcome is written, but the worker cannot
		// enqueue the notify task (its asynq connection is gone; or it dies
		// right after the write).
		down := redis.NewClient(h.redis.Options())
		_ = down.Close()
		cfg := h.cfg
		cfg.Asynq = asynq.NewClientFromRedisClient(down)
		if _, err := h.pipeline(cfg).ApplyCallback(ctx, cb); err != nil || h.get(id).State != tasks.StateSucceeded {
			t.Fatalf("first delivery: got %v, state %s; want the outcome recorded", err, h.get(id).State)
		}
		if h.taskState(h.queues.Notify, tasks.NotifyTaskID(id)) != 0 {
			t.Fatal("the notify task exists although its enqueue failed")
		}
		// An operator re-pushes the callback from the Cregis client.
		if _, err := h.p.ApplyCallback(ctx, cb); err != nil {
			t.Fatalf("replay: %v", err)
		}
		if h.taskState(h.queues.Notify, tasks.NotifyTaskID(id)) == 0 {
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

	t.Run("ACallbackForARejectedPayoutIsCountedAsAnAnomaly", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		addr := "TRejectedAnomaly00000000000000000"
		h.fake.MarkAddressInvalid(addr)
		id := h.create(newRequest(addr)).ThirdPartyID
		_ = h.submit(id)
		_, _ = h.p.ApplyCallback(ctx, &cregis.Callback{ThirdPartyID: id, CID: 77, Status: cregis.StatusSucceeded})
		if got := metricValue(t, h.metrics.Anomalies.WithLabelValues("created_after_rejected")); got != 1 {
			t.Errorf("anomalies counted: got %v want 1: Cregis names a payout recorded as rejected", got)
		}
	})
}

// forceUnconfirmed moves a queued record to unconfirmed, as an E0009 would.
func forceUnconfirmed(t testing.TB, h *harness, id string) {
	t.Helper()
	for _, st := range []tasks.State{tasks.StateSubmitting, tasks.StateUnconfirmed} {
		if _, err := h.store.Update(context.Background(), id, "test", func(r *tasks.Record) error {
			r.State = st
			return nil
		}); err != nil {
			t.Fatalf("force %s: %v", st, err)
		}
	}
}
