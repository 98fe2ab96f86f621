package tasks

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// listAll pages through List and returns the ids in order, and the pages.
func listAll(t *testing.T, f *storeFixture, opt ListOptions) (ids []string, pages int) {
	t.Helper()
	for {
		recs, next, err := f.List(f.ctx, opt)
		if err != nil {
			t.Fatalf("List(%+v): %v", opt, err)
		}
		for _, r := range recs {
			ids = append(ids, r.ThirdPartyID)
		}
		pages++
		if next == "" || pages > 100 {
			return ids, pages
		}
		opt.Cursor = next
	}
}

func TestStoreList(t *testing.T) {
	t.Run("PagesNewestFirstWithTiesOrderedByID", func(t *testing.T) {
		f := newStoreFixture(t)
		// c, a and b share one millisecond; e and d share a later one.
		for _, id := range []string{"c", "a", "b"} {
			f.create(t, validRequest(id))
		}
		f.clock.Advance(time.Millisecond)
		for _, id := range []string{"e", "d"} {
			f.create(t, validRequest(id))
		}
		f.clock.Advance(time.Millisecond)
		f.create(t, validRequest("f"))
		ids, pages := listAll(t, f, ListOptions{Limit: 2})
		want := []string{"f", "e", "d", "c", "b", "a"}
		if !slices.Equal(ids, want) || pages != 3 {
			t.Fatalf("got %v in %d pages, want %v in 3", ids, pages, want)
		}
	})
	t.Run("FiltersByState", func(t *testing.T) {
		f := newStoreFixture(t)
		for i, st := range []State{StateSubmitted, StateQueued, StateSubmitted, StateFailed, StateSubmitted} {
			f.clock.Advance(time.Millisecond)
			f.recordIn(t, "p"+string(rune('0'+i)), st)
		}
		ids, _ := listAll(t, f, ListOptions{State: StateSubmitted, Limit: 2})
		if want := []string{"p4", "p2", "p0"}; !slices.Equal(ids, want) {
			t.Fatalf("got %v, want %v", ids, want)
		}
		all, _ := listAll(t, f, ListOptions{})
		if len(all) != 5 {
			t.Fatalf("got %v, want all 5 records", all)
		}
	})
	t.Run("StaleIndexEntriesAreSkipped", func(t *testing.T) {
		f := newStoreFixture(t)
		f.recordIn(t, "queued-1", StateQueued)
		f.clock.Advance(time.Millisecond)
		f.recordIn(t, "moved-on", StateSubmitted)
		f.clock.Advance(time.Millisecond)
		f.recordIn(t, "queued-2", StateQueued)
		// The queued index still lists moved-on, and an id without a record.
		now := float64(f.clock.Now().UnixMilli())
		f.rdb.ZAdd(f.ctx, f.stateKey(StateQueued), redis.Z{Score: now - 1, Member: "moved-on"}, redis.Z{Score: now + 1, Member: "ghost"})
		ids, _ := listAll(t, f, ListOptions{State: StateQueued, Limit: 1})
		if want := []string{"queued-2", "queued-1"}; !slices.Equal(ids, want) {
			t.Fatalf("got %v, want %v", ids, want)
		}
	})
	t.Run("EmptyIndexIsOneEmptyPage", func(t *testing.T) {
		f := newStoreFixture(t)
		recs, next, err := f.List(f.ctx, ListOptions{})
		if err != nil || len(recs) != 0 || next != "" {
			t.Fatalf("got %v, %q, %v; want an empty last page", recs, next, err)
		}
	})
	t.Run("ExactlyFullLastPageHasNoCursor", func(t *testing.T) {
		f := newStoreFixture(t)
		f.create(t, validRequest("a"))
		f.create(t, validRequest("b"))
		recs, next, err := f.List(f.ctx, ListOptions{Limit: 2})
		if err != nil || len(recs) != 2 || next != "" {
			t.Fatalf("got %d records, cursor %q, %v; want 2 and no cursor", len(recs), next, err)
		}
	})
	t.Run("BadCursorIsRefused", func(t *testing.T) {
		f := newStoreFixture(t)
		for _, c := range []string{"!!", "bm9jb2xvbg", (&position{score: 1, id: "a{b"}).encode()} {
			if _, _, err := f.List(f.ctx, ListOptions{Cursor: c}); !errors.Is(err, ErrInvalidCursor) {
				t.Errorf("cursor %q: got %v, want ErrInvalidCursor", c, err)
			}
		}
	})
	t.Run("UnknownStateIsRefused", func(t *testing.T) {
		f := newStoreFixture(t)
		if _, _, err := f.List(f.ctx, ListOptions{State: "paused"}); !errors.Is(err, ErrInvalidState) {
			t.Fatalf("got %v, want ErrInvalidState", err)
		}
	})
}

