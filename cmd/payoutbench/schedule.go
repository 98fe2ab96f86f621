package main

import (
	"context"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
	"github.com/payoutd/payoutd/internal/clock"
	"github.com/payoutd/payoutd/tasks"
)

// realisticTimeline is the life of a payout the schedule is measured on
// (worker/schedule_test.go's), then succeeded (6).
var realisticTimeline = cregistest.RealisticDwell

// scheduleStep is the fast clock's tick: the timeline moves on by this
// much at a time, and whatever is due then runs.
const scheduleStep = time.Second

// scheduleLimit is how much timeline a run may take before it is broken.
const scheduleLimit = 3 * time.Hour

// scheduleResult is what the schedule cost on the realistic timeline.
type scheduleResult struct {
	n             int
	meanCalls     float64       // Cregis calls (create and queries) a payout
	maxCalls      int           // the most any payout needed
	medianLatency time.Duration // from Cregis reaching 6 to the record saying so
}

// scheduleRun is one run of the schedule: payoutd with production poll
// intervals, a fake and one manual clock driving both. The run plays
// asynq's scheduler: it reads each payout's next poll delay from the task
// payoutd enqueued and runs the poll when the clock reaches it, and it runs
// the confirm tasks of the hints callbacks leave.
type scheduleRun struct {
	clock *cregistest.Clock
	st    *stack
	insp  *asynq.Inspector
	due   map[string]time.Time
}

// measureSchedule runs n payouts through realisticTimeline on a fast clock,
// with or without callbacks (delivered to payoutd's HTTP surface), and
// counts the Cregis calls each made.
func (b *bench) measureSchedule(ctx context.Context, n int, callbacks bool) (scheduleResult, error) {
	if err := b.redis.flush(ctx); err != nil {
		return scheduleResult{}, err
	}
	clock := cregistest.NewClock(time.Now())
	fake, err := cregistest.Start(cregistest.Config{Dwell: realisticTimeline, NowFunc: clock.Now, DisableCallbacks: !callbacks})
	if err != nil {
		return scheduleResult{}, err
	}
	defer fake.Close()
	r, stop, err := b.newScheduleRun(fake, clock, callbacks)
	if err != nil {
		return scheduleResult{}, err
	}
	defer stop()
	reqs := newRequests("sched", n)
	if err := r.submitAll(ctx, reqs); err != nil {
		return scheduleResult{}, err
	}
	if err := r.playTimeline(ctx); err != nil {
		return scheduleResult{}, err
	}
	return r.figures(ctx, ids(reqs))
}

// newScheduleRun builds payoutd for the run, with its callback receiver
// (the HTTP surface) when callbacks are on.
func (b *bench) newScheduleRun(fake *cregistest.Server, clock *cregistest.Clock, callbacks bool) (*scheduleRun, func(), error) {
	cfg := stackConfig{fake: fake, now: clock.Now}
	var ln net.Listener
	if callbacks {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, nil, err
		}
		cfg.callbackURL = "http://" + ln.Addr().String() + "/cregis/callback"
	}
	st, err := b.newStack(cfg)
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return nil, nil, err
	}
	stop := st.close
	if ln != nil {
		_, stopAPI, err := b.serveAPIOn(ln, st)
		if err != nil {
			st.close()
			return nil, nil, err
		}
		stop = func() { stopAPI(); st.close() }
	}
	r := &scheduleRun{clock: clock, st: st, insp: asynq.NewInspectorFromRedisClient(st.rdb), due: map[string]time.Time{}}
	return r, stop, nil
}

// submitAll creates each payout's record and runs its submit handler, as
// the worker would, and notes when its first poll is due.
func (r *scheduleRun) submitAll(ctx context.Context, reqs []tasks.Request) error {
	for _, req := range reqs {
		if _, _, err := r.st.store.Create(ctx, req); err != nil {
			return err
		}
		t, err := tasks.NewSubmitTask(r.st.queues, req.ThirdPartyID, time.Minute)
		if err != nil {
			return err
		}
		if err := r.st.pipeline.HandleSubmit(ctx, t); err != nil {
			return fmt.Errorf("submit %s: %w", req.ThirdPartyID, err)
		}
		if err := r.scheduleNext(ctx, req.ThirdPartyID); err != nil {
			return err
		}
	}
	return nil
}

