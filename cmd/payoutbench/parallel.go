package main

import (
	"cmp"
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// parallel runs fn(i) for every i in [0, n) on workers goroutines and
// returns the first error; after an error (or ctx's end) no new i starts.
func parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	failed := func() bool { mu.Lock(); defer mu.Unlock(); return firstErr != nil }
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n && ctx.Err() == nil && !failed(); i = int(next.Add(1) - 1) {
				if err := fn(i); err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return cmp.Or(firstErr, ctx.Err())
}

// stallAfter is how long a count may stand still before the run is
// broken: longer than a submit lease (90s with payoutd's defaults), which
// a release that failed under load leaves in place until it expires.
const stallAfter = 3 * time.Minute

// awaitCount waits until count() reaches want, checking every few
// milliseconds. It fails when count has not moved for stallAfter, or when
// ctx ends.
func awaitCount(ctx context.Context, want int64, count func() (int64, error)) error {
	last, lastMove := int64(-1), time.Now()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		n, err := count()
		switch {
		case err != nil:
			return err
		case n >= want:
			return nil
		case n != last:
			last, lastMove = n, time.Now()
		case time.Since(lastMove) > stallAfter:
			return errStalled
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
