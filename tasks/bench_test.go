package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/payoutd/payoutd/cregis"
	"testing"

	"github.com/payoutd/payoutd/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// report reports the round trips and commands counted since the last Take
// per operation.
func report(b *testing.B, c *redistest.Counter, ops int) {
	trips, cmds := c.Take()
	b.ReportMetric(float64(trips)/float64(ops), "roundtrips/op")
	b.ReportMetric(float64(cmds)/float64(ops), "cmds/op")
}

// benchStore is a Store over a private Redis whose client counts its calls.
func benchStore(b *testing.B) (*Store, *redis.Client, *redistest.Counter) {
	r := redistest.New(b)
	rdb := r.Client(b)
	hook := &redistest.Counter{}
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
	hook.Take()
	b.ResetTimer()
	for i := range b.N {
		if _, _, err := s.Create(ctx, validRequest(fmt.Sprintf("bench-%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	report(b, hook, b.N)
}

func BenchmarkStoreUpdate(b *testing.B) {
	b.Run("SameState", func(b *testing.B) {
		s, _, hook := benchStore(b)
		ctx := context.Background()
		hook.Take()
		b.ResetTimer()
		for range b.N {
			if _, err := s.Update(ctx, "warm-up", "", func(r *Record) error { r.Attempts++; return nil }); err != nil {
				b.Fatal(err)
			}
		}
		report(b, hook, b.N)
	})
	b.Run("StateChange", func(b *testing.B) {
		s, _, hook := benchStore(b)
		ctx := context.Background()
		for i := range b.N {
			if _, _, err := s.Create(ctx, validRequest(fmt.Sprintf("bench-%d", i))); err != nil {
				b.Fatal(err)
			}
		}
		hook.Take()
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
		report(b, hook, b.N)
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
	index := memoryUsage(b, rdb, s.stateKey(StateSubmitted))
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

// BenchmarkStoreBytesPerSettledPayout is BenchmarkStoreBytesPerPayout for a
// settled payout (succeeded, with txid, block and five history entries):
// what RECORD_RETENTION bounds. The op is creating and settling one payout.
func BenchmarkStoreBytesPerSettledPayout(b *testing.B) {
	const population = 2000
	s, rdb, _ := benchStore(b)
	ctx := context.Background()
	n := 0
	settle := func() {
		id := fmt.Sprintf("pay-%08d-7f3a9c", n)
		n++
		if err := submitRealistic(ctx, s, id); err != nil {
			b.Fatal(err)
		}
		_, err := s.Update(ctx, id, "poll: Cregis status 6 (succeeded)", func(r *Record) error {
			st := cregis.StatusSucceeded
			r.State, r.CregisStatus, r.BlockHeight, r.BlockTime = StateSucceeded, &st, "71234567", 1767322800000
			r.TxID = "3f2a9c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809"
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for range population {
		settle()
	}
	b.ResetTimer()
	for range b.N {
		settle()
	}
	b.StopTimer()
	record := memoryUsage(b, rdb, s.RecordKey("pay-00000001-7f3a9c"))
	index := memoryUsage(b, rdb, s.stateKey(StateSucceeded))
	b.ReportMetric(float64(record)+float64(index)/float64(n), "bytes/payout")
	b.ReportMetric(float64(record), "record-bytes/payout")
	b.ReportMetric(float64(index)/float64(n), "index-bytes/payout")
}
