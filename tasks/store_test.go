package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payoutd/payoutd/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// testClock is a NowFunc the test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// storeFixture is a Store over a private Redis with a hand-moved clock.
type storeFixture struct {
	*Store
	rdb   *redis.Client
	clock *testClock
	ctx   context.Context
}

func newStoreFixture(t *testing.T) *storeFixture {
	t.Helper()
	r := redistest.New(t)
	rdb := r.Client(t)
	clock := newTestClock()
	s := NewStore(rdb, StoreConfig{KeyPrefix: r.Prefix, NowFunc: clock.Now,
		IndexErrorFunc: func(id string, err error) { t.Errorf("index write of %s failed: %v", id, err) }})
	return &storeFixture{Store: s, rdb: rdb, clock: clock, ctx: context.Background()}
}

func (f *storeFixture) create(t *testing.T, req Request) *Record {
	t.Helper()
	rec, created, err := f.Create(f.ctx, req)
	if err != nil || !created {
		t.Fatalf("Create(%s) = created %v, %v; want a new record", req.ThirdPartyID, created, err)
	}
	return rec
}

// pathTo lists the legal moves from queued to each state.
var pathTo = map[State][]State{
	StateQueued:      {},
	StateSubmitting:  {StateSubmitting},
	StateSubmitted:   {StateSubmitting, StateSubmitted},
	StateUnconfirmed: {StateSubmitting, StateUnconfirmed},
	StateSucceeded:   {StateSubmitting, StateSubmitted, StateSucceeded},
	StateFailed:      {StateSubmitting, StateSubmitted, StateFailed},
	StateRejected:    {StateRejected},
	StateCanceled:    {StateSubmitting, StateCanceled},
}

// recordIn creates a record and moves it to state through legal updates.
func (f *storeFixture) recordIn(t *testing.T, id string, state State) *Record {
	t.Helper()
	rec := f.create(t, validRequest(id))
	for _, st := range pathTo[state] {
		rec = f.moveTo(t, id, st)
	}
	return rec
}

func (f *storeFixture) moveTo(t *testing.T, id string, st State) *Record {
	t.Helper()
	rec, err := f.Update(f.ctx, id, "test", func(r *Record) error {
		r.State = st
		if st == StateSubmitted {
			r.CID = "1382626461605888"
		}
		return nil
	})
	if err != nil {
		t.Fatalf("move %s to %s: %v", id, st, err)
	}
	return rec
}

func (f *storeFixture) raw(t *testing.T, id string) string {
	t.Helper()
	b, err := f.rdb.Get(f.ctx, f.RecordKey(id)).Result()
	if err != nil {
		t.Fatalf("read record %s: %v", id, err)
	}
	return b
}

