package worker

import (
	"slices"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
	"github.com/payoutd/payoutd/tasks"
)

// realisticTimeline is the life of a payout the schedule is measured on,
// then succeeded (6).
var realisticTimeline = cregistest.RealisticDwell

// scheduleFigures is what measureSchedule found, in timeline time.
type scheduleFigures struct {
	callsPerPayout float64       // Cregis calls (create and queries) a payout, mean
	maxCalls       int           // the most any payout needed
	medianLatency  time.Duration // from Cregis reaching 6 to the record saying so
}

// scheduleStep is the fast clock's tick: the timeline moves on by this
// much at a time, and whatever is due then runs.
const scheduleStep = time.Second

// measureSchedule runs n payouts through realisticTimeline on a fast
// clock, with or without callbacks, and counts the Cregis calls each made.
//
// The handlers, Redis and the fake are real and the configuration is the
// production default; only time is not. One manual clock drives the
// pipeline, the store and the fake, and the test plays asynq's scheduler:
// it reads the delay of each payout's next poll from the task payoutd
// enqueued (asynq keeps due times in whole seconds), and each
// scheduleStep of the timeline it runs the polls that are due and the
// confirm tasks of the hints the fake's callbacks left.
func measureSchedule(t testing.TB, n int, callbacks bool) scheduleFigures {
	clock := cregistest.NewClock(time.Now())
	h := newHarness(t, []testOption{func(c *Config) {
		c.NowFunc, c.PollMinInterval, c.PollMaxInterval = clock.Now, DefaultPollMinInterval, DefaultPollMaxInterval
	}}, cregistest.WithDwell(realisticTimeline), cregistest.WithNowFunc(clock.Now))
	h.store = tasks.NewStore(h.rdb, tasks.StoreConfig{KeyPrefix: h.redis.Prefix, NowFunc: clock.Now})
	h.cfg.Store = h.store
	h.p = h.pipeline(h.cfg)
	if callbacks {
		h.enableCallbacks()
	}
	due := map[string]time.Time{}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = h.newPayout()
		if err := h.submit(ids[i]); err != nil {
			t.Fatalf("submit: %v", err)
		}
		due[ids[i]] = clock.Now().Add(h.nextPollDelay(ids[i]))
	}
	for limit := clock.Now().Add(3 * time.Hour); len(due) > 0 && clock.Now().Before(limit); {
		clock.Advance(scheduleStep)
		for id, at := range due {
			h.awaitCallback(id)
			h.settleHints(id)
			if rec := h.get(id); rec.State.Terminal() {
				delete(due, id)
			} else if !clock.Now().Before(at) {
				if err := h.pollSeq(id, rec.PollSeq); err != nil && !isWaiting(err) {
					t.Fatalf("poll %s: %v", id, err)
				}
				due[id] = clock.Now().Add(h.nextPollDelay(id))
			}
		}
	}
	return h.scheduleFigures(ids)
}

// nextPollDelay reads the delay of the payout's current poll task.
func (h *harness) nextPollDelay(id string) time.Duration {
	rec := h.get(id)
	info, err := h.insp.GetTaskInfo(h.queues.Poll, tasks.PollTaskID(id, rec.PollSeq))
	if err != nil {
		return time.Hour // none (terminal): nothing to run
	}
	_ = h.insp.DeleteTask(h.queues.Poll, info.ID) // the test runs it, not asynq
	return time.Until(info.NextProcessAt) + scheduleStep/2
}

// awaitCallback waits, when the fake's payout has reached a status that
// sends a callback, until the fake has delivered it.
func (h *harness) awaitCallback(id string) {
	fp, ok := h.fake.PayoutByThirdPartyID(id)
	if !ok || !fp.Status.Terminal() || fp.Status == cregis.StatusApprovalCancelled || fp.CallbackURL == "" {
		return
	}
	eventually(h.t, 5*time.Second, func() bool { return len(h.fake.CallbacksFor(fp.CID)) > 0 },
		"the fake never delivered the callback of %s", id)
}

// scheduleFigures sums up the calls and latencies of settled payouts.
func (h *harness) scheduleFigures(ids []string) scheduleFigures {
	var f scheduleFigures
	var latencies []time.Duration
	for _, id := range ids {
		rec := h.get(id)
		fp, _ := h.fake.PayoutByThirdPartyID(id)
		if rec.State != tasks.StateSucceeded {
			h.t.Fatalf("%s: state %s, want succeeded", id, rec.State)
		}
		calls := h.fake.Creates(id) + h.fake.Queries(fp.CID)
		f.callsPerPayout += float64(calls) / float64(len(ids))
		f.maxCalls = max(f.maxCalls, calls)
		latencies = append(latencies, lastHistory(rec).At.Sub(reached(fp, cregis.StatusSucceeded)))
	}
	slices.Sort(latencies)
	f.medianLatency = latencies[len(latencies)/2]
	h.assertCreatedOnce(ids...)
	return f
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

func TestCallsAPayoutOnARealisticTimeline(t *testing.T) {
	t.Parallel()

	t.Run("WithCallbacksAtMostThreeAndTheOutcomeWithinSeconds", func(t *testing.T) {
		t.Parallel()
		f := measureSchedule(t, 10, true)
		if f.maxCalls > 3 || f.medianLatency > 5*time.Second {
			t.Errorf("a payout made up to %d Cregis calls (mean %.1f), median latency %s; want at most 3 (the create, the callback's query, one safety poll) and seconds",
				f.maxCalls, f.callsPerPayout, f.medianLatency)
		}
	})
	t.Run("WithoutCallbacksAtMost24AndTheOutcomeWithinAMinute", func(t *testing.T) {
		t.Parallel()
		f := measureSchedule(t, 10, false)
		if f.maxCalls > 24 || f.medianLatency > time.Minute {
			t.Errorf("a payout made up to %d Cregis calls (mean %.1f), median latency %s; want at most 24 and at most 60s",
				f.maxCalls, f.callsPerPayout, f.medianLatency)
		}
	})
}

// BenchmarkPollSchedule reports the schedule's figures on the realistic
// timeline (see measureSchedule): Cregis calls a payout and the median
// time from Cregis reaching the outcome to the record saying so, in
// timeline seconds. Run it with -benchtime=1x.
func BenchmarkPollSchedule(b *testing.B) {
	for _, callbacks := range []bool{true, false} {
		name := map[bool]string{true: "callbacks", false: "polling"}[callbacks]
		b.Run(name, func(b *testing.B) {
			var f scheduleFigures
			for range b.N {
				f = measureSchedule(b, 20, callbacks)
			}
			b.ReportMetric(f.callsPerPayout, "calls/payout")
			b.ReportMetric(float64(f.maxCalls), "max-calls")
			b.ReportMetric(f.medianLatency.Seconds(), "median-latency-s")
			b.ReportMetric(0, "ns/op")
		})
	}
}
