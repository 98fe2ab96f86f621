package tasks

import (
	"context"
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
	KeyPrefix string        // default "payoutd:"
	TTL       time.Duration // how long a fetched list is trusted; default 10m
	Fallback  Decimals      // default BuiltinDecimals
}

// CoinCache answers Decimals from Cregis's /api/v1/coins, cached in Redis and
// refreshed when older than TTL, falling back to Fallback when Cregis has not
// been reachable.
type CoinCache struct {
	rdb redis.UniversalClient
	src CoinLister
	cfg CoinCacheConfig
}

// NewCoinCache returns a CoinCache.
func NewCoinCache(rdb redis.UniversalClient, src CoinLister, cfg CoinCacheConfig) *CoinCache {
	panic("unimplemented")
}

// Decimals implements Decimals.
func (c *CoinCache) Decimals(ctx context.Context, currency string) (int, bool, error) {
	panic("unimplemented")
}

// Refresh fetches the coin list from Cregis and stores it in Redis.
func (c *CoinCache) Refresh(ctx context.Context) error { panic("unimplemented") }
