package worker

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRateLimit(t *testing.T) {
	ctx := context.Background()

	t.Run("TheBudgetIsSharedByEveryPipelineOnOneRedis", func(t *testing.T) {
		h := newHarness(t, []testOption{func(c *Config) { c.RateLimit = 4 }})
		other := h.pipeline(h.cfg)
		allowed, limited := 0, 0
		for i := range 10 {
			p := h.p
			if i%2 == 1 {
				p = other
			}
			var rl *rateLimitedError
			switch err := p.limit(ctx); {
			case err == nil:
				allowed++
			case errors.As(err, &rl):
				limited++
				if rl.retryAfter <= 0 {
					t.Errorf("RetryAfter = %s, want > 0", rl.retryAfter)
				}
			default:
				t.Fatalf("limit: %v", err)
			}
		}
		// GCRA at 4/s with a burst of 4: a few more may refill while the loop runs.
		if allowed < 4 || allowed > 5 || limited < 5 {
			t.Errorf("allowed %d, limited %d of 10 calls at 4/s; want 4 or 5 allowed", allowed, limited)
		}
		if got := metricValue(t, h.metrics.RateLimitWaits); got != float64(limited) {
			t.Errorf("RateLimitWaits = %v, want %d", got, limited)
		}
	})

	t.Run("ZeroIsUnlimited", func(t *testing.T) {
		h := newHarness(t, nil)
		for range 100 {
			if err := h.p.limit(ctx); err != nil {
				t.Fatalf("limit with RateLimit 0: %v", err)
			}
		}
	})

	t.Run("WaitBlocksUntilTheBudgetRefills", func(t *testing.T) {
		h := newHarness(t, []testOption{func(c *Config) { c.RateLimit = 2 }})
		start := time.Now()
		for range 3 { // the burst is 2: the third call waits about half a second
			if err := h.p.limiter.wait(ctx); err != nil {
				t.Fatalf("wait: %v", err)
			}
		}
		if waited := time.Since(start); waited < 400*time.Millisecond {
			t.Fatalf("3 calls at 2/s took %s, want about 500ms: wait did not wait for the budget", waited)
		}
	})

	t.Run("WaitHonoursTheContext", func(t *testing.T) {
		h := newHarness(t, []testOption{func(c *Config) { c.RateLimit = 1 }})
		_ = h.p.limiter.wait(ctx)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := h.p.limiter.wait(cctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("wait on a cancelled context: got %v, want context.Canceled", err)
		}
	})
}
