package main

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// callCounter is a go-redis hook that counts what a process sends to Redis:
// commands (a script call counts 1, a pipeline of n commands n), the script
// calls among them, and round trips (a command, or a whole pipeline).
type callCounter struct {
	cmds, scripts, trips atomic.Int64
}

// calls is what a callCounter counted.
type calls struct {
	cmds, scripts, trips int64
}

// per returns the counts divided by n.
func (c calls) per(n int) (cmds, scripts, trips float64) {
	d := float64(n)
	return float64(c.cmds) / d, float64(c.scripts) / d, float64(c.trips) / d
}

// DialHook implements redis.Hook.
func (c *callCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook: one command, one round trip.
func (c *callCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.trips.Add(1)
		c.count(cmd)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements redis.Hook: one round trip, each command counted.
func (c *callCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.trips.Add(1)
		for _, cmd := range cmds {
			c.count(cmd)
		}
		return next(ctx, cmds)
	}
}

func (c *callCounter) count(cmd redis.Cmder) {
	c.cmds.Add(1)
	if isScript(cmd.Name()) {
		c.scripts.Add(1)
	}
}

// isScript reports a command that runs a Lua script or function.
func isScript(name string) bool {
	switch strings.ToLower(name) {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		return true
	}
	return false
}

// take returns the counts since the last take and starts afresh.
func (c *callCounter) take() calls {
	return calls{cmds: c.cmds.Swap(0), scripts: c.scripts.Swap(0), trips: c.trips.Swap(0)}
}
