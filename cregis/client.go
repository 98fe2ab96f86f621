package cregis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
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

// DefaultMaxIdleConns is Config.MaxIdleConns when it is zero.
const DefaultMaxIdleConns = 64

// MaxResponseBytes is the largest response body the client reads. A larger
// body fails the call with an *HTTPError.
const MaxResponseBytes = 1 << 20

// Config configures a Client. New validates it.
type Config struct {
	// BaseURL is the project's gateway, e.g. "https://t-xxxxxxxx.cregis.dev".
	// Required. It must be https; plain http is allowed only for loopback
	// hosts (127.0.0.0/8, ::1, localhost). It may carry a path prefix, but no
	// user information, query or fragment.
	BaseURL string
	// PID is the project id. Required, positive.
	PID int64
	// APIKey is the project's API key. Required. It never appears in errors.
	APIKey string
	// Timeout bounds each call, through the call's context (so an expired
	// call reports context.DeadlineExceeded). Default DefaultTimeout; must
	// not be negative.
	Timeout time.Duration
	// HTTPClient sends the requests. Default: a client on a transport of
	// its own, a clone of http.DefaultTransport (proxy from the environment,
	// keep-alive, HTTP/2) keeping MaxIdleConns idle connections. New uses a
	// copy whose CheckRedirect refuses every redirect; the given client is
	// not modified. With a Transport other than *http.Transport the client
	// cannot observe whether a request was written, so every transport
	// failure is reported as possibly sent.
	HTTPClient *http.Client
	// MaxIdleConns is how many idle keep-alive connections to Cregis the
	// default transport keeps (its MaxIdleConns and MaxIdleConnsPerHost).
	// Set it to the number of calls the process makes at once (a worker's
	// concurrency and the HTTP API's): with fewer, a burst closes
	// connections and opens new ones (a TCP and TLS handshake each; net/http
	// keeps 2 per host). Default DefaultMaxIdleConns; must not be negative.
	// Ignored when HTTPClient is set.
	MaxIdleConns int
	// NowFunc returns the time used for timestamps. Default time.Now.
	NowFunc func() time.Time
	// NonceFunc returns a 6-character nonce of [a-z0-9]. Default: crypto/rand.
	NonceFunc func() string
}

// Client calls the Cregis API. It is safe for concurrent use. It never retries
// and never logs.
type Client struct {
	cfg    Config
	http   *http.Client
	base   string // BaseURL without a trailing slash
	traced bool   // the transport reports WroteRequest through httptrace
}

// New validates cfg and returns a Client. Errors name the invalid field.
func New(cfg Config) (*Client, error) {
	base, err := checkBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.PID <= 0:
		return nil, configError("PID", "must be positive")
	case cfg.APIKey == "":
		return nil, configError("APIKey", "is required")
	case cfg.Timeout < 0:
		return nil, configError("Timeout", "must not be negative")
	case cfg.MaxIdleConns < 0:
		return nil, configError("MaxIdleConns", "must not be negative")
	}
	cfg = withDefaults(cfg)
	hc := noRedirects(cfg.HTTPClient, cfg.MaxIdleConns)
	return &Client{cfg: cfg, http: hc, base: base, traced: isTraced(hc)}, nil
}

// PID returns the project id the client signs for.
func (c *Client) PID() int64 { return c.cfg.PID }

func configError(field, reason string) error {
	return fmt.Errorf("cregis: invalid Config.%s: %s", field, reason)
}

// checkBaseURL validates the base URL and returns it without a trailing
// slash. Its errors never quote the URL, which could hold a password.
func checkBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return "", configError("BaseURL", "is required")
	case err != nil:
		return "", configError("BaseURL", "is not a valid URL")
	case u.User != nil:
		return "", configError("BaseURL", "must not contain user information")
	case u.RawQuery != "" || u.ForceQuery:
		return "", configError("BaseURL", "must not have a query")
	case strings.Contains(raw, "#"):
		return "", configError("BaseURL", "must not have a fragment")
	case u.Host == "":
		return "", configError("BaseURL", "must have a host")
	case u.Scheme != "https" && (u.Scheme != "http" || !isLoopback(u.Hostname())):
		return "", configError("BaseURL", "must be https (plain http only for a loopback host)")
	}
	return u.Scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// isLoopback reports whether host is localhost or a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

