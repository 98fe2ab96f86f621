package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/payoutd/payoutd/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// countingHook counts Redis round trips (a command or a pipeline) and
// commands.
type countingHook struct {
	roundTrips, commands atomic.Int64
}

func (h *countingHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.roundTrips.Add(1)
		h.commands.Add(1)
		return next(ctx, cmd)
	}
}

func (h *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.roundTrips.Add(1)
		h.commands.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

func (h *countingHook) reset() { h.roundTrips.Store(0); h.commands.Store(0) }

func (h *countingHook) report(b *testing.B, ops int) {
	b.ReportMetric(float64(h.roundTrips.Load())/float64(ops), "roundtrips/op")
	b.ReportMetric(float64(h.commands.Load())/float64(ops), "cmds/op")
}

// benchStore is a Store over a private Redis whose client counts its calls.
func benchStore(b *testing.B) (*Store, *redis.Client, *countingHook) {
	r := redistest.New(b)
	rdb := r.Client(b)
	hook := &countingHook{}
	rdb.AddHook(hook)
	s := NewStore(rdb, StoreConfig{KeyPrefix: r.Prefix})
	// Load the scripts, so that the counts do not include a first EVAL.
	if _, _, err := s.Create(context.Background(), validRequest("warm-up")); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Update(context.Background(), "warm-up", "", func(r *Record) error { r.Attempts++; return nil }); err != nil {
		b.Fatal(err)
	}
	return s, rdb, hook
}

func BenchmarkStoreCreate(b *testing.B) {
	s, _, hook := benchStore(b)
	ctx := context.Background()
	hook.reset()
	b.ResetTimer()
	for i := range b.N {
		if _, _, err := s.Create(ctx, validRequest(fmt.Sprintf("bench-%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	hook.report(b, b.N)
}

func BenchmarkStoreUpdate(b *testing.B) {
	b.Run("SameState", func(b *testing.B) {
		s, _, hook := benchStore(b)
		ctx := context.Background()
		hook.reset()
		b.ResetTimer()
		for range b.N {
			if _, err := s.Update(ctx, "warm-up", "", func(r *Record) error { r.Attempts++; return nil }); err != nil {
				b.Fatal(err)
			}
		}
		hook.report(b, b.N)
	})
	b.Run("StateChange", func(b *testing.B) {
		s, _, hook := benchStore(b)
		ctx := context.Background()
		for i := range b.N {
			if _, _, err := s.Create(ctx, validRequest(fmt.Sprintf("bench-%d", i))); err != nil {
				b.Fatal(err)
			}
		}
		hook.reset()
		b.ResetTimer()
		for i := range b.N {
			_, err := s.Update(ctx, fmt.Sprintf("bench-%d", i), "create call started", func(r *Record) error {
				r.State = StateSubmitting
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		hook.report(b, b.N)
	})
}

// BenchmarkStoreBytesPerPayout measures what an in-flight payout costs in
// Redis: a realistic submitted record (remark, metadata, cid, three history
// entries) and its index entries, over a population large enough for Redis
// to use its big-set encodings. The op is creating and submitting one payout.
func BenchmarkStoreBytesPerPayout(b *testing.B) {
	const population = 2000
	s, rdb, _ := benchStore(b)
	ctx := context.Background()
	n := 0
	submit := func() {
		if err := submitRealistic(ctx, s, fmt.Sprintf("pay-%08d-7f3a9c", n)); err != nil {
			b.Fatal(err)
		}
		n++
	}
	for range population {
		submit()
	}
	b.ResetTimer()
	for range b.N {
		submit()
	}
	b.StopTimer()
	record := memoryUsage(b, rdb, s.RecordKey("pay-00000001-7f3a9c")) // every record has the same shape
	index := memoryUsage(b, rdb, s.createdKey(), s.stateKey(StateSubmitted), s.openKey())
	events := memoryUsage(b, rdb, s.EventsKey())
	b.ReportMetric(float64(record)+float64(index)/float64(n), "bytes/payout")
	b.ReportMetric(float64(record), "record-bytes/payout")
	b.ReportMetric(float64(index)/float64(n), "index-bytes/payout")
	b.ReportMetric(float64(events)/float64(n), "event-bytes/payout")
}

func submitRealistic(ctx context.Context, s *Store, id string) error {
	req := validRequest(id)
	req.Remark = "withdrawal 2026-01-02 user 48213"
	req.NotifyURL = "https://backend.example.com/payouts/notify"
	req.Metadata = json.RawMessage(`{"user_id":48213,"invoice":"INV-2026-000123"}`)
	if _, _, err := s.Create(ctx, req); err != nil {
		return err
	}
	for _, st := range []State{StateSubmitting, StateSubmitted} {
		_, err := s.Update(ctx, id, "bench", func(r *Record) error {
			r.State, r.Attempts, r.QueryEndpoint = st, 1, "/api/v1/payout/query"
			if st == StateSubmitted {
				r.CID, r.PollSeq = "1382626461605888", 1
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// memoryUsage sums MEMORY USAGE of keys, counting every element (SAMPLES 0).
func memoryUsage(b *testing.B, rdb *redis.Client, keys ...string) int64 {
	var total int64
	for _, k := range keys {
		n, err := rdb.MemoryUsage(context.Background(), k, 0).Result()
		if err != nil {
			b.Fatalf("MEMORY USAGE %s: %v", k, err)
		}
		total += n
	}
	return total
}
