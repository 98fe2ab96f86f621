package main

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/payoutd/payoutd/tasks"
	"github.com/redis/go-redis/v9"
)

// memoryResult is the Redis memory of n in-flight payouts.
type memoryResult struct {
	n          int
	perPayout  float64  // used_memory growth / n, bytes
	record     int64    // MEMORY USAGE of one record; -1 when not found
	pollTask   int64    // MEMORY USAGE of one poll task; -1 when not found
	families   []family // where the bytes are, largest first
	warmPayout int      // payouts submitted before the baseline
}

// family is a group of keys that differ only in a payout's id.
type family struct {
	pattern string
	keys    int64
	bytes   int64
}

// inFlightPoll is the first poll's delay in the memory measurement: far
// enough that every payout stays in flight, submitted and waiting.
const inFlightPoll = time.Hour

// memoryWarmup payouts are submitted before the baseline, so that it holds
// what does not grow with payouts (scripts, the coin list, asynq's counters).
const memoryWarmup = 50

// measureMemory enqueues and submits n payouts through payoutd's worker,
// each left waiting for a poll an hour away, and measures the growth of
// used_memory over them.
func (b *bench) measureMemory(ctx context.Context, n int) (memoryResult, error) {
	fake, st, err := b.freshStack(stackConfig{pollMin: inFlightPoll})
	if err != nil {
		return memoryResult{}, err
	}
	defer fake.Close()
	defer st.close()
	if err := b.submitAll(ctx, st, newRequests("warm", memoryWarmup), memoryWarmup); err != nil {
		return memoryResult{}, err
	}
	before, err := b.redis.usedMemory(ctx)
	if err != nil {
		return memoryResult{}, err
	}
	reqs := newRequests("mem", n)
	if err := b.submitAll(ctx, st, reqs, memoryWarmup+n); err != nil {
		return memoryResult{}, err
	}
	after, err := b.redis.usedMemory(ctx)
	if err != nil {
		return memoryResult{}, err
	}
	res := memoryResult{n: n, perPayout: float64(after-before) / float64(n), warmPayout: memoryWarmup}
	return res, b.describeMemory(ctx, st, reqs[n-1].ThirdPartyID, &res)
}

// submitAll enqueues reqs and runs the worker until the pipeline has
// counted total transitions into submitted, then stops it.
func (b *bench) submitAll(ctx context.Context, st *stack, reqs []tasks.Request, total int) error {
	if err := st.enqueueAll(ctx, reqs, intakeWorkers); err != nil {
		return err
	}
	srv, err := st.server(b.opt.concurrency)
	if err != nil {
		return err
	}
	run, err := start(ctx, srv)
	if err != nil {
		return err
	}
	err = awaitCount(ctx, int64(total), func() (int64, error) { return transitionsTo(st.metrics, tasks.StateSubmitted), nil })
	if serr := run.stop(); err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("submitting %d payouts: %w", len(reqs), err)
	}
	return nil
}

// describeMemory fills in the record's and the poll task's MEMORY USAGE
// and the key families.
func (b *bench) describeMemory(ctx context.Context, st *stack, id string, res *memoryResult) error {
	rdb := b.redis.client()
	defer rdb.Close()
	rec, err := st.store.Get(ctx, id)
	if err != nil {
		return err
	}
	if rec.State != tasks.StateSubmitted {
		return fmt.Errorf("payout %s is %s, want submitted (in flight)", id, rec.State)
	}
	res.record = memoryUsage(ctx, rdb, st.store.RecordKey(id))
	res.pollTask = memoryUsage(ctx, rdb, "asynq:{"+st.queues.Poll+"}:t:"+tasks.PollTaskID(id, rec.PollSeq))
	res.families, err = keyFamilies(ctx, rdb)
	return err
}

// memoryUsage is MEMORY USAGE key SAMPLES 0, or -1 when there is no such key.
func memoryUsage(ctx context.Context, rdb *redis.Client, key string) int64 {
	n, err := rdb.MemoryUsage(ctx, key, 0).Result()
	if err != nil {
		return -1
	}
	return n
}

// keyFamilies sums MEMORY USAGE over every key, grouped by familyOf.
func keyFamilies(ctx context.Context, rdb *redis.Client) ([]family, error) {
	byPattern := map[string]*family{}
	iter := rdb.Scan(ctx, 0, "*", 1000).Iterator()
	var batch []string
	flush := func() error {
		err := addUsage(ctx, rdb, batch, byPattern)
		batch = batch[:0]
		return err
	}
	for iter.Next(ctx) {
		if batch = append(batch, iter.Val()); len(batch) == 1000 {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return sortFamilies(byPattern), nil
}

// addUsage adds the MEMORY USAGE of keys to their families, in one pipeline.
func addUsage(ctx context.Context, rdb *redis.Client, keys []string, byPattern map[string]*family) error {
	cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.MemoryUsage(ctx, k, 0)
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		return err
	}
	for i, c := range cmds {
		f := byPattern[familyOf(keys[i])]
		if f == nil {
			f = &family{pattern: familyOf(keys[i])}
			byPattern[f.pattern] = f
		}
		f.keys++
		f.bytes += c.(*redis.IntCmd).Val()
	}
	return nil
}

func sortFamilies(byPattern map[string]*family) []family {
	out := make([]family, 0, len(byPattern))
	for _, f := range byPattern {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b family) int { return cmp.Compare(b.bytes, a.bytes) })
	return out
}

// hashTag matches a Redis hash tag.
var hashTag = regexp.MustCompile(`\{[^}]*\}`)

// familyOf names a key's family: an asynq task key with its id as "*",
// any other key with its hash tags (payoutd's are payout ids) as "{*}".
func familyOf(key string) string {
	if strings.HasPrefix(key, "asynq:") {
		if i := strings.Index(key, ":t:"); i >= 0 {
			return key[:i+3] + "*"
		}
		return key
	}
	return hashTag.ReplaceAllString(key, "{*}")
}
