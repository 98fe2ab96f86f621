package tasks

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/internal/redistest"
)

// benchEnqueuers is how many goroutines enqueue at once: issue 9's figure.
const benchEnqueuers = 16

// BenchmarkProducerEnqueue measures Producer.Enqueue of distinct valid
// payouts from benchEnqueuers goroutines, with a CoinCache as payoutd uses,
// beside its reference measured the same way: bare asynq enqueue of the
// submit task (same options, same payload). Every Redis client (the store's,
// asynq's, the coin cache's) is one hooked go-redis client, so roundtrips/op
// and cmds/op count them all.
func BenchmarkProducerEnqueue(b *testing.B) {
	b.Run("Producer", func(b *testing.B) {
		r := redistest.New(b)
		rdb := r.Client(b)
		counter := &redistest.Counter{}
		rdb.AddHook(counter)
		client := asynq.NewClientFromRedisClient(rdb)
		coins := NewCoinCache(rdb, &fakeCoins{coins: []cregis.Coin{coinTRX}}, CoinCacheConfig{KeyPrefix: r.Prefix})
		p := NewProducer(ProducerConfig{Store: NewStore(rdb, StoreConfig{KeyPrefix: r.Prefix}), Client: client,
			Decimals: coins, Queues: NewQueues(r.Prefix)})
		ctx := context.Background()
		if _, _, err := p.Enqueue(ctx, validRequest("warm-up")); err != nil { // loads the scripts
			b.Fatal(err)
		}
		counter.Take()
		runEnqueuers(b, func(i int) error {
			_, _, err := p.Enqueue(ctx, validRequest(fmt.Sprintf("bench-%d", i)))
			return err
		})
		report(b, counter, b.N)
	})
	b.Run("BareAsynq", func(b *testing.B) {
		r := redistest.New(b)
		rdb := r.Client(b)
		counter := &redistest.Counter{}
		rdb.AddHook(counter)
		client := asynq.NewClientFromRedisClient(rdb)
		q := NewQueues(r.Prefix)
		counter.Take()
		runEnqueuers(b, func(i int) error {
			task, err := NewSubmitTask(q, fmt.Sprintf("bench-%d", i), time.Minute)
			if err == nil {
				_, err = client.Enqueue(task)
			}
			return err
		})
		report(b, counter, b.N)
	})
}

// runEnqueuers calls op with 0 to b.N-1 from benchEnqueuers goroutines,
// timing them and reporting ops/s.
func runEnqueuers(b *testing.B, op func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range benchEnqueuers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < b.N; i = int(next.Add(1) - 1) {
				if err := op(i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
}
