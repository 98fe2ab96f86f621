package worker

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
)

func (h *harness) sweep() {
	h.t.Helper()
	if err := h.p.HandleSweep(context.Background(), tasks.NewSweepTask(h.queues, time.Minute, time.Minute)); err != nil {
		h.t.Fatalf("sweep: %v", err)
	}
}

func TestSweep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("AQueuedPayoutWhoseTaskWasLostGetsOne", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout() // recorded, but its enqueue never happened
		h.sweep()
		if st := h.taskState(h.queues.Submit, tasks.SubmitTaskID(id)); st != asynq.TaskStatePending {
			t.Fatalf("submit task state %v, want pending", st)
		}
		if err := h.submit(id); err != nil || h.get(id).State != tasks.StateSubmitted {
			t.Errorf("the re-driven submit: %v, state %s; want submitted", err, h.get(id).State)
		}
	})

	t.Run("ASubmittingPayoutWithAnArchivedTaskRunsAgain", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		task, _ := tasks.NewSubmitTask(h.queues, id, time.Minute)
		if _, err := h.client.Enqueue(task); err != nil {
			t.Fatal(err)
		}
		if err := h.insp.ArchiveTask(h.queues.Submit, tasks.SubmitTaskID(id)); err != nil {
			t.Fatal(err)
		}
		h.sweep()
		if st := h.taskState(h.queues.Submit, tasks.SubmitTaskID(id)); st != asynq.TaskStatePending {
			t.Errorf("submit task state %v, want pending", st)
		}
	})

	t.Run("AWaitingSubmitTaskIsLeftToItsBackoff", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		task, _ := tasks.NewSubmitTask(h.queues, id, time.Minute)
		if _, err := h.client.Enqueue(task, asynq.ProcessIn(time.Hour)); err != nil {
			t.Fatal(err)
		}
		h.sweep()
		if st := h.taskState(h.queues.Submit, tasks.SubmitTaskID(id)); st != asynq.TaskStateScheduled {
			t.Errorf("submit task state %v, want still scheduled", st)
		}
	})

	t.Run("ASubmittedPayoutWhosePollWasDeletedIsPolledAgain", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		_ = h.submit(id)
		if err := h.insp.DeleteTask(h.queues.Poll, tasks.PollTaskID(id, 1)); err != nil {
			t.Fatal(err)
		}
		h.sweep()
		rec := h.get(id)
		if rec.PollSeq != 2 || h.taskState(h.queues.Poll, tasks.PollTaskID(id, 2)) == 0 {
			t.Fatalf("poll_seq %d, poll 2 present %v; want 2 and a poll", rec.PollSeq, h.taskState(h.queues.Poll, tasks.PollTaskID(id, 2)) != 0)
		}
		if got := h.pollUntilTerminal(id); got.State != tasks.StateSucceeded {
			t.Errorf("state %s, want succeeded", got.State)
		}
	})

	t.Run("ASubmittedPayoutWithALivePollIsLeftAlone", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		_ = h.submit(id)
		h.sweep()
		if rec := h.get(id); rec.PollSeq != 1 {
			t.Errorf("poll_seq %d, want 1: the live chain must not be superseded", rec.PollSeq)
		}
	})

	t.Run("GaugesCountOpenPayoutsAndStuckOnes", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, []testOption{func(c *Config) { c.StuckAfter = time.Millisecond }})
		queued, unconfirmed, submitted := h.newPayout(), h.newPayout(), h.newPayout()
		forceUnconfirmed(t, h, unconfirmed)
		h.fake.SetFate(submitted, cregis.StatusPendingApproval)
		_ = h.submit(submitted)
		done := h.newPayout()
		_ = h.submit(done)
		h.pollUntilTerminal(done)
		h.sweep()
		m := h.metrics
		got := []float64{
			metricValue(t, m.Payouts.WithLabelValues("queued")), metricValue(t, m.Payouts.WithLabelValues("submitted")),
			metricValue(t, m.Payouts.WithLabelValues("unconfirmed")), metricValue(t, m.Unconfirmed), metricValue(t, m.Stuck),
		}
		want := []float64{1, 1, 1, 1, 3}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("gauges queued, submitted, unconfirmed, unconfirmed, stuck = %v, want %v", got, want)
			}
		}
		if metricValue(t, m.OldestOpen) <= 0 {
			t.Error("oldest open age is 0, want > 0")
		}
		if !h.get(queued).Stuck || !h.get(unconfirmed).Stuck || h.get(done).Stuck {
			t.Error("want the open payouts flagged stuck and the terminal one not")
		}
	})

	t.Run("OnlyOneSweepRunsAtATime", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		unlock, err := h.p.lock(ctx, "lock:sweep", sweepLockTTL)
		if err != nil {
			t.Fatal(err)
		}
		id := h.newPayout()
		h.sweep()
		if st := h.taskState(h.queues.Submit, tasks.SubmitTaskID(id)); st != 0 {
			t.Errorf("a second sweep re-drove a payout (task state %v) while another held the lock", st)
		}
		unlock()
		h.sweep()
		if st := h.taskState(h.queues.Submit, tasks.SubmitTaskID(id)); st != asynq.TaskStatePending {
			t.Errorf("after the lock was released: task state %v, want pending", st)
		}
	})
}

func TestSweepRunsAtStartUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.newPayout() // recorded; no task
	h.runServer(h.p, ServerConfig{Scheduler: true, SweepInterval: time.Hour})
	eventually(t, 10*time.Second, func() bool {
		return metricValue(t, h.metrics.Payouts.WithLabelValues(string(tasks.StateQueued))) == 1
	}, "the gauges were not set at start-up (the sweep waits for SweepInterval)")
}

func TestSweepThatReachesItsTimeLimitContinuesWhereItStopped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.p.sweepPageSize = 2
	var ids []string
	for range 5 {
		ids = append(ids, h.newPayout())
	}
	// A deadline inside the margin: the time limit has passed from the start,
	// so each sweep walks one page, then stops (while its context still lives).
	sweepOnce := func() {
		ctx, cancel := context.WithTimeout(context.Background(), sweepMargin-time.Second)
		defer cancel()
		if err := h.p.HandleSweep(ctx, nil); err != nil {
			t.Fatalf("sweep: %v", err)
		}
	}
	var counted []float64
	for range 3 {
		sweepOnce()
		counted = append(counted, metricValue(t, h.metrics.Payouts.WithLabelValues(string(tasks.StateQueued))))
	}
	if want := []float64{2, 2, 1}; !slices.Equal(counted, want) {
		t.Errorf("queued counted per sweep %v, want %v: each sweep publishes its page and the next continues", counted, want)
	}
	for _, id := range ids {
		if st := h.taskState(h.queues.Submit, tasks.SubmitTaskID(id)); st != asynq.TaskStatePending {
			t.Errorf("payout %s: submit task state %v, want pending: every open payout is visited", id, st)
		}
	}
	if n, _ := h.rdb.Exists(context.Background(), h.p.sweepCursorKey()).Result(); n != 0 {
		t.Error("the cursor is still set after the walk reached the end; want it reset")
	}
}
