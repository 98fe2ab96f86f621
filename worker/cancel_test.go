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
)

func TestCancel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("AHeldPayoutIsCanceledAndNeverSentAgainByTheSubmitTaskThatStillHoldsIt", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		h.fake.SetErrorStorm("E0004") // a configuration error: every create is refused
		h.runServer(h.p, ServerConfig{Concurrency: 2})
		id := h.enqueue(newRequest(goodAddress))
		eventually(t, 10*time.Second, func() bool {
			return h.get(id).Attempts >= 1 && h.taskState(h.queues.Submit, tasks.SubmitTaskID(id)) == asynq.TaskStateRetry
		},
			"the payout was never held")
		rec, err := h.p.Cancel(ctx, id)
		if err != nil || rec.State != tasks.StateCanceled {
			t.Fatalf("Cancel: %v, state %v; want canceled", err, rec)
		}
		calls := h.fake.Calls(cregis.PathPayout)
		h.fake.ClearErrorStorm() // the cause is fixed; the held task runs now
		if err := h.insp.RunTask(h.queues.Submit, tasks.SubmitTaskID(id)); err != nil {
			t.Fatalf("RunTask: %v", err)
		}
		eventually(t, 10*time.Second, func() bool {
			return h.taskState(h.queues.Submit, tasks.SubmitTaskID(id)) != asynq.TaskStatePending && h.taskState(h.queues.Submit, tasks.SubmitTaskID(id)) != asynq.TaskStateActive
		},
			"the submit task never ran")
		if n := h.fake.Calls(cregis.PathPayout); n != calls {
			t.Errorf("create calls after the cancel: %d, want none", n-calls)
		}
		h.assertNothingCreated()
		if got := h.get(id); got.State != tasks.StateCanceled {
			t.Errorf("state %s, want canceled for good", got.State)
		}
	})

	t.Run("AQueuedPayoutIsCanceledAndItsSubmitCallsNobody", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		if rec, err := h.p.Cancel(ctx, id); err != nil || rec.State != tasks.StateCanceled {
			t.Fatalf("Cancel: %v; want canceled", err)
		}
		if err := h.submit(id); err != nil {
			t.Fatalf("submit after cancel: %v", err)
		}
		if n := h.fake.Calls(cregis.PathPayout); n != 0 {
			t.Errorf("create calls %d, want 0", n)
		}
		h.assertNothingCreated()
	})

	t.Run("CancelingTwiceAnswersTheCanceledRecord", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		_, _ = h.p.Cancel(ctx, id)
		if rec, err := h.p.Cancel(ctx, id); err != nil || rec.State != tasks.StateCanceled {
			t.Fatalf("second Cancel: %v; want the canceled record", err)
		}
	})

	t.Run("AnUnknownOutcomeMayExistAtCregis", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		h.fake.FailCreatesBeforeApply(1, cregistest.FaultGatewayTimeout) // nothing applied, but payoutd cannot know
		if err := h.submit(id); !cregis.OutcomeUnknown(err) {
			t.Fatalf("submit: %v, want an unknown outcome", err)
		}
		assertMayExist(t, h, id, tasks.StateSubmitting)
	})

	t.Run("ARefusalAfterAnUnknownOutcomeMayExistAtCregis", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		h.fake.FailCreatesBeforeApply(1, cregistest.FaultGatewayTimeout)
		_ = h.submit(id)
		h.fake.SetErrorStorm("E0004")
		_ = h.submit(id)
		assertMayExist(t, h, id, tasks.StateSubmitting)
	})

	t.Run("ASubmittedPayoutMayExistAtCregis", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		h.fake.SetFate(id, cregis.StatusPendingApproval)
		if err := h.submit(id); err != nil {
			t.Fatal(err)
		}
		assertMayExist(t, h, id, tasks.StateSubmitted)
		h.assertCreatedOnce(id)
	})

	t.Run("ACreateInFlightMayExistAtCregis", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		l, err := h.p.acquireLease(ctx, id, time.Minute) // a submit about to call Cregis
		if err != nil {
			t.Fatal(err)
		}
		assertMayExist(t, h, id, tasks.StateQueued)
		_ = l.release(ctx, false)
	})

	t.Run("ATerminalPayoutIsTerminal", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		if err := h.submit(id); err != nil {
			t.Fatal(err)
		}
		h.pollUntilTerminal(id)
		if _, err := h.p.Cancel(ctx, id); !errors.Is(err, ErrTerminal) {
			t.Fatalf("Cancel of a succeeded payout: %v, want ErrTerminal", err)
		}
	})

	t.Run("APendingClaimThatCregisHasItRefusesTheCancel", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		forceState(t, h, id, tasks.StateSubmitting) // its attempts answered nothing that proves either way
		if _, err := h.p.ApplyCallback(ctx, &cregis.Callback{ThirdPartyID: id, CID: 9007199254740993, Status: cregis.StatusSucceeded}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.p.Cancel(ctx, id); !errors.Is(err, ErrMayExistAtCregis) || h.get(id).State != tasks.StateSubmitting {
			t.Errorf("Cancel with a pending hint: %v, state %s; want ErrMayExistAtCregis and still submitting", err, h.get(id).State)
		}
	})

	t.Run("ACallbackForACanceledPayoutIsAnAnomalyOnceCregisConfirmsIt", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		rec, _ := h.p.Cancel(ctx, id)
		// Someone with the key creates it at Cregis all the same.
		cid, err := h.fake.CreateForeign(cregis.PayoutRequest{Currency: rec.Currency, ToAddress: rec.ToAddress, Amount: rec.Amount, ThirdPartyID: id})
		if err != nil {
			t.Fatal(err)
		}
		_, err = h.p.ApplyCallback(ctx, &cregis.Callback{ThirdPartyID: id, CID: cid, Status: cregis.StatusSucceeded})
		if !errors.Is(err, ErrOutcomeConflict) {
			t.Fatalf("callback: %v, want ErrOutcomeConflict", err)
		}
		if err := h.confirm(id, formatCID(cid)); err != nil {
			t.Fatal(err)
		}
		if got := metricValue(t, h.metrics.Anomalies.WithLabelValues("created_after_canceled")); got != 1 {
			t.Errorf("anomalies{created_after_canceled} = %v, want 1", got)
		}
	})
}

// assertMayExist checks that Cancel refuses with ErrMayExistAtCregis and
// changes nothing.
func assertMayExist(t *testing.T, h *harness, id string, want tasks.State) {
	t.Helper()
	before := h.get(id)
	if _, err := h.p.Cancel(context.Background(), id); !errors.Is(err, ErrMayExistAtCregis) {
		t.Fatalf("Cancel: %v, want ErrMayExistAtCregis", err)
	}
	if got := h.get(id); got.State != want || len(got.History) != len(before.History) {
		t.Errorf("state %s (history %d), want %s unchanged (history %d)", got.State, len(got.History), want, len(before.History))
	}
}
