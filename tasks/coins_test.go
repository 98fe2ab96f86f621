package tasks

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/internal/redistest"
)

// fakeCoins is a CoinLister that answers with coins, or fails with err.
type fakeCoins struct {
	mu    sync.Mutex
	coins []cregis.Coin
	err   error
	calls int
}

func (f *fakeCoins) Coins(context.Context) (*cregis.Coins, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return &cregis.Coins{PayoutCoins: append([]cregis.Coin(nil), f.coins...)}, nil
}

func (f *fakeCoins) set(err error, coins ...cregis.Coin) {
	f.mu.Lock()
	f.coins, f.err = coins, err
	f.mu.Unlock()
}

func (f *fakeCoins) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

var (
	coinTRX  = cregis.Coin{CoinName: "TRX", ChainID: "195", TokenID: "195", Decimals: 6}
	coinUSDT = cregis.Coin{CoinName: "USDT", ChainID: "195", TokenID: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", Decimals: 6}
	errDown  = errors.New("cregis down")
)

func newCoinCacheFixture(t *testing.T, src *fakeCoins) (*CoinCache, *testClock) {
	t.Helper()
	r := redistest.New(t)
	clock := newTestClock()
	return NewCoinCache(r.Client(t), src, CoinCacheConfig{KeyPrefix: r.Prefix, TTL: 10 * time.Minute,
		RetryAfter: time.Minute, NowFunc: clock.Now}), clock
}

func assertDecimals(t *testing.T, c *CoinCache, currency string, want int, wantOK bool) {
	t.Helper()
	got, ok, err := c.Decimals(context.Background(), currency)
	if err != nil || got != want || ok != wantOK {
		t.Fatalf("Decimals(%s) = %d, %v, %v; want %d, %v", currency, got, ok, err, want, wantOK)
	}
}

func TestCoinCache(t *testing.T) {
	t.Run("AnswersFromCregisAndCachesTheList", func(t *testing.T) {
		src := &fakeCoins{coins: []cregis.Coin{coinTRX, coinUSDT}}
		c, _ := newCoinCacheFixture(t, src)
		assertDecimals(t, c, "195@TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", 6, true)
		assertDecimals(t, c, "195@195", 6, true)
		if n := src.callCount(); n != 1 {
			t.Fatalf("got %d Cregis calls, want 1", n)
		}
	})
	t.Run("ACurrencyCregisDoesNotListIsUnsupported", func(t *testing.T) {
		src := &fakeCoins{coins: []cregis.Coin{coinTRX}}
		c, _ := newCoinCacheFixture(t, src)
		assertDecimals(t, c, "60@60", 0, false) // in BuiltinDecimals, but not enabled
	})
	t.Run("RefreshesWhenOlderThanTTL", func(t *testing.T) {
		src := &fakeCoins{coins: []cregis.Coin{coinTRX}}
		c, clock := newCoinCacheFixture(t, src)
		assertDecimals(t, c, "195@195", 6, true)
		src.set(nil, coinTRX, coinUSDT)
		clock.Advance(9 * time.Minute)
		assertDecimals(t, c, coinUSDT.Currency(), 0, false) // still the cached list
		clock.Advance(time.Minute)
		assertDecimals(t, c, coinUSDT.Currency(), 6, true)
	})
	t.Run("FallsBackToBuiltinWhenCregisFailsAndNothingIsCached", func(t *testing.T) {
		c, _ := newCoinCacheFixture(t, &fakeCoins{err: errDown})
		assertDecimals(t, c, "60@60", 18, true)
		assertDecimals(t, c, "999@1", 0, false)
	})
	t.Run("KeepsAStaleListWhenCregisFails", func(t *testing.T) {
		src := &fakeCoins{coins: []cregis.Coin{coinTRX}}
		c, clock := newCoinCacheFixture(t, src)
		assertDecimals(t, c, "195@195", 6, true)
		src.set(errDown)
		clock.Advance(time.Hour)
		assertDecimals(t, c, "195@195", 6, true)
		assertDecimals(t, c, "60@60", 0, false) // the list, not the fallback
	})
	t.Run("WaitsRetryAfterBeforeAskingAFailedCregisAgain", func(t *testing.T) {
		src := &fakeCoins{err: errDown}
		c, clock := newCoinCacheFixture(t, src)
		for range 3 {
			assertDecimals(t, c, "195@195", 6, true)
		}
		if n := src.callCount(); n != 1 {
			t.Fatalf("got %d Cregis calls, want 1 within RetryAfter", n)
		}
		src.set(nil, coinUSDT)
		clock.Advance(time.Minute)
		assertDecimals(t, c, "195@195", 0, false) // Cregis answers again: TRX is not enabled
	})
	t.Run("RefreshReportsCregisErrors", func(t *testing.T) {
		c, _ := newCoinCacheFixture(t, &fakeCoins{err: errDown})
		if err := c.Refresh(context.Background()); !errors.Is(err, errDown) {
			t.Fatalf("got %v, want %v", err, errDown)
		}
	})
	t.Run("SharesTheListThroughRedis", func(t *testing.T) {
		r := redistest.New(t)
		first := NewCoinCache(r.Client(t), &fakeCoins{coins: []cregis.Coin{coinTRX}}, CoinCacheConfig{KeyPrefix: r.Prefix})
		if err := first.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		down := &fakeCoins{err: errDown}
		second := NewCoinCache(r.Client(t), down, CoinCacheConfig{KeyPrefix: r.Prefix})
		assertDecimals(t, second, "195@195", 6, true)
		assertDecimals(t, second, "60@60", 0, false)
		if n := down.callCount(); n != 0 {
			t.Fatalf("got %d Cregis calls, want 0 while the shared list is fresh", n)
		}
	})
}

// newCountedCoinCaches returns two caches sharing one Redis and one clock
// (another process and this one): the first lists shared, the second, whose
// Redis calls counter counts, lists own.
func newCountedCoinCaches(t *testing.T, shared, own *fakeCoins, localTTL time.Duration) (other, c *CoinCache, clock *testClock, counter *redistest.Counter) {
	t.Helper()
	r := redistest.New(t)
	clock = newTestClock()
	cfg := CoinCacheConfig{KeyPrefix: r.Prefix, TTL: 10 * time.Minute, LocalTTL: localTTL, NowFunc: clock.Now}
	other = NewCoinCache(r.Client(t), shared, cfg)
	rdb := r.Client(t)
	counter = &redistest.Counter{}
	rdb.AddHook(counter)
	if err := rdb.Ping(context.Background()).Err(); err != nil { // the connection's own commands
		t.Fatal(err)
	}
	counter.Take()
	return other, NewCoinCache(rdb, own, cfg), clock, counter
}

// refresh refreshes c's list, failing t on error.
func refresh(t *testing.T, c *CoinCache) {
	t.Helper()
	if err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// assertRedisCalls checks the commands counter saw since its last Take.
func assertRedisCalls(t *testing.T, counter *redistest.Counter, want int64) {
	t.Helper()
	if _, cmds := counter.Take(); cmds != want {
		t.Fatalf("got %d Redis commands, want %d", cmds, want)
	}
}

func TestCoinCacheInProcess(t *testing.T) {
	t.Run("AnswersFromMemoryWithinLocalTTLThenSeesAnotherProcesssList", func(t *testing.T) {
		shared := &fakeCoins{coins: []cregis.Coin{coinTRX}}
		other, c, clock, counter := newCountedCoinCaches(t, shared, &fakeCoins{err: errDown}, 5*time.Second)
		refresh(t, other)
		assertDecimals(t, c, "195@195", 6, true)
		assertRedisCalls(t, counter, 1)
		clock.Advance(4 * time.Second)
		shared.set(nil, coinUSDT)
		refresh(t, other) // the list in Redis changes, not yet here
		assertDecimals(t, c, "195@195", 6, true)
		assertDecimals(t, c, coinUSDT.Currency(), 0, false)
		assertRedisCalls(t, counter, 0)
		clock.Advance(time.Second)
		assertDecimals(t, c, coinUSDT.Currency(), 6, true)
		assertRedisCalls(t, counter, 1)
	})
	t.Run("AListItFetchedIsAnsweredAtOnce", func(t *testing.T) {
		own := &fakeCoins{coins: []cregis.Coin{coinTRX}}
		_, c, _, counter := newCountedCoinCaches(t, &fakeCoins{}, own, 5*time.Second)
		assertDecimals(t, c, "195@195", 6, true) // nothing cached: fetched and kept
		own.set(nil, coinUSDT)
		refresh(t, c)
		counter.Take()
		assertDecimals(t, c, coinUSDT.Currency(), 6, true)
		assertDecimals(t, c, "195@195", 0, false)
		assertRedisCalls(t, counter, 0)
	})
	t.Run("AListOlderThanTTLIsNeverAnsweredFromMemory", func(t *testing.T) {
		own := &fakeCoins{coins: []cregis.Coin{coinTRX}}
		_, c, clock, _ := newCountedCoinCaches(t, &fakeCoins{}, own, 5*time.Second)
		assertDecimals(t, c, "195@195", 6, true)
		clock.Advance(10*time.Minute - 2*time.Second)
		assertDecimals(t, c, "195@195", 6, true) // read from Redis again: kept as of now
		own.set(nil, coinUSDT)
		clock.Advance(2 * time.Second) // the kept copy is 2s old, its list 10m: refreshed
		assertDecimals(t, c, coinUSDT.Currency(), 6, true)
		if n := own.callCount(); n != 2 {
			t.Fatalf("got %d Cregis calls, want 2", n)
		}
	})
	t.Run("TheFallbackIsNotKept", func(t *testing.T) {
		own := &fakeCoins{err: errDown}
		other, c, _, counter := newCountedCoinCaches(t, &fakeCoins{coins: []cregis.Coin{coinUSDT}}, own, 5*time.Second)
		assertDecimals(t, c, "195@195", 6, true) // BuiltinDecimals
		refresh(t, other)
		counter.Take()
		assertDecimals(t, c, "195@195", 0, false) // the shared list, read at once
		assertRedisCalls(t, counter, 1)
	})
	t.Run("NegativeLocalTTLReadsRedisEveryTime", func(t *testing.T) {
		other, c, _, counter := newCountedCoinCaches(t, &fakeCoins{coins: []cregis.Coin{coinTRX}}, &fakeCoins{err: errDown}, -1)
		refresh(t, other)
		for range 3 {
			assertDecimals(t, c, "195@195", 6, true)
		}
		assertRedisCalls(t, counter, 3)
	})
}

// BenchmarkCoinCacheDecimals measures one lookup of a fresh list, from memory
// (the default LocalTTL) and from Redis (LocalTTL negative).
func BenchmarkCoinCacheDecimals(b *testing.B) {
	for _, bc := range []struct {
		name     string
		localTTL time.Duration
	}{{"InProcess", 0}, {"Redis", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			r := redistest.New(b)
			c := NewCoinCache(r.Client(b), &fakeCoins{coins: []cregis.Coin{coinTRX, coinUSDT}},
				CoinCacheConfig{KeyPrefix: r.Prefix, LocalTTL: bc.localTTL})
			ctx := context.Background()
			for b.Loop() {
				if _, ok, err := c.Decimals(ctx, "195@195"); !ok || err != nil {
					b.Fatalf("Decimals = %v, %v", ok, err)
				}
			}
		})
	}
}
