package worker

import (
	"testing"
	"time"

	"github.com/payoutd/payoutd/internal/redistest"
	"github.com/payoutd/payoutd/tasks"
)

func TestAVerdictTheReplicasDidNotConfirmIsWaitedForWhileTheLeaseLasts(t *testing.T) {
	h := newHarness(t, nil)
	replica := redistest.NewReplica(t, h.redis)
	cfg := h.cfg
	cfg.Store = tasks.NewStore(h.rdb, tasks.StoreConfig{KeyPrefix: h.redis.Prefix, MinReplicas: 1, WaitTimeout: 100 * time.Millisecond})
	p := h.pipeline(cfg)
	id := h.newPayout()
	replica.Pause(t) // connected, but acknowledges nothing: every WAIT times out
	done := make(chan error, 1)
	go func() { done <- h.submitWith(p, id) }()
	eventually(t, 10*time.Second, func() bool { return h.get(id).State == tasks.StateSubmitted },
		"the verdict written on the primary")
	select {
	case err := <-done:
		t.Fatalf("submit returned %v before the replicas confirmed its verdict; want it to keep waiting", err)
	case <-time.After(300 * time.Millisecond): // several WAITs: it is still retrying
	}
	replica.Resume(t)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("submit after the replica came back: %v, want nil", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("submit did not return after the replica came back")
	}
	onReplica := tasks.NewStore(replica.Client(t), tasks.StoreConfig{KeyPrefix: h.redis.Prefix})
	if rec, err := onReplica.Get(t.Context(), id); err != nil || rec.State != tasks.StateSubmitted || rec.CID == "" {
		t.Fatalf("on the replica: %+v, %v; want submitted with its cid", rec, err)
	}
	if n := len(h.fake.Payouts()); n != 1 {
		t.Fatalf("the fake holds %d payouts, want 1", n)
	}
}
