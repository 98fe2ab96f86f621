package cregis_test

import (
	"context"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/payoutd/payoutd/cregis/cregistest"
)

// benchConcurrency is the number of callers of BenchmarkConcurrentCalls:
// a worker's concurrency.
const benchConcurrency = 20

// BenchmarkConcurrentCalls measures signed status queries against the fake
// from benchConcurrency goroutines on one client built with the defaults, and
// reports the TCP connections the client opened (new-conns, counted through
// httptrace: a connection not reused) over all b.N calls. Run it with
// -benchtime 24000x for the figure of issue 9.
func BenchmarkConcurrentCalls(b *testing.B) {
	fake := cregistest.NewServer(b)
	c := fake.Client()
	cid, err := c.Payout(context.Background(), validPayout())
	if err != nil {
		b.Fatal(err)
	}
	var opened atomic.Int64
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			if !info.Reused {
				opened.Add(1)
			}
		},
	})
	opened.Store(0)
	b.ResetTimer()
	callConcurrently(b, benchConcurrency, b.N, func() error {
		_, err := c.SubAddressWithdrawalInfo(ctx, cid)
		return err
	})
	b.StopTimer()
	b.ReportMetric(float64(opened.Load()), "new-conns")
}

// callConcurrently runs call n times in total from workers goroutines,
// failing b at the first error.
func callConcurrently(tb testing.TB, workers, n int, call func() error) {
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				if err := call(); err != nil {
					tb.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
