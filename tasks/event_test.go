package tasks

import (
	"context"
	"testing"
	"time"

	"github.com/payoutd/payoutd/internal/redistest"
)

// TestTrimEventsDropsOnlyEventsOlderThanTheirMaximumAge writes events now and
// trims them from a clock an hour and then eight days ahead: the first keeps
// them (younger than the default 7 days), the second drops them all.
func TestTrimEventsDropsOnlyEventsOlderThanTheirMaximumAge(t *testing.T) {
	r := redistest.New(t)
	rdb := r.Client(t)
	var ahead time.Duration
	s := NewStore(rdb, StoreConfig{KeyPrefix: r.Prefix, NowFunc: func() time.Time { return time.Now().Add(ahead) }})
	ctx := context.Background()
	for _, id := range []string{"ev-1", "ev-2"} {
		if _, _, err := s.Create(ctx, validRequest(id)); err != nil {
			t.Fatal(err)
		}
	}
	ahead = time.Hour
	if n, err := s.TrimEvents(ctx); err != nil || n != 0 || rdb.XLen(ctx, s.EventsKey()).Val() != 2 {
		t.Fatalf("TrimEvents an hour on = %d, %v, %d left; want nothing dropped", n, err, rdb.XLen(ctx, s.EventsKey()).Val())
	}
	ahead = 8 * 24 * time.Hour
	if n, err := s.TrimEvents(ctx); err != nil || n != 2 || rdb.XLen(ctx, s.EventsKey()).Val() != 0 {
		t.Fatalf("TrimEvents eight days on = %d, %v, %d left; want both dropped", n, err, rdb.XLen(ctx, s.EventsKey()).Val())
	}
}