func TestStoreCreate(t *testing.T) {
	t.Run("CreatesAQueuedRecordWithItsHistory", func(t *testing.T) {
		f := newStoreFixture(t)
		rec := f.create(t, validRequest("order-1"))
		got, err := f.Get(f.ctx, "order-1")
		if err != nil {
			t.Fatal(err)
		}
		now := f.clock.Now()
		if got.State != StateQueued || got.Amount != "1.5" || !got.CreatedAt.Equal(now) || !got.UpdatedAt.Equal(now) {
			t.Fatalf("got %+v, want a queued record of 1.5 created at %v", got, now)
		}
		if len(got.History) != 1 || got.History[0].To != StateQueued || got.History[0].From != "" {
			t.Fatalf("got history %+v, want one creation entry", got.History)
		}
		if rec.State != got.State || !rec.CreatedAt.Equal(got.CreatedAt) {
			t.Fatalf("Create returned %+v, Get %+v", rec, got)
		}
	})
	t.Run("KeyCarriesTheIDAsHashTag", func(t *testing.T) {
		f := newStoreFixture(t)
		f.create(t, validRequest("order-1"))
		if !strings.HasSuffix(f.RecordKey("order-1"), "payout:{order-1}") {
			t.Fatalf("got key %q, want it to end in payout:{order-1}", f.RecordKey("order-1"))
		}
		if n, _ := f.rdb.Exists(f.ctx, f.RecordKey("order-1")).Result(); n != 1 {
			t.Fatalf("record key %q: got %d keys, want 1", f.RecordKey("order-1"), n)
		}
	})
	t.Run("SameRequestAgainReturnsTheExistingRecord", func(t *testing.T) {
		f := newStoreFixture(t)
		req := validRequest("order-1")
		req.Metadata = json.RawMessage(`{"a":1,"b":[true]}`)
		first := f.create(t, req)
		f.clock.Advance(time.Hour)
		again := req
		again.Source = SourceWallet // "" and "wallet" are the same
		again.Metadata = json.RawMessage(`{ "b": [true], "a": 1 }`)
		rec, created, err := f.Create(f.ctx, again)
		if err != nil || created || !rec.CreatedAt.Equal(first.CreatedAt) {
			t.Fatalf("got created %v, %v, created_at %v; want the existing record from %v", created, err, rec.CreatedAt, first.CreatedAt)
		}
	})
	t.Run("DifferentRequestWithTheSameIDIsAConflict", func(t *testing.T) {
		f := newStoreFixture(t)
		f.create(t, validRequest("order-1"))
		other := validRequest("order-1")
		other.Amount = "2"
		rec, created, err := f.Create(f.ctx, other)
		if !errors.Is(err, ErrConflict) || created || rec == nil || rec.Amount != "1.5" {
			t.Fatalf("got %+v, created %v, %v; want ErrConflict with the existing 1.5 record", rec, created, err)
		}
		if got, _ := f.Get(f.ctx, "order-1"); got.Amount != "1.5" {
			t.Fatalf("stored amount %s, want 1.5 unchanged", got.Amount)
		}
	})
	t.Run("ConcurrentCreatesOfOneIDCreateExactlyOnce", func(t *testing.T) {
		f := newStoreFixture(t)
		var createdCount atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				_, created, err := f.Create(f.ctx, validRequest("order-1"))
				if err != nil {
					t.Errorf("Create: %v", err)
				}
				if created {
					createdCount.Add(1)
				}
			})
		}
		wg.Wait()
		if n := createdCount.Load(); n != 1 {
			t.Fatalf("got %d creates, want exactly 1", n)
		}
	})
	t.Run("InvalidIDIsRefused", func(t *testing.T) {
		f := newStoreFixture(t)
		_, _, err := f.Create(f.ctx, validRequest("a}b"))
		assertValidation(t, err, "third_party_id", CodeInvalidThirdPartyID)
	})
	t.Run("MetadataThatIsNotJSONIsRefused", func(t *testing.T) {
		f := newStoreFixture(t)
		req := validRequest("order-1")
		req.Metadata = json.RawMessage(`{oops`)
		_, _, err := f.Create(f.ctx, req)
		assertValidation(t, err, "metadata", CodeInvalidMetadata)
	})
	t.Run("RepeatingASettledRequestLeavesItOutOfTheOpenIndex", func(t *testing.T) {
		f := newStoreFixture(t)
		f.recordIn(t, "order-1", StateSucceeded)
		if _, created, err := f.Create(f.ctx, validRequest("order-1")); created || err != nil {
			t.Fatalf("got created %v, %v; want the existing record", created, err)
		}
		if ids, _ := f.Open(f.ctx, 10); len(ids) != 0 {
			t.Fatalf("got open ids %v, want none", ids)
		}
	})
}

func TestStoreGetOfAMissingRecordIsNotFound(t *testing.T) {
	f := newStoreFixture(t)
	for _, id := range []string{"nope", "", "bad{id}"} {
		if _, err := f.Get(f.ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q): got %v, want ErrNotFound", id, err)
		}
	}
}

// TestStoreUpdateTransitions tries every pair of states (LegalTransition's
// own table is checked in TestLegalTransition).
func TestStoreUpdateTransitions(t *testing.T) {
	f := newStoreFixture(t) // one Redis, one record per pair
	for _, from := range States {
		for _, to := range States {
			t.Run(fmt.Sprintf("%s_to_%s", from, to), func(t *testing.T) {
				id := string(from) + "-" + string(to)
				f.recordIn(t, id, from)
				before := f.raw(t, id)
				f.clock.Advance(time.Second)
				rec, err := f.Update(f.ctx, id, "because", func(r *Record) error {
					r.State = to
					r.Attempts++ // so a same-state update is a change too
					return nil
				})
				if LegalTransition(from, to) {
					assertMoved(t, f, id, rec, err, from, to)
				} else {
					assertRefused(t, f, id, rec, err, from, before)
				}
			})
		}
	}
}

