package cregistest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/payoutd/payoutd/cregis"
)

// DefaultPID is the project id when Config.PID is zero. It is odd and above
// 2^53, so a pid decoded through float64 comes out wrong.
const DefaultPID int64 = 1<<53 + 1382528827416577

// DefaultDwell is how long a payout stays in each non-terminal status when the
// matching Dwell field is zero.
const DefaultDwell = 20 * time.Millisecond

// Config configures a fake. Every field's zero value means its default.
type Config struct {
	// Addr is the TCP address to listen on. Default "127.0.0.1:0", a free
	// loopback port.
	Addr string
	// PID is the project id. Default DefaultPID.
	PID int64
	// APIKey is the project's API key. Default: 32 random hex characters.
	APIKey string
	// Coins is the coin table: the currencies accepted and their decimals,
	// listed by /api/v1/coins. Default DefaultCoins().
	Coins []cregis.Coin
	// Dwell is how long a payout stays in each non-terminal status. Each zero
	// field defaults to DefaultDwell.
	Dwell Dwell
	// QueryMode says which query endpoint answers for a /api/v2/payout cid.
	// Default QueryBoth.
	QueryMode QueryMode
	// DisableCallbacks stops the fake from sending callbacks on its own.
	// Default false: callbacks are sent. PushCallback and SendCallback work
	// either way.
	DisableCallbacks bool
	// CallbackTimeout bounds one callback delivery. Default 5s.
	CallbackTimeout time.Duration
	// TickInterval is how often payouts with a callback_url are moved along in
	// the background, so that callbacks fire without queries. Default 5ms.
	TickInterval time.Duration
	// Latency is added to every API call. Default 0. SetLatency changes it.
	Latency time.Duration
	// FaultRates injects faults at random, for the sandbox. Default: none.
	FaultRates FaultRates
	// RequestLogSize is how many of the most recent requests Requests
	// returns. Default 100000.
	RequestLogSize int
	// NowFunc returns the current time; statuses move on by it. Default
	// time.Now. A *Clock's Now makes time move only when the test says so.
	NowFunc func() time.Time
	// VerificationURL turns on Payout External Verification: every payout
	// created afterwards is POSTed there and waits in status 0 for the answer
	// "ok" (see the package doc). Default "": off. It must be an absolute
	// http or https URL. SetVerificationURL changes it at run time.
	VerificationURL string
	// VerificationRetry is how soon a verification request that earned no
	// verdict is sent again, in wall-clock time even under a Clock. Default
	// 50ms.
	VerificationRetry time.Duration
}

// Dwell is how long a payout stays in each non-terminal status.
type Dwell struct {
	PendingApproval  time.Duration // status 0; default DefaultDwell
	PendingSignature time.Duration // status 5; default DefaultDwell
	OnChain          time.Duration // status 1; default DefaultDwell
}

// RealisticDwell is the life of a payout that payoutd's poll schedule is
// measured on: 10 minutes waiting for approval (status 0), 20 waiting for
// signers (5), 2 on chain (1).
var RealisticDwell = Dwell{PendingApproval: 10 * time.Minute, PendingSignature: 20 * time.Minute, OnChain: 2 * time.Minute}

// QueryMode says which query endpoint answers for a cid created by
// /api/v2/payout. A sub-address withdrawal is always answered by
// /api/v1/sub_address_withdrawal/info only.
type QueryMode int

// The query modes. The endpoint that does not answer returns E0014.
const (
	QueryBoth            QueryMode = iota // both endpoints answer (default)
	QueryInfoOnly                         // only /api/v1/sub_address_withdrawal/info
	QueryPayoutQueryOnly                  // only /api/v1/payout/query
)

// String returns "both", "info" or "payout-query".
func (m QueryMode) String() string {
	switch m {
	case QueryBoth:
		return "both"
	case QueryInfoOnly:
		return "info"
	case QueryPayoutQueryOnly:
		return "payout-query"
	}
	return fmt.Sprintf("QueryMode(%d)", int(m))
}

