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
