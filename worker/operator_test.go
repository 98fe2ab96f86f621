package worker

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
)

func TestRetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, nil)

	enqueueSubmit := func(id string) {
		t.Helper()
		task, _ := tasks.NewSubmitTask(h.queues, id, time.Minute)
		if _, err := h.client.Enqueue(task); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("ATerminalPayoutIsRefused", func(t *testing.T) {
		addr := "TRetryRejected00000000000000000000"
		h.fake.MarkAddressInvalid(addr)
		id := h.create(newRequest(addr)).ThirdPartyID
		_ = h.submit(id)
		if _, err := h.p.Retry(ctx, id); !errors.Is(err, ErrTerminal) {
			t.Errorf("got %v, want ErrTerminal", err)
		}
	})

	t.Run("AnUnconfirmedPayoutNeedsResolve", func(t *testing.T) {
		id := h.newPayout()
		forceUnconfirmed(t, h, id)
		if _, err := h.p.Retry(ctx, id); !errors.Is(err, ErrNeedsResolve) {
			t.Errorf("got %v, want ErrNeedsResolve", err)
		}
	})

	t.Run("AnUnknownPayoutIsNotFound", func(t *testing.T) {
		if _, err := h.p.Retry(ctx, "nobody"); !errors.Is(err, tasks.ErrNotFound) {
			t.Errorf("got %v, want tasks.ErrNotFound", err)
		}
	})

	t.Run("AQueuedPayoutWithoutATaskGetsOne", func(t *testing.T) {
		id := h.newPayout()
		if _, err := h.p.Retry(ctx, id); err != nil {
			t.Fatal(err)
		}
		if st := h.taskState(h.queues.Submit, tasks.SubmitTaskID(id)); st != asynq.TaskStatePending {
			t.Errorf("submit task state %v, want pending", st)
		}
		if last := lastHistory(h.get(id)); last.Reason != "operator retry" || last.From != last.To {
			t.Errorf("last history entry %+v; want the operator retry, state unchanged", last)
		}
	})

	t.Run("AnArchivedSubmitTaskRunsAgain", func(t *testing.T) {
		id := h.newPayout()
		enqueueSubmit(id)
		if err := h.insp.ArchiveTask(h.queues.Submit, tasks.SubmitTaskID(id)); err != nil {
			t.Fatal(err)
		}
		if _, err := h.p.Retry(ctx, id); err != nil {
			t.Fatal(err)
		}
		if st := h.taskState(h.queues.Submit, tasks.SubmitTaskID(id)); st != asynq.TaskStatePending {
			t.Errorf("submit task state %v, want pending", st)
		}
	})

	t.Run("AWaitingSubmitTaskRunsNow", func(t *testing.T) {
		id := h.newPayout()
		task, _ := tasks.NewSubmitTask(h.queues, id, time.Minute)
		if _, err := h.client.Enqueue(task, asynq.ProcessIn(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := h.p.Retry(ctx, id); err != nil {
			t.Fatal(err)
		}
		if st := h.taskState(h.queues.Submit, tasks.SubmitTaskID(id)); st != asynq.TaskStatePending {
			t.Errorf("submit task state %v, want pending", st)
		}
	})

	t.Run("ASubmittedPayoutGetsAPollNowInANewSequence", func(t *testing.T) {
		id := h.newPayout()
		_ = h.submit(id)
		rec, err := h.p.Retry(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if rec.PollSeq != 2 || h.taskState(h.queues.Poll, tasks.PollTaskID(id, 2)) != asynq.TaskStatePending {
			t.Errorf("poll_seq %d, poll 2 state %v; want 2 and pending now", rec.PollSeq, h.taskState(h.queues.Poll, tasks.PollTaskID(id, 2)))
		}
	})
}

func TestResolve(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, nil)

	// unconfirmedAtCregis returns an unconfirmed payout that exists at the
	// fake, heading for fate, and its cid.
	unconfirmedAtCregis := func(fate cregis.Status) (string, string) {
		t.Helper()
		id := h.newPayout()
		h.fake.SetFate(id, fate)
		cid, err := h.cfg.Cregis.Payout(ctx, cregis.PayoutRequest{Currency: "195@195", ToAddress: goodAddress, Amount: "1.5", ThirdPartyID: id})
		if err != nil {
			t.Fatal(err)
		}
		_ = h.submit(id) // E0009
		if st := h.get(id).State; st != tasks.StateUnconfirmed {
			t.Fatalf("setup: state %s, want unconfirmed", st)
		}
		return id, formatCID(cid)
	}

	t.Run("TheCIDSettlesAnUnconfirmedPayoutAndStartsItsPolls", func(t *testing.T) {
		id, cid := unconfirmedAtCregis(cregis.StatusPendingApproval)
		rec, err := h.p.Resolve(ctx, id, cid)
		if err != nil {
			t.Fatal(err)
		}
		if rec.State != tasks.StateSubmitted || rec.CID != cid || h.taskState(h.queues.Poll, tasks.PollTaskID(id, rec.PollSeq)) == 0 {
			t.Errorf("state %s, cid %s, poll_seq %d; want submitted with %s and a poll", rec.State, rec.CID, rec.PollSeq, cid)
		}
		if last := lastHistory(rec); !strings.HasPrefix(last.Reason, "operator resolve") || last.From != tasks.StateUnconfirmed {
			t.Errorf("last history entry %+v; want the operator resolve from unconfirmed", last)
		}
		again, err := h.p.Resolve(ctx, id, cid)
		if err != nil || again.State != tasks.StateSubmitted {
			t.Errorf("resolving again: %v, state %s; want the same record, no error", err, again.State)
		}
	})

	t.Run("APayoutAlreadyTerminalAtCregisSettlesAtOnce", func(t *testing.T) {
		id, cid := unconfirmedAtCregis(cregis.StatusSucceeded)
		eventually(t, 5*time.Second, func() bool {
			fp, _ := h.fake.PayoutByThirdPartyID(id)
			return fp.Status == cregis.StatusSucceeded
		}, "the fake never finished the payout")
		if rec, err := h.p.Resolve(ctx, id, cid); err != nil || rec.State != tasks.StateSucceeded {
			t.Errorf("got %v, state %v; want succeeded", err, rec)
		}
	})

	t.Run("AnotherPayoutsCIDIsRefused", func(t *testing.T) {
		id, _ := unconfirmedAtCregis(cregis.StatusPendingApproval)
		_, other := unconfirmedAtCregis(cregis.StatusPendingApproval)
		if _, err := h.p.Resolve(ctx, id, other); !errors.Is(err, ErrCIDMismatch) || h.get(id).State != tasks.StateUnconfirmed {
			t.Errorf("got %v, state %s; want ErrCIDMismatch and still unconfirmed", err, h.get(id).State)
		}
	})

	t.Run("AnUnknownCIDIsNotFound", func(t *testing.T) {
		id, _ := unconfirmedAtCregis(cregis.StatusPendingApproval)
		if _, err := h.p.Resolve(ctx, id, "9007199254740993"); !errors.Is(err, ErrCIDNotFound) {
			t.Errorf("got %v, want ErrCIDNotFound", err)
		}
	})

	t.Run("AMalformedCIDIsRefusedBeforeAnyCall", func(t *testing.T) {
		for _, cid := range []string{"", "abc", "-5", "0", "012", "1e9", "99999999999999999999"} {
			if _, err := h.p.Resolve(ctx, "whatever", cid); !errors.Is(err, ErrInvalidCID) {
				t.Errorf("Resolve(%q): got %v, want ErrInvalidCID", cid, err)
			}
		}
	})

	t.Run("AQueuedPayoutIsNotResolvable", func(t *testing.T) {
		if _, err := h.p.Resolve(ctx, h.newPayout(), "5"); !errors.Is(err, ErrNotResolvable) {
			t.Errorf("got %v, want ErrNotResolvable", err)
		}
	})

	t.Run("ARejectedPayoutIsTerminal", func(t *testing.T) {
		addr := "TResolveRejected000000000000000000"
		h.fake.MarkAddressInvalid(addr)
		id := h.create(newRequest(addr)).ThirdPartyID
		_ = h.submit(id)
		if _, err := h.p.Resolve(ctx, id, "5"); !errors.Is(err, ErrTerminal) {
			t.Errorf("got %v, want ErrTerminal", err)
		}
	})
}

func lastHistory(rec *tasks.Record) tasks.Transition {
	if len(rec.History) == 0 {
		return tasks.Transition{}
	}
	return rec.History[len(rec.History)-1]
}