// ParseQueryMode parses the names String returns.
func ParseQueryMode(s string) (QueryMode, error) {
	for _, m := range []QueryMode{QueryBoth, QueryInfoOnly, QueryPayoutQueryOnly} {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("cregistest: unknown query mode %q (want both, info or payout-query)", s)
}

// FaultRates are the fractions, in [0, 1], of calls that fail at random.
type FaultRates struct {
	// CreateBeforeApply fails creates before applying them: HTTP 502, 503 or
	// a reset connection, chosen at random.
	CreateBeforeApply float64 `json:"create_before_apply"`
	// CreateAfterApply applies creates, then fails the answer: HTTP 500, 504
	// or an HTML body, chosen at random.
	CreateAfterApply float64 `json:"create_after_apply"`
	// Query fails status queries: HTTP 502, 503 or 500, chosen at random.
	Query float64 `json:"query"`
}

// Option changes a Config; NewServer applies options in order.
type Option func(*Config)

// WithPID sets Config.PID.
func WithPID(pid int64) Option { return func(c *Config) { c.PID = pid } }

// WithAPIKey sets Config.APIKey.
func WithAPIKey(key string) Option { return func(c *Config) { c.APIKey = key } }

// WithCoins sets Config.Coins.
func WithCoins(coins ...cregis.Coin) Option { return func(c *Config) { c.Coins = coins } }

// WithDwell sets Config.Dwell.
func WithDwell(d Dwell) Option { return func(c *Config) { c.Dwell = d } }

// WithQueryMode sets Config.QueryMode.
func WithQueryMode(m QueryMode) Option { return func(c *Config) { c.QueryMode = m } }

// WithoutCallbacks sets Config.DisableCallbacks.
func WithoutCallbacks() Option { return func(c *Config) { c.DisableCallbacks = true } }

// WithVerificationURL sets Config.VerificationURL.
func WithVerificationURL(url string) Option { return func(c *Config) { c.VerificationURL = url } }

// WithVerificationRetry sets Config.VerificationRetry.
func WithVerificationRetry(d time.Duration) Option {
	return func(c *Config) { c.VerificationRetry = d }
}

// WithNowFunc sets Config.NowFunc.
func WithNowFunc(now func() time.Time) Option { return func(c *Config) { c.NowFunc = now } }

// withDefaults returns cfg with every zero field set to its default.
func (cfg Config) withDefaults() Config {
	cfg.Addr = orDefault(cfg.Addr, "127.0.0.1:0")
	cfg.PID = orDefault(cfg.PID, DefaultPID)
	cfg.APIKey = orDefault(cfg.APIKey, randomHex(16))
	if cfg.Coins == nil {
		cfg.Coins = DefaultCoins()
	}
	cfg.Dwell.PendingApproval = orDefault(cfg.Dwell.PendingApproval, DefaultDwell)
	cfg.Dwell.PendingSignature = orDefault(cfg.Dwell.PendingSignature, DefaultDwell)
	cfg.Dwell.OnChain = orDefault(cfg.Dwell.OnChain, DefaultDwell)
	cfg.CallbackTimeout = orDefault(cfg.CallbackTimeout, 5*time.Second)
	cfg.TickInterval = orDefault(cfg.TickInterval, 5*time.Millisecond)
	cfg.RequestLogSize = orDefault(cfg.RequestLogSize, 100000)
	cfg.VerificationRetry = orDefault(cfg.VerificationRetry, 50*time.Millisecond)
	if cfg.NowFunc == nil {
		cfg.NowFunc = time.Now
	}
	return cfg
}

// validate reports the first invalid field of a Config with defaults applied.
func (cfg Config) validate() error {
	switch {
	case cfg.PID < 0:
		return fmt.Errorf("cregistest: Config.PID must be positive, got %d", cfg.PID)
	case cfg.Dwell.PendingApproval < 0 || cfg.Dwell.PendingSignature < 0 || cfg.Dwell.OnChain < 0:
		return fmt.Errorf("cregistest: Config.Dwell durations must not be negative, got %+v", cfg.Dwell)
	case cfg.QueryMode < QueryBoth || cfg.QueryMode > QueryPayoutQueryOnly:
		return fmt.Errorf("cregistest: Config.QueryMode is not a QueryMode: %d", int(cfg.QueryMode))
	case cfg.CallbackTimeout < 0 || cfg.TickInterval < 0 || cfg.Latency < 0:
		return fmt.Errorf("cregistest: Config.CallbackTimeout, TickInterval and Latency must not be negative")
	case cfg.RequestLogSize < 0:
		return fmt.Errorf("cregistest: Config.RequestLogSize must not be negative, got %d", cfg.RequestLogSize)
	case cfg.VerificationRetry < 0:
		return fmt.Errorf("cregistest: Config.VerificationRetry must not be negative, got %v", cfg.VerificationRetry)
	case cfg.VerificationURL != "" && checkCallbackURL(cfg.VerificationURL) != nil:
		return fmt.Errorf("cregistest: Config.VerificationURL must be an absolute http or https URL")
	}
	if err := cfg.FaultRates.validate(); err != nil {
		return err
	}
	return validateCoins(cfg.Coins)
}

func (r FaultRates) validate() error {
	for name, v := range map[string]float64{
		"CreateBeforeApply": r.CreateBeforeApply, "CreateAfterApply": r.CreateAfterApply, "Query": r.Query,
	} {
		if v < 0 || v > 1 {
			return fmt.Errorf("cregistest: Config.FaultRates.%s must be in [0, 1], got %v", name, v)
		}
	}
	return nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
