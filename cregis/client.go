package cregis

import (
	"net/http"
	"time"
)

// Endpoint paths.
const (
	PathPayout                   = "/api/v2/payout"
	PathSubAddressWithdrawal     = "/api/v1/sub_address_withdrawal"
	PathSubAddressWithdrawalInfo = "/api/v1/sub_address_withdrawal/info"
	PathPayoutQuery              = "/api/v1/payout/query"
	PathAddressLegal             = "/api/v1/address/legal"
	PathCoins                    = "/api/v1/coins"
)

// DefaultTimeout bounds a call when Config.Timeout is zero.
const DefaultTimeout = 15 * time.Second

// MaxResponseBytes is the largest response body the client reads.
const MaxResponseBytes = 1 << 20

// Config configures a Client. New validates it.
type Config struct {
	// BaseURL is the project's gateway, e.g. "https://t-xxxxxxxx.cregis.dev".
	// It must be https; plain http is allowed only for loopback hosts.
	BaseURL string
	// PID is the project id. Required, positive.
	PID int64
	// APIKey is the project's API key. Required. It never appears in errors.
	APIKey string
	// Timeout bounds each call. Default DefaultTimeout.
	Timeout time.Duration
	// HTTPClient sends the requests. Default: a client with Timeout. Whatever
	// is given, redirects are never followed.
	HTTPClient *http.Client
	// NowFunc returns the time used for timestamps. Default time.Now.
	NowFunc func() time.Time
	// NonceFunc returns a 6-character nonce of [a-z0-9]. Default: crypto/rand.
	NonceFunc func() string
}

// Client calls the Cregis API. It is safe for concurrent use. It never retries
// and never logs.
type Client struct {
	cfg  Config
	http *http.Client
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	panic("unimplemented")
}

// PID returns the project id the client signs for.
func (c *Client) PID() int64 { return c.cfg.PID }