func assertMoved(t *testing.T, f *storeFixture, id string, rec *Record, err error, from, to State) {
	t.Helper()
	if err != nil || rec.State != to || !rec.UpdatedAt.Equal(f.clock.Now()) {
		t.Fatalf("got %v, %v; want state %s updated at %v", rec, err, to, f.clock.Now())
	}
	last := rec.History[len(rec.History)-1]
	if from != to && (last.From != from || last.To != to || last.Reason != "because" || !last.At.Equal(f.clock.Now())) {
		t.Fatalf("got last history entry %+v, want %s -> %s because", last, from, to)
	}
	if stored, _ := f.Get(f.ctx, id); stored.State != to {
		t.Fatalf("stored state %s, want %s", stored.State, to)
	}
}

func assertRefused(t *testing.T, f *storeFixture, id string, rec *Record, err error, from State, before string) {
	t.Helper()
	if !errors.Is(err, ErrIllegalTransition) {
		t.Fatalf("got %v, want ErrIllegalTransition", err)
	}
	if rec == nil || rec.State != from {
		t.Fatalf("got record %+v, want the current %s record", rec, from)
	}
	if after := f.raw(t, id); after != before {
		t.Fatalf("record changed:\n got %s\nwant %s", after, before)
	}
}

func TestStoreUpdate(t *testing.T) {
	t.Run("TerminalRecordRefusesEveryUpdateWithoutCallingFn", func(t *testing.T) {
		for _, st := range []State{StateSucceeded, StateFailed, StateRejected} {
			f := newStoreFixture(t)
			f.recordIn(t, "order-1", st)
			called := false
			rec, err := f.Update(f.ctx, "order-1", "late", func(r *Record) error { called = true; return nil })
			var te *TransitionError
			if !errors.As(err, &te) || te.From != st || te.To != "" || called || rec == nil || rec.State != st {
				t.Fatalf("%s: got %+v, %v, fn called %v; want a TransitionError from %s without calling fn", st, rec, err, called, st)
			}
		}
	})
	t.Run("NoteAppendsAHistoryEntryWithoutChangingTheState", func(t *testing.T) {
		f := newStoreFixture(t)
		before := f.recordIn(t, "order-1", StateSubmitting)
		f.clock.Advance(time.Second)
		rec, err := f.Note(f.ctx, "order-1", "operator retry")
		if err != nil {
			t.Fatal(err)
		}
		last := rec.History[len(rec.History)-1]
		if len(rec.History) != len(before.History)+1 || last.From != StateSubmitting || last.To != StateSubmitting || last.Reason != "operator retry" {
			t.Errorf("history %+v; want one more entry submitting -> submitting \"operator retry\"", rec.History)
		}
		if rec.State != StateSubmitting || !rec.UpdatedAt.After(before.UpdatedAt) {
			t.Errorf("state %s, updated_at %s; want submitting, updated after %s", rec.State, rec.UpdatedAt, before.UpdatedAt)
		}
		if got, _ := f.Get(f.ctx, "order-1"); len(got.History) != len(rec.History) {
			t.Errorf("stored history has %d entries, want %d", len(got.History), len(rec.History))
		}
	})
	t.Run("NoteOnATerminalRecordIsRefused", func(t *testing.T) {
		f := newStoreFixture(t)
		f.recordIn(t, "order-1", StateSucceeded)
		before := f.raw(t, "order-1")
		if _, err := f.Note(f.ctx, "order-1", "operator retry"); !errors.Is(err, ErrIllegalTransition) {
			t.Errorf("got %v, want ErrIllegalTransition", err)
		}
		if f.raw(t, "order-1") != before {
			t.Errorf("a terminal record changed")
		}
	})
	t.Run("FnErrorAbortsWithoutAWrite", func(t *testing.T) {
		f := newStoreFixture(t)
		f.recordIn(t, "order-1", StateSubmitting)
		before := f.raw(t, "order-1")
		boom := errors.New("boom")
		_, err := f.Update(f.ctx, "order-1", "x", func(r *Record) error { r.State = StateRejected; return boom })
		if !errors.Is(err, boom) || f.raw(t, "order-1") != before {
			t.Fatalf("got %v and record %s; want boom and no write", err, f.raw(t, "order-1"))
		}
	})
	t.Run("NoChangeWritesNothing", func(t *testing.T) {
		f := newStoreFixture(t)
		f.recordIn(t, "order-1", StateSubmitting)
		before := f.raw(t, "order-1")
		f.clock.Advance(time.Minute)
		rec, err := f.Update(f.ctx, "order-1", "x", func(r *Record) error { r.UpdatedAt = time.Time{}; return nil })
		if err != nil || rec.State != StateSubmitting || f.raw(t, "order-1") != before {
			t.Fatalf("got %v, %v and record %s; want the record unchanged", rec, err, f.raw(t, "order-1"))
		}
	})
	t.Run("ChangingTheRequestIsRefused", func(t *testing.T) {
		f := newStoreFixture(t)
		f.recordIn(t, "order-1", StateSubmitting)
		before := f.raw(t, "order-1")
		_, err := f.Update(f.ctx, "order-1", "x", func(r *Record) error { r.Amount = "100"; return nil })
		if err == nil || f.raw(t, "order-1") != before {
			t.Fatalf("got %v; want an error and no write", err)
		}
	})
	t.Run("HistoryIsOwnedByTheStore", func(t *testing.T) {
		f := newStoreFixture(t)
		f.recordIn(t, "order-1", StateQueued)
		rec, err := f.Update(f.ctx, "order-1", "x", func(r *Record) error {
			r.History, r.State = nil, StateSubmitting
			return nil
		})
		if err != nil || len(rec.History) != 2 {
			t.Fatalf("got history %+v, %v; want the creation and one transition", rec.History, err)
		}
	})
	t.Run("LastErrorIsCappedOnARuneBoundary", func(t *testing.T) {
		f := newStoreFixture(t)
		f.recordIn(t, "order-1", StateSubmitting)
		rec, err := f.Update(f.ctx, "order-1", "x", func(r *Record) error {
			r.LastError = "a" + strings.Repeat("é", 600) // 1201 bytes
			return nil
		})
		if err != nil || len(rec.LastError) != 511 || !strings.HasSuffix(rec.LastError, "é") {
			t.Fatalf("got %d bytes, %v; want 511 (512 would split a rune)", len(rec.LastError), err)
		}
	})
	t.Run("MissingRecordIsNotFound", func(t *testing.T) {
		f := newStoreFixture(t)
		_, err := f.Update(f.ctx, "nope", "x", func(r *Record) error { return nil })
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("got %v, want ErrNotFound", err)
		}
	})
	t.Run("ConcurrentUpdatesLoseNoIncrements", func(t *testing.T) {
		f := newStoreFixture(t)
		f.recordIn(t, "order-1", StateSubmitting)
		const workers, each = 16, 8
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range each {
					_, err := f.Update(f.ctx, "order-1", "x", func(r *Record) error { r.Attempts++; return nil })
					if err != nil {
						t.Errorf("Update: %v", err)
					}
				}
			})
		}
		wg.Wait()
		if rec, _ := f.Get(f.ctx, "order-1"); rec.Attempts != workers*each {
			t.Fatalf("got %d attempts, want %d", rec.Attempts, workers*each)
		}
	})
}

