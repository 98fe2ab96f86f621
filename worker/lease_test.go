package worker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/payoutd/payoutd/tasks"
)

func TestLease(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)

	t.Run("ASecondHolderIsBusy", func(t *testing.T) {
		l, err := h.p.acquireLease(ctx, "a", time.Minute)
		if err != nil {
			t.Fatalf("acquire: %v", err)
		}
		defer l.release(ctx, true)
		if _, err := h.p.acquireLease(ctx, "a", time.Minute); !errors.Is(err, errBusy) {
			t.Fatalf("second acquire: got %v, want errBusy", err)
		}
	})

	t.Run("ReleaseFreesTheLease", func(t *testing.T) {
		l, _ := h.p.acquireLease(ctx, "b", time.Minute)
		if err := l.release(ctx, true); err != nil {
			t.Fatalf("release: %v", err)
		}
		l2, err := h.p.acquireLease(ctx, "b", time.Minute)
		if err != nil {
			t.Fatalf("acquire after release: got %v, want nil", err)
		}
		l2.release(ctx, true)
	})

	t.Run("AnExpiredHolderCannotReleaseItsSuccessorsLease", func(t *testing.T) {
		old, _ := h.p.acquireLease(ctx, "c", 50*time.Millisecond)
		var cur *lease
		eventually(t, 5*time.Second, func() bool {
			var err error
			cur, err = h.p.acquireLease(ctx, "c", time.Minute)
			return err == nil
		}, "the expired lease was never free again")
		if err := old.release(ctx, true); err != nil {
			t.Fatalf("late release: %v", err)
		}
		if _, err := h.p.acquireLease(ctx, "c", time.Minute); !errors.Is(err, errBusy) {
			t.Fatalf("after the old holder released: got %v, want errBusy (the successor still holds it)", err)
		}
		cur.release(ctx, true)
	})

	t.Run("TheUnsureMarkerIsStickyUntilClearedBySureRelease", func(t *testing.T) {
		l, _ := h.p.acquireLease(ctx, "d", time.Minute)
		if l.unsure {
			t.Fatal("first lease: unsure = true, want false")
		}
		l.release(ctx, false) // the call's outcome is unknown
		l, _ = h.p.acquireLease(ctx, "d", time.Minute)
		if !l.unsure {
			t.Fatal("after an unsure release: unsure = false, want true")
		}
		l.release(ctx, true)
		l, _ = h.p.acquireLease(ctx, "d", time.Minute)
		if l.unsure {
			t.Fatal("after a sure release: unsure = true, want false")
		}
		l.release(ctx, true)
	})

	t.Run("AHolderThatNeverReleasesLeavesTheMarkerSet", func(t *testing.T) {
		if _, err := h.p.acquireLease(ctx, "e", 50*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		var l *lease
		eventually(t, 5*time.Second, func() bool {
			var err error
			l, err = h.p.acquireLease(ctx, "e", time.Minute)
			return err == nil
		}, "the lease of a dead holder never expired")
		if !l.unsure {
			t.Fatal("after a holder died: unsure = false, want true")
		}
		l.release(ctx, true)
	})

	t.Run("KeysShareTheRecordsHashTag", func(t *testing.T) {
		want := "{x}"
		for _, k := range []string{h.p.leaseKey("x"), h.p.unsureKey("x"), h.store.RecordKey("x")} {
			if len(k) < len(want) || k[len(k)-len(want):] != want {
				t.Errorf("key %q does not end with the hash tag %q", k, want)
			}
		}
	})
}

// TestSubmitTakesTheLeaseWithTheMoveToSubmitting: the submit handler takes
// the lease in the step that writes submitting, so a held lease leaves the
// record as it was (no attempt counted, no call made), and the verdict's
// write gives it back with the unsure marker cleared.
func TestSubmitTakesTheLeaseWithTheMoveToSubmitting(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	id := h.newPayout()
	held, err := h.p.acquireLease(ctx, id, time.Minute) // another worker, mid-call
	if err != nil {
		t.Fatal(err)
	}
	if err := h.submit(id); !errors.Is(err, errBusy) {
		t.Fatalf("submit under another's lease: got %v, want errBusy", err)
	}
	if rec := h.get(id); rec.State != tasks.StateQueued || rec.Attempts != 0 || len(h.fake.Payouts()) != 0 {
		t.Fatalf("state %s, attempts %d, %d created; want the record untouched and no call", rec.State, rec.Attempts, len(h.fake.Payouts()))
	}
	if err := held.release(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := h.submit(id); err != nil {
		t.Fatalf("submit: %v", err)
	}
	if rec := h.get(id); rec.State != tasks.StateSubmitted || len(h.fake.Payouts()) != 1 {
		t.Fatalf("state %s, %d created; want submitted, created once", rec.State, len(h.fake.Payouts()))
	}
	if n := h.rdb.Exists(ctx, h.p.leaseKey(id), h.p.unsureKey(id)).Val(); n != 0 {
		t.Errorf("%d of the lease and the unsure marker remain after the verdict; want none", n)
	}
}
