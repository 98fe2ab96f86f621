package redistest

import (
	"context"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// Counter is a go-redis hook that counts round trips (a command, or a whole
// pipeline or transaction) and commands, for benchmarks that report what an
// operation costs in Redis calls:
//
//	c := &redistest.Counter{}
//	rdb.AddHook(c)
type Counter struct {
	trips, cmds atomic.Int64
}

// DialHook implements redis.Hook.
func (c *Counter) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook: one command, one round trip.
func (c *Counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.trips.Add(1)
		c.cmds.Add(1)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements redis.Hook: one round trip, len(cmds) commands.
func (c *Counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.trips.Add(1)
		c.cmds.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// Take returns the round trips and commands counted since the last Take and
// starts counting afresh.
func (c *Counter) Take() (trips, cmds int64) { return c.trips.Swap(0), c.cmds.Swap(0) }
