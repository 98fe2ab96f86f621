package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/payoutd/payoutd/cregis/cregistest"
)

// Demo settings: short dwell and poll intervals so a payout settles in
// seconds, and a key and queue prefix of its own so a demo pointed at a
// real Redis (REDIS_URL) never mixes with a deployment's payouts.
const (
	demoDwell       = time.Second
	demoPollMin     = "1s"
	demoPollMax     = "2s"
	demoPollSafety  = "3s" // callbacks are on: the safety poll settles the cancelled sample (status 3 sends none)
	demoKeyPrefix   = "payoutd-demo:"
	demoQueuePrefix = "demo:"
	demoUser        = "demo"
	demoHTTPAddr    = "localhost:8080"
)

// sandbox is what `payoutd demo` runs payoutd against: a fake Cregis in
// this process and, without REDIS_URL, an in-process Redis. It exists only
// here: no other path of payoutd ever builds a fake Cregis.
type sandbox struct {
	fake     *cregistest.Server
	redis    *miniredis.Miniredis // nil with REDIS_URL
	ln       net.Listener
	cfg      Config
	token    string
	password string
}

// runDemo runs payoutd in the sandbox with sample payouts. With once it
// returns when every sample is settled: nil when each ended as the sandbox
// scripted it. Otherwise it keeps serving until ctx ends.
func runDemo(ctx context.Context, getenv func(string) string, stdout io.Writer, once bool) error {
	sb, err := newSandbox(getenv)
	if err != nil {
		return err
	}
	defer sb.close()
	sb.announce(stdout)
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() {
		served <- serve(ctx, sb.cfg, stdout, sb.ln)
		cancel()
	}()
	err = sb.play(ctx, stdout)
	if !once && parent.Err() != nil {
		err = nil // Ctrl-C while the samples were still moving
	}
	if once || err != nil || parent.Err() != nil {
		cancel()
		return errors.Join(err, <-served)
	}
	fmt.Fprintf(stdout, "\nStill serving at %s; press Ctrl-C to stop.\n", sb.baseURL())
	return <-served
}

// newSandbox starts the fake Cregis, the Redis and the listener, and
// configures payoutd for them through the same parser as a real run.
func newSandbox(getenv func(string) string) (*sandbox, error) {
	sb := &sandbox{token: "demo-" + randomHex(12), password: randomHex(8)}
	var err error
	if sb.fake, err = cregistest.Start(cregistest.Config{Dwell: demoDwells()}); err != nil {
		return nil, err
	}
	if err = sb.listen(getenv("HTTP_ADDR")); err == nil {
		err = sb.configure(getenv)
	}
	if err == nil { // the fake asks payoutd's /cregis/verify about every payout, as Cregis does once it is on
		sb.fake.SetVerificationURL(sb.baseURL() + "/cregis/verify")
	}
	if err != nil {
		sb.close()
		return nil, err
	}
	return sb, nil
}

func demoDwells() cregistest.Dwell {
	return cregistest.Dwell{PendingApproval: demoDwell, PendingSignature: demoDwell, OnChain: demoDwell}
}

// listen binds HTTP_ADDR (default localhost:8080) before payoutd starts, so
// that PUBLIC_URL, where the fake sends its callbacks, names the bound port.
func (sb *sandbox) listen(addr string) error {
	if addr == "" {
		addr = demoHTTPAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return problem("HTTP_ADDR", "cannot listen: %v", err)
	}
	sb.ln = ln
	return nil
}

// configure builds payoutd's configuration for the sandbox. Only REDIS_URL,
// HTTP_ADDR (already bound), LOG_LEVEL and LOG_FORMAT are taken from the
// environment; Cregis is always the fake.
func (sb *sandbox) configure(getenv func(string) string) error {
	redisURL := getenv("REDIS_URL")
	if redisURL == "" {
		m, err := miniredis.Run()
		if err != nil {
			return fmt.Errorf("demo: in-process Redis: %w", err)
		}
		m.ClockTTL(true) // keys expire in real time (submit leases, the rate limit, asynq's locks)
		sb.redis, redisURL = m, "redis://"+m.Addr()
	}
	env := map[string]string{
		"REDIS_URL": redisURL, "REDIS_KEY_PREFIX": demoKeyPrefix, "QUEUE_PREFIX": demoQueuePrefix,
		"CREGIS_BASE_URL": sb.fake.URL, "CREGIS_PID": strconv.FormatInt(sb.fake.PID, 10), "CREGIS_API_KEY": sb.fake.APIKey,
		"HTTP_ADDR": sb.ln.Addr().String(), "PUBLIC_URL": sb.baseURL(), "API_TOKENS": sb.token,
		"MONITOR_USER": demoUser, "MONITOR_PASSWORD": sb.password,
		"POLL_MIN_INTERVAL": demoPollMin, "POLL_MAX_INTERVAL": demoPollMax,
		"POLL_ONCHAIN_INTERVAL": demoPollMin, "POLL_APPROVAL_INTERVAL": demoPollMin, "POLL_SAFETY_INTERVAL": demoPollSafety,
		"LOG_LEVEL": orString(getenv("LOG_LEVEL"), "warn"), "LOG_FORMAT": orString(getenv("LOG_FORMAT"), "console"),
	}
	cfg, err := loadConfig(func(k string) string { return env[k] })
	sb.cfg = cfg
	return err
}

// baseURL is where the demo's payoutd answers.
func (sb *sandbox) baseURL() string {
	addr := sb.ln.Addr().(*net.TCPAddr)
	host := "localhost"
	if !addr.IP.IsLoopback() && !addr.IP.IsUnspecified() {
		host = addr.IP.String()
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(addr.Port))
}

// announce says loudly that this is a sandbox, and how to look around.
func (sb *sandbox) announce(w io.Writer) {
	redis := "in-process (miniredis; gone when the demo stops)"
	if sb.redis == nil {
		redis = "REDIS_URL, under the key prefix " + demoKeyPrefix + " and queue prefix " + demoQueuePrefix
	}
	fmt.Fprintf(w, `
==========================================================================
  payoutd demo: SANDBOX. Cregis here is a fake running in this process
  (%s). No real Cregis is called and no money moves.
==========================================================================
  Redis:        %s
  HTTP API:     %s/v1   (Authorization: Bearer %s)
  Asynq UI:     %s/monitoring   (user %s, password %s)
  Metrics:      %s/metrics
  API document: %s/v1/openapi.json

  Six sample payouts follow, one per fate. The first one's create answer is lost
  on purpose (HTTP 504) to show a safe retry: the warnings about it are expected.

`, sb.fake.URL, redis, sb.baseURL(), sb.token, sb.baseURL(), demoUser, sb.password, sb.baseURL(), sb.baseURL())
}

// close stops what the sandbox started; payoutd has stopped by then.
func (sb *sandbox) close() {
	if sb.ln != nil {
		sb.ln.Close()
	}
	if sb.redis != nil {
		sb.redis.Close()
	}
	sb.fake.Close()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