func withDefaults(cfg Config) Config {
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.NowFunc == nil {
		cfg.NowFunc = time.Now
	}
	if cfg.NonceFunc == nil {
		cfg.NonceFunc = newNonce
	}
	if cfg.MaxIdleConns == 0 {
		cfg.MaxIdleConns = DefaultMaxIdleConns
	}
	return cfg
}

// noRedirects returns a copy of hc (or a new client on newTransport(idle))
// that never follows a redirect: the 3xx response itself is returned, and
// becomes an *HTTPError.
func noRedirects(hc *http.Client, idle int) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	} else {
		c.Transport = newTransport(idle)
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}
	return &c
}

// newTransport returns a clone of http.DefaultTransport that keeps up to
// idle connections open between calls, all of them to one host if need be.
// If http.DefaultTransport was replaced by another type, it is used as is.
func newTransport(idle int) http.RoundTripper {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport
	}
	t = t.Clone()
	t.MaxIdleConns = idle
	t.MaxIdleConnsPerHost = idle
	return t
}

// isTraced reports whether hc's transport is net/http's own, which reports
// through httptrace whether a request was written.
func isTraced(hc *http.Client) bool {
	if hc.Transport == nil {
		return true
	}
	_, ok := hc.Transport.(*http.Transport)
	return ok
}

// completer is a response data type that can tell whether it holds every
// field the call returns.
type completer interface{ complete() bool }

// call signs r's fields (adding pid, nonce and timestamp), POSTs them to
// r.op, and decodes the data of a "00000" envelope into out.
func (c *Client) call(ctx context.Context, r *request, out completer) error {
	if r.err != nil {
		return r.err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	body, sign := c.sign(r.fields)
	secrets := []string{c.cfg.APIKey, sign}
	status, raw, err := c.post(ctx, r.op, body, secrets)
	if err != nil {
		return err
	}
	data, err := decodeEnvelope(r.op, status, raw, secrets...)
	if err != nil {
		return err
	}
	if !isJSONObject(data) || json.Unmarshal(data, out) != nil || !out.complete() {
		return newHTTPError(r.op, status, raw, secrets)
	}
	return nil
}

// sign adds pid, a fresh nonce and timestamp and the sign to fields, and
// returns the JSON body (exactly the signed fields plus sign) and the sign.
func (c *Client) sign(fields map[string]any) ([]byte, string) {
	fields["pid"] = c.cfg.PID
	fields["nonce"] = c.cfg.NonceFunc()
	fields["timestamp"] = c.cfg.NowFunc().UnixMilli()
	sign := Sign(c.cfg.APIKey, fields)
	fields["sign"] = sign
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(fields) // cannot fail: only valid strings and int64s
	return buf.Bytes(), sign
}

// post sends body and reads the response, at most MaxResponseBytes of it.
func (c *Client) post(ctx context.Context, op string, body []byte, secrets []string) (int, []byte, error) {
	var sent atomic.Bool
	sent.Store(!c.traced)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				sent.Store(true)
			}
		},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+op, bytes.NewReader(body))
	if err != nil {
		return 0, nil, &TransportError{Op: op, Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, transportError(ctx, op, sent.Load(), err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, MaxResponseBytes+1))
	if err != nil {
		return 0, nil, transportError(ctx, op, true, err)
	}
	if len(raw) > MaxResponseBytes {
		return 0, nil, newHTTPError(op, res.StatusCode, raw, secrets)
	}
	return res.StatusCode, raw, nil
}

// transportError wraps a failure below HTTP, keeping the context's error
// reachable through errors.Is.
func transportError(ctx context.Context, op string, sent bool, err error) *TransportError {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		err = fmt.Errorf("%w: %w", cerr, err)
	}
	return &TransportError{Op: op, Sent: sent, Err: err}
}