// playTimeline moves the clock a step at a time until every payout is
// terminal, running the polls that are due and the hints' confirms.
func (r *scheduleRun) playTimeline(ctx context.Context) error {
	for limit := r.clock.Now().Add(scheduleLimit); len(r.due) > 0; {
		if !r.clock.Now().Before(limit) {
			return fmt.Errorf("schedule: %d payouts not terminal after %s of timeline", len(r.due), scheduleLimit)
		}
		r.clock.Advance(scheduleStep)
		for id := range r.due {
			if err := r.step(ctx, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// step brings one payout up to the clock: its callback delivered, its
// hints confirmed, its poll run when due.
func (r *scheduleRun) step(ctx context.Context, id string) error {
	if err := r.awaitCallback(ctx, id); err != nil {
		return err
	}
	rec, err := r.settleHints(ctx, id)
	switch {
	case err != nil:
		return err
	case rec.State.Terminal():
		delete(r.due, id)
		return nil
	case r.clock.Now().Before(r.due[id]):
		return nil
	}
	t, err := tasks.NewPollTask(r.st.queues, id, rec.PollSeq, 0, time.Minute)
	if err != nil {
		return err
	}
	_ = r.st.pipeline.HandlePoll(ctx, t) // an error asks to come back later; the poll task says when
	return r.scheduleNext(ctx, id)
}

// scheduleNext reads the delay of the payout's current poll task, which
// the run (not asynq) will run, and deletes the task.
func (r *scheduleRun) scheduleNext(ctx context.Context, id string) error {
	rec, err := r.st.store.Get(ctx, id)
	if err != nil {
		return err
	}
	info, err := r.insp.GetTaskInfo(r.st.queues.Poll, tasks.PollTaskID(id, rec.PollSeq))
	if err != nil {
		r.due[id] = r.clock.Now().Add(time.Hour) // none (terminal): nothing to run
		return nil
	}
	_ = r.insp.DeleteTask(r.st.queues.Poll, info.ID)
	r.due[id] = r.clock.Now().Add(time.Until(info.NextProcessAt) + scheduleStep/2)
	return nil
}

// awaitCallback waits, when the fake's payout has reached a status that
// sends a callback, until the fake has delivered it.
func (r *scheduleRun) awaitCallback(ctx context.Context, id string) error {
	fp, ok := r.st.fake.PayoutByThirdPartyID(id)
	if !ok || !fp.Status.Terminal() || fp.Status == cregis.StatusApprovalCancelled || fp.CallbackURL == "" {
		return nil
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(r.st.fake.CallbacksFor(fp.CID)) == 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("schedule: the fake never delivered the callback of %s", id)
		}
		if err := clock.Sleep(ctx, 2*time.Millisecond); err != nil { // no event to await: poll the fake
			return err
		}
	}
	return nil
}

// settleHints runs the confirm handler for each pending hint once, as the
// worker would, and returns the record as it is then.
func (r *scheduleRun) settleHints(ctx context.Context, id string) (*tasks.Record, error) {
	rec, err := r.st.store.Get(ctx, id)
	if err != nil || len(rec.PendingHints()) == 0 {
		return rec, err
	}
	for _, cid := range rec.PendingHints() {
		t, err := tasks.NewConfirmTask(r.st.queues, id, cid, 0, time.Minute)
		if err != nil {
			return nil, err
		}
		_ = r.st.pipeline.HandleConfirm(ctx, t) // waiting answers are tried again next step
	}
	return r.st.store.Get(ctx, id)
}

// figures sums up the calls and latencies of the payouts, and fails the
// run when one did not succeed or was created more than once.
func (r *scheduleRun) figures(ctx context.Context, ids []string) (scheduleResult, error) {
	res := scheduleResult{n: len(ids)}
	var latencies []time.Duration
	for _, id := range ids {
		rec, err := r.st.store.Get(ctx, id)
		if err != nil {
			return res, err
		}
		fp, _ := r.st.fake.PayoutByThirdPartyID(id)
		if rec.State != tasks.StateSucceeded || r.st.fake.Creates(id) != 1 {
			return res, fmt.Errorf("schedule: %s is %s after %d creates, want succeeded after 1", id, rec.State, r.st.fake.Creates(id))
		}
		calls := r.st.fake.Creates(id) + r.st.fake.Queries(fp.CID)
		res.meanCalls += float64(calls) / float64(len(ids))
		res.maxCalls = max(res.maxCalls, calls)
		latencies = append(latencies, rec.History[len(rec.History)-1].At.Sub(reached(fp, cregis.StatusSucceeded)))
	}
	if len(r.st.fake.Payouts()) != len(ids) {
		return res, fmt.Errorf("schedule: the fake holds %d payouts, want %d", len(r.st.fake.Payouts()), len(ids))
	}
	slices.Sort(latencies)
	res.medianLatency = latencies[len(latencies)/2]
	return res, nil
}

// reached is when the fake's payout entered status.
func reached(fp cregistest.Payout, status cregis.Status) time.Time {
	for _, c := range fp.History {
		if c.Status == status {
			return c.At
		}
	}
	return time.Time{}
}
