package tasks

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/payoutd/payoutd/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// durableFixture is a Store with MinReplicas 1 over a private primary with
// one replica.
type durableFixture struct {
	*Store
	primary, replica *redistest.Redis
	replicaDB        *redis.Client
	ctx              context.Context
}

func newDurableFixture(t *testing.T) *durableFixture {
	t.Helper()
	primary := redistest.NewPrimary(t)
	replica := redistest.NewReplica(t, primary)
	s := NewStore(primary.Client(t), StoreConfig{KeyPrefix: primary.Prefix, MinReplicas: 1, WaitTimeout: time.Second})
	return &durableFixture{Store: s, primary: primary, replica: replica, replicaDB: replica.Client(t), ctx: context.Background()}
}

// loseReplica pauses the replica: it acknowledges nothing, so every WAIT
// times out (the primary still counts it as connected for a while).
func (f *durableFixture) loseReplica(t *testing.T) {
	t.Helper()
	f.replica.Pause(t)
}

// regainReplica resumes the replica, which catches up from its socket
// buffers and acknowledges again.
func (f *durableFixture) regainReplica(t *testing.T) {
	t.Helper()
	f.replica.Resume(t)
	f.replica.AwaitInfo(t, "master_link_status", "up")
}

func TestACreateWithMinReplicasIsOnTheReplicaWhenItReturns(t *testing.T) {
	f := newDurableFixture(t)
	for _, id := range []string{"d-1", "d-2", "d-3"} {
		if _, created, err := f.Create(f.ctx, validRequest(id)); err != nil || !created {
			t.Fatalf("Create(%s) = %v, %v; want created, nil", id, created, err)
		}
		if n, err := f.replicaDB.Exists(f.ctx, f.RecordKey(id)).Result(); err != nil || n != 1 {
			t.Fatalf("replica has %s: got %d, %v; want 1 right after Create", id, n, err)
		}
	}
}

func TestAnUnconfirmedCreateIsWrittenButNotDurableUntilSynced(t *testing.T) {
	f := newDurableFixture(t)
	f.loseReplica(t)
	req := validRequest("d-lost")
	rec, created, err := f.Create(f.ctx, req)
	if !errors.Is(err, ErrNotDurable) || !created || rec == nil {
		t.Fatalf("Create without a replica = %v, %v; want the record, created, ErrNotDurable", created, err)
	}
	if _, created, err := f.Create(f.ctx, req); !errors.Is(err, ErrNotDurable) || created {
		t.Fatalf("the same Create again without a replica = %v, %v; want not created, ErrNotDurable", created, err)
	}
	f.regainReplica(t)
	if _, created, err := f.Create(f.ctx, req); err != nil || created {
		t.Fatalf("the same Create again with the replica back = %v, %v; want not created, nil", created, err)
	}
	if err := f.Sync(f.ctx, req.ThirdPartyID); err != nil {
		t.Fatalf("Sync with the replica back: %v", err)
	}
}

func TestUpdateWaitsOnlyForTerminalTransitions(t *testing.T) {
	f := newDurableFixture(t)
	id := "d-upd"
	if _, _, err := f.Create(f.ctx, validRequest(id)); err != nil {
		t.Fatal(err)
	}
	f.loseReplica(t)
	move := func(to State) error {
		_, err := f.Update(f.ctx, id, "test", func(r *Record) error { r.State = to; return nil })
		return err
	}
	if err := move(StateSubmitting); err != nil {
		t.Fatalf("non-terminal Update without a replica: %v; want nil (no WAIT)", err)
	}
	if err := move(StateRejected); !errors.Is(err, ErrNotDurable) {
		t.Fatalf("terminal Update without a replica: %v; want ErrNotDurable", err)
	}
	if rec, err := f.Get(f.ctx, id); err != nil || rec.State != StateRejected {
		t.Fatalf("after the unconfirmed terminal Update: %v, %v; want it written (rejected)", rec, err)
	}
}

func TestUpdateDurableSyncsAReplayThatChangesNothing(t *testing.T) {
	f := newDurableFixture(t)
	id := "d-replay"
	if _, _, err := f.Create(f.ctx, validRequest(id)); err != nil {
		t.Fatal(err)
	}
	f.loseReplica(t)
	submit := func(r *Record) error { r.State = StateSubmitting; return nil }
	if _, err := f.UpdateDurable(f.ctx, id, "test", submit); !errors.Is(err, ErrNotDurable) {
		t.Fatalf("UpdateDurable without a replica: %v; want ErrNotDurable", err)
	}
	if _, err := f.UpdateDurable(f.ctx, id, "test", submit); !errors.Is(err, ErrNotDurable) {
		t.Fatalf("the same UpdateDurable again (no change) without a replica: %v; want ErrNotDurable", err)
	}
	f.regainReplica(t)
	if rec, err := f.UpdateDurable(f.ctx, id, "test", submit); err != nil || rec.State != StateSubmitting {
		t.Fatalf("the replay with the replica back: %v, %v; want submitting, nil", rec, err)
	}
}

func TestUpdateDurableOfATerminalRecordStillSyncs(t *testing.T) {
	f := newDurableFixture(t)
	id := "d-term"
	f.Create(f.ctx, validRequest(id))
	if _, err := f.Update(f.ctx, id, "test", func(r *Record) error { r.State = StateRejected; return nil }); err != nil {
		t.Fatal(err)
	}
	f.loseReplica(t)
	_, err := f.UpdateDurable(f.ctx, id, "test", func(*Record) error { return nil })
	if !errors.Is(err, ErrNotDurable) || errors.Is(err, ErrIllegalTransition) {
		t.Fatalf("UpdateDurable of a terminal record without a replica: %v; want ErrNotDurable only", err)
	}
	f.regainReplica(t)
	if _, err := f.UpdateDurable(f.ctx, id, "test", func(*Record) error { return nil }); !errors.Is(err, ErrIllegalTransition) {
		t.Fatalf("UpdateDurable of a terminal record with the replica: %v; want ErrIllegalTransition", err)
	}
}

func TestWithoutMinReplicasNothingWaitsAndSyncMakesNoRoundTrip(t *testing.T) {
	primary := redistest.NewPrimary(t)
	replica := redistest.NewReplica(t, primary)
	rdb := primary.Client(t)
	c := &redistest.Counter{}
	rdb.AddHook(c)
	s := NewStore(rdb, StoreConfig{KeyPrefix: primary.Prefix})
	replica.Pause(t) // a WAIT now would time out: none may be sent
	ctx := context.Background()
	if _, _, err := s.Create(ctx, validRequest("z-1")); err != nil {
		t.Fatalf("Create without MinReplicas and without a replica: %v", err)
	}
	if _, err := s.Update(ctx, "z-1", "t", func(r *Record) error { r.State = StateRejected; return nil }); err != nil {
		t.Fatalf("terminal Update without MinReplicas: %v", err)
	}
	c.Take()
	if _, err := s.UpdateDurable(ctx, "z-1", "t", func(*Record) error { return nil }); !errors.Is(err, ErrIllegalTransition) {
		t.Fatalf("UpdateDurable of a terminal record without MinReplicas: %v", err)
	}
	if err := s.Sync(ctx, "z-1"); err != nil {
		t.Fatal(err)
	}
	if trips, _ := c.Take(); trips != 1 {
		t.Errorf("UpdateDurable (a read) and Sync without MinReplicas: %d round trips, want 1", trips)
	}
}
