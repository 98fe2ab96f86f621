package worker

import (
	"context"
	"testing"
	"time"

	"github.com/payoutd/payoutd/tasks"
)

func TestRetention(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	later := func(d time.Duration) func() time.Time { return func() time.Time { return time.Now().Add(d) } }

	t.Run("ARecordTerminalForLongerIsRemovedWithEveryKeyAndTaskAndTheOthersStay", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, []testOption{func(c *Config) { c.RecordRetention = time.Hour }})
		old, open, recent := h.newPayout(), h.newPayout(), h.newPayout()
		if err := h.submit(old); err != nil {
			t.Fatal(err)
		}
		h.pollUntilTerminal(old)                                                   // settled now
		h.rdb.HSet(ctx, h.p.verificationKey(old), "9007199254740993", "ok:digest") // a verification decision
		h.cfg.Store = tasks.NewStore(h.rdb, tasks.StoreConfig{KeyPrefix: h.redis.Prefix, NowFunc: later(90 * time.Minute)})
		if _, err := h.pipeline(h.cfg).Cancel(ctx, recent); err != nil { // settled in 90 minutes
			t.Fatal(err)
		}
		h.cfg.NowFunc = later(2 * time.Hour) // the sweeper, in two hours: only old is past the hour
		h.p = h.pipeline(h.cfg)
		h.sweep()
		if _, err := h.store.Get(ctx, old); err == nil {
			t.Fatalf("the settled record %s is still there after the retention window", old)
		}
		for _, k := range h.p.payoutKeys(old) {
			if n, _ := h.rdb.Exists(ctx, k).Result(); n != 0 {
				t.Errorf("key %s survived the retention", k)
			}
		}
		for _, st := range tasks.States {
			if n, _ := h.rdb.ZScore(ctx, h.redis.Prefix+"payouts:state:"+string(st), old).Result(); n != 0 {
				t.Errorf("index %s still holds %s", st, old)
			}
		}
		if recs, _, _ := h.store.List(ctx, tasks.ListOptions{}); len(recs) != 2 {
			t.Errorf("List holds %d records, want the 2 not expired", len(recs))
		}
		h.get(open)
		if h.taskState(h.queues.Poll, tasks.PollTaskID(old, 1)) != 0 {
			t.Error("the removed payout's poll task survived")
		}
	})

	t.Run("ZeroKeepsEveryRecord", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, []testOption{func(c *Config) { c.NowFunc = later(1e5 * time.Hour) }})
		id := h.newPayout()
		_, _ = h.p.Cancel(ctx, id)
		h.sweep()
		h.get(id)
	})
}
