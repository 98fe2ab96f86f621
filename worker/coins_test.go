package worker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
)

func TestTheCoinListDrawsFromTheFleetWideRateLimit(t *testing.T) {
	h := newHarness(t, []testOption{func(c *Config) { c.RateLimit = 1 }})
	if err := h.p.limit(t.Context()); err != nil {
		t.Fatal(err) // the second's one call is spent
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := h.p.Coins(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Coins with the budget spent: got %v, want it to wait past its deadline", err)
	}
	if n := h.fake.Calls(cregis.PathCoins); n != 0 {
		t.Fatalf("Cregis saw %d coin-list calls beyond the limit, want 0", n)
	}
	if coins, err := h.p.Coins(t.Context()); err != nil || coins == nil {
		t.Fatalf("Coins once the budget refills: %v, %v", coins, err)
	}
	if n := h.fake.Calls(cregis.PathCoins); n != 1 {
		t.Fatalf("Cregis saw %d coin-list calls, want 1", n)
	}
}
