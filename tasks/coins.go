package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/redis/go-redis/v9"
)

// CoinLister lists the tokens enabled for the project; *cregis.Client is one.
type CoinLister interface {
	Coins(ctx context.Context) (*cregis.Coins, error)
}

// DecimalsTable is a fixed currency -> decimals table.
type DecimalsTable map[string]int

// Decimals implements Decimals.
func (t DecimalsTable) Decimals(_ context.Context, currency string) (int, bool, error) {
	d, ok := t[currency]
	return d, ok, nil
}

// BuiltinDecimals holds the well-known tokens (see the Cregis API notes); it
// is the fallback when Cregis's coin list is unavailable.
var BuiltinDecimals = DecimalsTable{
	"195@195":                                6,  // TRX
	"195@TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t": 6,  // USDT-TRC20
	"60@60":                                  18, // ETH
	"60@0xdac17f958d2ee523a2206206994597c13d831ec7": 6, // USDT-ERC20
	"144@144":   6, // XRP
	"2000@2000": 9, // TON
	"1000@1000": 9, // SOL
	"0@0":       8, // BTC
}

// CoinCacheConfig configures a CoinCache.
type CoinCacheConfig struct {
	KeyPrefix string        // default "payoutd:"; the list is kept at KeyPrefix+"coins"
	TTL       time.Duration // how long a fetched list is trusted; default 10m
	Fallback  Decimals      // default BuiltinDecimals
	// RetryAfter is how long after a failed refresh the cache answers from
	// what it has (a stale list, or Fallback) before asking Cregis again, so
	// that an outage does not put a Cregis call on every validation. Default 1m.
	RetryAfter time.Duration
	// LocalTTL is how long Decimals answers from the list it last read from
	// Redis (or fetched), in process, without a Redis call, as long as that
	// list is younger than TTL. It adds that much staleness: a list another
	// process stored (or a key changed by hand) is seen here up to LocalTTL
	// later. A list this cache fetches itself (Refresh, or a refresh on use)
	// is answered at once. Default 5s; negative: read Redis on every call.
	LocalTTL time.Duration
	// NowFunc returns the current time. Default time.Now.
	NowFunc func() time.Time
}

// DefaultCoinLocalTTL is CoinCacheConfig.LocalTTL when it is zero.
const DefaultCoinLocalTTL = 5 * time.Second

// CoinCache answers Decimals from Cregis's /api/v1/coins, cached in Redis and
// refreshed when older than TTL, falling back to Fallback when Cregis has not
// been reachable.
//
// The list is one Redis key holding JSON: the payout coins and the time they
// were fetched. A stale list is refreshed on use; when the refresh fails the
// stale list stays in use (Cregis rarely disables a token, and a payout with a
// disabled one is refused by Cregis with E0005). Fallback answers only while
// no list was ever cached. Concurrent refreshes are harmless: the last write
// wins and every write is a full list. The list last seen is also kept in
// process for LocalTTL, so that most validations need no Redis call at all.
// It is safe for concurrent use.
type CoinCache struct {
	rdb redis.UniversalClient
	src CoinLister
	cfg CoinCacheConfig

	mu       sync.Mutex
	failedAt time.Time    // last failed refresh
	local    *cachedCoins // the list last read or fetched; nil: none yet
	localAt  time.Time    // when local was read or fetched
}

// cachedCoins is the Redis value: our own schema, never the Cregis wire struct.
type cachedCoins struct {
	FetchedAt time.Time    `json:"fetched_at"`
	Coins     []cachedCoin `json:"coins"`
}

type cachedCoin struct {
	Currency string `json:"currency"`
	Name     string `json:"name"`
	Decimals int    `json:"decimals"`
}

// NewCoinCache returns a CoinCache.
func NewCoinCache(rdb redis.UniversalClient, src CoinLister, cfg CoinCacheConfig) *CoinCache {
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = DefaultKeyPrefix
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 10 * time.Minute
	}
	if cfg.Fallback == nil {
		cfg.Fallback = BuiltinDecimals
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = time.Minute
	}
	if cfg.LocalTTL == 0 {
		cfg.LocalTTL = DefaultCoinLocalTTL
	}
	if cfg.NowFunc == nil {
		cfg.NowFunc = time.Now
	}
	return &CoinCache{rdb: rdb, src: src, cfg: cfg}
}