func TestStoreOpen(t *testing.T) {
	t.Run("ListsNonTerminalIDsOldestFirst", func(t *testing.T) {
		f := newStoreFixture(t)
		for _, c := range []struct {
			id string
			st State
		}{{"a", StateSubmitted}, {"b", StateSucceeded}, {"c", StateQueued}, {"d", StateRejected}, {"e", StateUnconfirmed}} {
			f.clock.Advance(time.Millisecond)
			f.recordIn(t, c.id, c.st)
		}
		ids, err := f.Open(f.ctx, 10)
		if want := []string{"a", "c", "e"}; err != nil || !slices.Equal(ids, want) {
			t.Fatalf("got %v, %v; want %v", ids, err, want)
		}
		if ids, _ := f.Open(f.ctx, 2); !slices.Equal(ids, []string{"a", "c"}) {
			t.Fatalf("got %v with limit 2, want [a c]", ids)
		}
	})
	t.Run("OpenPageWalksEveryOpenID", func(t *testing.T) {
		f := newStoreFixture(t)
		for _, id := range []string{"b", "a", "c", "d", "e"} { // one millisecond: ordered by id
			f.create(t, validRequest(id))
		}
		var got []string
		cursor := ""
		for range 10 {
			ids, next, err := f.OpenPage(f.ctx, cursor, 2)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ids...)
			if cursor = next; cursor == "" {
				break
			}
		}
		if want := []string{"a", "b", "c", "d", "e"}; !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
}

func TestStoreReindex(t *testing.T) {
	t.Run("RestoresMissingEntriesAndRemovesStaleOnes", func(t *testing.T) {
		f := newStoreFixture(t)
		f.recordIn(t, "done", StateSucceeded)
		f.recordIn(t, "busy", StateSubmitted)
		f.rdb.Del(f.ctx, f.stateKey(StateSubmitted), f.stateKey(StateSucceeded))
		legacyOpen := f.legacyKeys()[1] // an earlier version's index of the open records
		f.rdb.ZAdd(f.ctx, legacyOpen, redis.Z{Score: 1, Member: "done"})
		f.rdb.ZAdd(f.ctx, f.stateKey(StateQueued), redis.Z{Score: 1, Member: "busy"})
		for _, id := range []string{"done", "busy"} {
			if _, err := f.Reindex(f.ctx, id); err != nil {
				t.Fatalf("Reindex(%s): %v", id, err)
			}
		}
		assertMembers(t, f, legacyOpen)
		assertMembers(t, f, f.stateKey(StateQueued))
		assertMembers(t, f, f.stateKey(StateSubmitted), "busy")
		assertMembers(t, f, f.stateKey(StateSucceeded), "done")
		if open, err := f.Open(f.ctx, 10); err != nil || !slices.Equal(open, []string{"busy"}) {
			t.Fatalf("Open = %v, %v; want [busy]", open, err)
		}
	})
	t.Run("DropsAnOrphanOnlyOnceRedisSaysItIsOld", func(t *testing.T) {
		f := newStoreFixture(t)
		s := NewStore(f.rdb, StoreConfig{KeyPrefix: f.cfg.KeyPrefix, NowFunc: f.clock.Now, OrphanGrace: time.Second})
		f.rdb.ZAdd(f.ctx, s.stateKey(StateQueued), redis.Z{Score: float64(f.clock.Now().UnixMilli()), Member: "ghost"})
		// The sweeper's clock runs a day ahead: it proves nothing.
		f.clock.Advance(24 * time.Hour)
		for range 2 {
			if _, err := s.Reindex(f.ctx, "ghost"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
			assertMembers(t, f, s.stateKey(StateQueued), "ghost") // a Create may be in flight
		}
		time.Sleep(time.Second) // Redis's clock must move on: there is no event to await
		if _, err := s.Reindex(f.ctx, "ghost"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("got %v, want ErrNotFound", err)
		}
		assertMembers(t, f, s.stateKey(StateQueued))
	})
	t.Run("KeepsAnEntryWhoseRecordAppeared", func(t *testing.T) {
		f := newStoreFixture(t)
		s := NewStore(f.rdb, StoreConfig{KeyPrefix: f.cfg.KeyPrefix, NowFunc: f.clock.Now, OrphanGrace: time.Millisecond})
		f.rdb.ZAdd(f.ctx, s.stateKey(StateQueued), redis.Z{Score: float64(f.clock.Now().UnixMilli()), Member: "late"})
		_, _ = s.Reindex(f.ctx, "late") // seen without a record
		f.recordIn(t, "late", StateQueued)
		time.Sleep(5 * time.Millisecond)
		if _, err := s.Reindex(f.ctx, "late"); err != nil {
			t.Fatalf("got %v, want the record", err)
		}
		assertMembers(t, f, s.stateKey(StateQueued), "late")
	})
}

func assertMembers(t *testing.T, f *storeFixture, key string, want ...string) {
	t.Helper()
	got, err := f.rdb.ZRange(f.ctx, key, 0, -1).Result()
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("%s: got %v (%v), want %v", key[strings.Index(key, ":")+1:], got, err, want)
	}
}

func TestStoreStats(t *testing.T) {
	f := newStoreFixture(t)
	f.recordIn(t, "oldest", StateUnconfirmed)
	f.clock.Advance(time.Minute)
	for i, st := range []State{StateQueued, StateSubmitted, StateSubmitted, StateFailed} {
		f.recordIn(t, "p"+string(rune('0'+i)), st)
	}
	f.clock.Advance(time.Minute)
	st, err := f.Stats(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[State]int64{StateQueued: 1, StateSubmitting: 0, StateSubmitted: 2, StateUnconfirmed: 1}
	for state, n := range want {
		if st.States[state] != n {
			t.Errorf("%s: got %d, want %d", state, st.States[state], n)
		}
	}
	if len(st.States) != len(want) || st.Open != 4 || st.OldestOpenID != "oldest" || st.OldestOpenAge != 2*time.Minute {
		t.Fatalf("got %+v, want 4 open, the oldest 2m old", st)
	}
}

func TestStoreStatsOfAnEmptyStore(t *testing.T) {
	f := newStoreFixture(t)
	st, err := f.Stats(f.ctx)
	if err != nil || st.Open != 0 || st.OldestOpenID != "" || st.OldestOpenAge != 0 {
		t.Fatalf("got %+v, %v; want zeros", st, err)
	}
}
