package worker

import (
	"context"
	"time"

	"github.com/go-redis/redis_rate/v10"
)

// rateLimiter is the fleet-wide budget of Cregis calls per second, kept in
// Redis (GCRA, github.com/go-redis/redis_rate, burst = rate), so every worker
// of the fleet draws from the same budget. redis_rate prefixes its keys: the
// key is "rate:<KeyPrefix>ratelimit:cregis".
type rateLimiter struct {
	lim   *redis_rate.Limiter // nil: unlimited
	key   string
	limit redis_rate.Limit
}

func newRateLimiter(cfg Config) *rateLimiter {
	if cfg.RateLimit <= 0 {
		return &rateLimiter{}
	}
	return &rateLimiter{
		lim:   redis_rate.NewLimiter(cfg.Redis),
		key:   cfg.KeyPrefix + "ratelimit:cregis",
		limit: redis_rate.PerSecond(cfg.RateLimit),
	}
}

// take spends one call from the budget, or returns a *rateLimitedError that
// says when to try again.
func (r *rateLimiter) take(ctx context.Context) error {
	if r.lim == nil {
		return nil
	}
	res, err := r.lim.Allow(ctx, r.key, r.limit)
	if err != nil {
		return err
	}
	if res.Allowed == 0 {
		return &rateLimitedError{retryAfter: res.RetryAfter}
	}
	return nil
}

// wait spends one call from the budget, waiting for it as long as ctx
// allows. Operator actions use it: a person is waiting on the answer.
func (r *rateLimiter) wait(ctx context.Context) error {
	for {
		err := r.take(ctx)
		rl, ok := err.(*rateLimitedError)
		if !ok {
			return err
		}
		t := time.NewTimer(rl.retryAfter)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// limit spends one Cregis call from the fleet-wide budget for a task; a
// spent budget is a *rateLimitedError, retried without failing.
func (p *Pipeline) limit(ctx context.Context) error {
	err := p.limiter.take(ctx)
	if _, ok := err.(*rateLimitedError); ok {
		p.countRateLimitWait()
	}
	return err
}