// Decimals implements Decimals. Its error is a Redis error; a Cregis failure
// is not an error here (see CoinCache).
func (c *CoinCache) Decimals(ctx context.Context, currency string) (int, bool, error) {
	if cached := c.inProcess(); cached != nil {
		return cached.lookup(currency)
	}
	cached, err := c.load(ctx)
	if err != nil {
		return 0, false, err
	}
	if cached == nil || c.cfg.NowFunc().Sub(cached.FetchedAt) >= c.cfg.TTL {
		if fresh, err := c.refresh(ctx); err == nil {
			cached = fresh
		}
	}
	if cached == nil {
		return c.cfg.Fallback.Decimals(ctx, currency)
	}
	c.keep(cached)
	return cached.lookup(currency)
}

// inProcess returns the list kept in process while it is younger than
// LocalTTL and within TTL of its fetch; else nil.
func (c *CoinCache) inProcess() *cachedCoins {
	now := c.cfg.NowFunc()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.local == nil || now.Sub(c.localAt) >= c.cfg.LocalTTL || now.Sub(c.local.FetchedAt) >= c.cfg.TTL {
		return nil
	}
	return c.local
}

// keep makes cached the list kept in process, as of now.
func (c *CoinCache) keep(cached *cachedCoins) {
	if c.cfg.LocalTTL < 0 {
		return
	}
	now := c.cfg.NowFunc()
	c.mu.Lock()
	c.local, c.localAt = cached, now
	c.mu.Unlock()
}

// Refresh fetches the coin list from Cregis and stores it in Redis.
func (c *CoinCache) Refresh(ctx context.Context) error {
	_, err := c.fetch(ctx)
	return err
}

// refresh is Refresh unless one failed less than RetryAfter ago.
func (c *CoinCache) refresh(ctx context.Context) (*cachedCoins, error) {
	c.mu.Lock()
	wait := !c.failedAt.IsZero() && c.cfg.NowFunc().Sub(c.failedAt) < c.cfg.RetryAfter
	c.mu.Unlock()
	if wait {
		return nil, errors.New("tasks: coin list refresh failed recently")
	}
	return c.fetch(ctx)
}

func (c *CoinCache) fetch(ctx context.Context) (*cachedCoins, error) {
	coins, err := c.src.Coins(ctx)
	if err == nil {
		cached := newCachedCoins(coins, c.cfg.NowFunc())
		err = c.store(ctx, cached)
		if err == nil {
			c.setFailed(time.Time{})
			c.keep(cached)
			return cached, nil
		}
	}
	c.setFailed(c.cfg.NowFunc())
	return nil, fmt.Errorf("tasks: refresh coin list: %w", err)
}

func (c *CoinCache) setFailed(at time.Time) {
	c.mu.Lock()
	c.failedAt = at
	c.mu.Unlock()
}

func newCachedCoins(coins *cregis.Coins, now time.Time) *cachedCoins {
	cached := &cachedCoins{FetchedAt: now.UTC(), Coins: []cachedCoin{}}
	for _, coin := range coins.PayoutCoins {
		cached.Coins = append(cached.Coins, cachedCoin{Currency: coin.Currency(), Name: coin.CoinName, Decimals: coin.Decimals})
	}
	return cached
}

func (c *CoinCache) key() string { return c.cfg.KeyPrefix + "coins" }

// load returns the cached list, or nil if there is none (or it is unreadable).
func (c *CoinCache) load(ctx context.Context) (*cachedCoins, error) {
	b, err := c.rdb.Get(ctx, c.key()).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tasks: load coin list: %w", err)
	}
	var cached cachedCoins
	if json.Unmarshal(b, &cached) != nil {
		return nil, nil // a value we cannot read is as good as none: refetch
	}
	return &cached, nil
}

func (c *CoinCache) store(ctx context.Context, cached *cachedCoins) error {
	b, err := json.Marshal(cached)
	if err != nil {
		return err
	}
	return c.rdb.Set(ctx, c.key(), b, 0).Err()
}

func (cc *cachedCoins) lookup(currency string) (int, bool, error) {
	for _, coin := range cc.Coins {
		if coin.Currency == currency {
			return coin.Decimals, true, nil
		}
	}
	return 0, false, nil
}
