package tasks

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/payoutd/payoutd/internal/redistest"
)

// TestStoreOnRedisCluster runs a payout's life through the store on a Redis
// Cluster, where a script may only touch one slot: the record's writes run
// alone (with the lease keys of its hash tag) and the index and event
// writes follow in a pipeline. A key outside the record's slot in a script
// would fail here with CROSSSLOT.
func TestStoreOnRedisCluster(t *testing.T) {
	r := redistest.NewCluster(t)
	rdb := r.ClusterClient(t)
	clock := newTestClock()
	s := NewStore(rdb, StoreConfig{KeyPrefix: r.Prefix, NowFunc: clock.Now,
		IndexErrorFunc: func(id string, err error) { t.Errorf("index write of %s failed: %v", id, err) }})
	ctx := context.Background()
	req := validRequest("cluster-1")

	rec, created, err := s.Create(ctx, req)
	if err != nil || !created {
		t.Fatalf("Create = %v, %v; want created", created, err)
	}
	if _, created, err := s.Create(ctx, req); err != nil || created {
		t.Fatalf("Create again = %v, %v; want the existing record", created, err)
	}
	other := req
	other.Amount = "2"
	if _, _, err := s.Create(ctx, other); !errors.Is(err, ErrConflict) {
		t.Fatalf("Create of another request = %v; want ErrConflict", err)
	}

	l := Lease{Key: r.Prefix + "lease:{cluster-1}", MarkerKey: r.Prefix + "unsure:{cluster-1}", Token: "t1", TTL: time.Minute}
	rec, res, err := s.UpdateWith(ctx, req.ThirdPartyID, "create attempt", UpdateOptions{From: rec, Take: &l}, func(r *Record) error {
		r.State, r.Attempts = StateSubmitting, r.Attempts+1
		return nil
	})
	if err != nil || !res.Wrote || res.Lease {
		t.Fatalf("taking update = %+v, %v; want a write, the marker unset before", res, err)
	}
	l2 := l
	l2.Token = "t2"
	if _, _, err := s.UpdateWith(ctx, req.ThirdPartyID, "", UpdateOptions{Take: &l2}, func(r *Record) error {
		r.Attempts++
		return nil
	}); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("a second take = %v; want ErrLeaseHeld", err)
	}
	rec, res, err = s.UpdateWith(ctx, req.ThirdPartyID, "created", UpdateOptions{From: rec, Give: &l, ClearMarker: true}, func(r *Record) error {
		r.State, r.CID = StateSucceeded, "42"
		return nil
	})
	if err != nil || !res.Wrote || !res.Lease || rec.State != StateSucceeded {
		t.Fatalf("giving update = %+v, %v, %v; want a write that gave the lease back", res, rec, err)
	}
	if n := rdb.Exists(ctx, l.Key, l.MarkerKey).Val(); n != 0 {
		t.Errorf("%d of the lease and its marker remain; want none", n)
	}

	got, _, err := s.List(ctx, ListOptions{State: StateSucceeded})
	if err != nil || len(got) != 1 || got[0].ThirdPartyID != req.ThirdPartyID {
		t.Errorf("List(succeeded) = %v, %v; want the record", got, err)
	}
	if open, err := s.Open(ctx, 10); err != nil || len(open) != 0 {
		t.Errorf("Open = %v, %v; want none", open, err)
	}
	if n := rdb.XLen(ctx, s.EventsKey()).Val(); n != 3 {
		t.Errorf("events: %d, want 3 (created, submitting, succeeded)", n)
	}
	clock.Advance(time.Hour)
	if removed, err := s.Remove(ctx, req.ThirdPartyID, clock.Now()); err != nil || removed == nil {
		t.Errorf("Remove = %v, %v; want it removed", removed, err)
	}
}
