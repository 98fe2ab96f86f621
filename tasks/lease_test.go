package tasks

import (
	"errors"
	"testing"
	"time"
)

func TestUpdateWith(t *testing.T) {
	t.Run("AStaleFromLosesOnceAndAppliesToTheCurrentRecord", func(t *testing.T) {
		f := newStoreFixture(t)
		stale := f.create(t, validRequest("a"))
		bump := func(r *Record) error { r.Attempts++; return nil }
		if _, err := f.Update(f.ctx, "a", "", bump); err != nil {
			t.Fatal(err)
		}
		rec, res, err := f.UpdateWith(f.ctx, "a", "", UpdateOptions{From: stale}, bump)
		if err != nil || !res.Wrote || rec.Attempts != 2 {
			t.Fatalf("got attempts %v, %+v, %v; want 2, written", rec, res, err)
		}
	})
	t.Run("ANoChangeDecidedOnAStaleFromIsCheckedAgainstTheRecord", func(t *testing.T) {
		f := newStoreFixture(t)
		stale := f.create(t, validRequest("b"))
		if _, err := f.Update(f.ctx, "b", "", func(r *Record) error { r.Attempts = 1; return nil }); err != nil {
			t.Fatal(err)
		}
		rec, res, err := f.UpdateWith(f.ctx, "b", "", UpdateOptions{From: stale}, func(r *Record) error {
			if r.Attempts > 0 {
				r.LastError = "seen the attempt"
			}
			return nil
		})
		if err != nil || !res.Wrote || rec.LastError != "seen the attempt" {
			t.Fatalf("got %+v, %+v, %v; want the current record's change written", rec, res, err)
		}
	})
	t.Run("AHeldLeaseWritesNothing", func(t *testing.T) {
		f := newStoreFixture(t)
		f.create(t, validRequest("c"))
		l := Lease{Key: f.cfg.KeyPrefix + "lease:{c}", MarkerKey: f.cfg.KeyPrefix + "unsure:{c}", Token: "mine", TTL: time.Minute}
		other := l
		other.Token = "theirs"
		if _, err := f.TakeLease(f.ctx, other); err != nil {
			t.Fatal(err)
		}
		_, res, err := f.UpdateWith(f.ctx, "c", "", UpdateOptions{Take: &l}, func(r *Record) error { r.Attempts++; return nil })
		if !errors.Is(err, ErrLeaseHeld) || res.Wrote {
			t.Fatalf("got %+v, %v; want ErrLeaseHeld, nothing written", res, err)
		}
		if rec, _ := f.Get(f.ctx, "c"); rec.Attempts != 0 {
			t.Fatalf("attempts %d; want the record untouched", rec.Attempts)
		}
	})
	t.Run("GiveBackOnlyWithAWriteAndOnlyItsOwnToken", func(t *testing.T) {
		f := newStoreFixture(t)
		f.create(t, validRequest("d"))
		l := Lease{Key: f.cfg.KeyPrefix + "lease:{d}", MarkerKey: f.cfg.KeyPrefix + "unsure:{d}", Token: "mine", TTL: time.Minute}
		if _, _, err := f.UpdateWith(f.ctx, "d", "", UpdateOptions{Take: &l}, func(r *Record) error { r.Attempts++; return nil }); err != nil {
			t.Fatal(err)
		}
		_, res, err := f.UpdateWith(f.ctx, "d", "", UpdateOptions{Give: &l, ClearMarker: true}, func(*Record) error { return nil })
		if err != nil || res.Wrote || res.Lease || f.rdb.Exists(f.ctx, l.Key).Val() != 1 {
			t.Fatalf("a give without a write: %+v, %v; want nothing given back", res, err)
		}
		stranger := l
		stranger.Token = "not mine"
		_, res, err = f.UpdateWith(f.ctx, "d", "", UpdateOptions{Give: &stranger, ClearMarker: true}, func(r *Record) error { r.Attempts++; return nil })
		if err != nil || !res.Wrote || res.Lease || f.rdb.Exists(f.ctx, l.Key, l.MarkerKey).Val() != 2 {
			t.Fatalf("a give with another token: %+v, %v; want the write, the lease and marker kept", res, err)
		}
		_, res, err = f.UpdateWith(f.ctx, "d", "", UpdateOptions{Give: &l, ClearMarker: true}, func(r *Record) error { r.Attempts++; return nil })
		if err != nil || !res.Lease || f.rdb.Exists(f.ctx, l.Key, l.MarkerKey).Val() != 0 {
			t.Fatalf("a give with its token: %+v, %v; want the lease and marker gone", res, err)
		}
	})
}