func TestStoreEvents(t *testing.T) {
	f := newStoreFixture(t)
	f.recordIn(t, "order-1", StateSucceeded)
	msgs, err := f.rdb.XRange(f.ctx, f.EventsKey(), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ from, to, cid string }{
		{"", "queued", ""},
		{"queued", "submitting", ""},
		{"submitting", "submitted", "1382626461605888"},
		{"submitted", "succeeded", "1382626461605888"},
	}
	if len(msgs) != len(want) {
		t.Fatalf("got %d events %v, want %d", len(msgs), msgs, len(want))
	}
	for i, w := range want {
		v := msgs[i].Values
		if v[EventThirdPartyID] != "order-1" || v[EventFrom] != w.from || v[EventTo] != w.to || v[EventCID] != w.cid {
			t.Errorf("event %d: got %v, want %s -> %s cid %q", i, v, w.from, w.to, w.cid)
		}
		if at, err := time.Parse(time.RFC3339Nano, v[EventAt].(string)); err != nil || at.IsZero() {
			t.Errorf("event %d: got at %v (%v), want an RFC 3339 time", i, v[EventAt], err)
		}
	}
	if msgs[1].Values[EventReason] != "test" {
		t.Errorf("got reason %v, want test", msgs[1].Values[EventReason])
	}
}

func TestStoreSameStateUpdateAddsNoEvent(t *testing.T) {
	f := newStoreFixture(t)
	f.recordIn(t, "order-1", StateSubmitting)
	before, _ := f.rdb.XLen(f.ctx, f.EventsKey()).Result()
	f.moveTo(t, "order-1", StateSubmitting)
	if _, err := f.Update(f.ctx, "order-1", "x", func(r *Record) error { r.Attempts = 3; return nil }); err != nil {
		t.Fatal(err)
	}
	if after, _ := f.rdb.XLen(f.ctx, f.EventsKey()).Result(); after != before {
		t.Fatalf("got %d events, want %d", after, before)
	}
}
