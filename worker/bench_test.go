package worker

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/internal/redistest"
	"github.com/payoutd/payoutd/tasks"
	"github.com/redis/go-redis/v9"
)

// BenchmarkRoundTripsPerPayout counts the Redis round trips of one payout's
// life through the handlers: the producer's enqueue, the submit, a poll that
// finds it pending, and the poll that finds it terminal. The figures are
// reported as custom metrics (rt/... round trips, cmd/... commands).
func BenchmarkRoundTripsPerPayout(b *testing.B) {
	h := newHarness(b, nil)
	counter := &redistest.Counter{}
	h.rdb.AddHook(counter)
	prod := h.producer()
	ctx := context.Background()
	steps := []string{"enqueue", "submit", "poll", "final_poll"}
	sums := make(map[string][2]int64)
	b.ResetTimer()
	for range b.N {
		req := newRequest(goodAddress)
		h.fake.SetFate(req.ThirdPartyID, cregis.StatusPendingApproval)
		counter.Take()
		if _, _, err := prod.Enqueue(ctx, req); err != nil {
			b.Fatal(err)
		}
		record(sums, "enqueue", counter)
		if err := h.submit(req.ThirdPartyID); err != nil {
			b.Fatal(err)
		}
		record(sums, "submit", counter)
		if err := h.pollSeq(req.ThirdPartyID, 1); err != nil {
			b.Fatal(err)
		}
		record(sums, "poll", counter)
		b.StopTimer()
		fp, _ := h.fake.PayoutByThirdPartyID(req.ThirdPartyID)
		_ = h.fake.SetStatus(fp.CID, cregis.StatusSucceeded)
		counter.Take()
		b.StartTimer()
		if err := h.pollSeq(req.ThirdPartyID, 2); err != nil {
			b.Fatal(err)
		}
		record(sums, "final_poll", counter)
	}
	var trips, cmds int64
	for _, s := range steps {
		b.ReportMetric(float64(sums[s][0])/float64(b.N), "rt/"+s)
		trips, cmds = trips+sums[s][0], cmds+sums[s][1]
	}
	b.ReportMetric(float64(trips)/float64(b.N), "rt/payout")
	b.ReportMetric(float64(cmds)/float64(b.N), "cmd/payout")
}

// record adds the round trips and commands since the last take to
// sums[step].
func record(sums map[string][2]int64, step string, c *redistest.Counter) {
	t, n := c.Take()
	s := sums[step]
	sums[step] = [2]int64{s[0] + t, s[1] + n}
}

// BenchmarkBytesPerInFlightPayout measures the Redis memory one payout holds
// while it is being polled (submitted, its next poll scheduled): the growth of
// used_memory over a batch, and MEMORY USAGE of its record and poll task.
func BenchmarkBytesPerInFlightPayout(b *testing.B) {
	h := newHarness(b, nil)
	ctx := context.Background()
	prod := h.producer()
	const batch = 200
	var grown, recordBytes, taskBytes int64
	b.ResetTimer()
	for range b.N {
		before := usedMemory(b, h.rdb)
		var last string
		for range batch {
			req := newRequest(goodAddress)
			h.fake.SetFate(req.ThirdPartyID, cregis.StatusPendingApproval)
			if _, _, err := prod.Enqueue(ctx, req); err != nil {
				b.Fatal(err)
			}
			if err := h.submit(req.ThirdPartyID); err != nil {
				b.Fatal(err)
			}
			last = req.ThirdPartyID
		}
		grown += usedMemory(b, h.rdb) - before
		recordBytes = h.rdb.MemoryUsage(ctx, h.store.RecordKey(last)).Val()
		taskBytes = h.rdb.MemoryUsage(ctx, "asynq:{"+h.queues.Poll+"}:t:"+tasks.PollTaskID(last, 1)).Val()
	}
	b.ReportMetric(float64(grown)/float64(b.N*batch), "B/payout")
	b.ReportMetric(float64(recordBytes), "B/record")
	b.ReportMetric(float64(taskBytes), "B/poll_task")
}

func usedMemory(b *testing.B, rdb *redis.Client) int64 {
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	b.Fatal("no used_memory in INFO")
	return 0
}
