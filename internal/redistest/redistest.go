// Package redistest gives each test a Redis of its own.
//
// New(t) picks, in order:
//
//  1. TEST_REDIS_URL, when set: a shared server the caller provides. Each test
//     gets a unique Prefix to keep its keys and queue names apart.
//  2. A private redis-server, started on a free loopback port in a temporary
//     directory and stopped at cleanup, when redis-server is on the PATH (or
//     named by REDIS_SERVER_BIN).
//  3. An in-process miniredis, so that "go test ./..." passes on a machine
//     without Redis. Setting REDISTEST_REQUIRE_SERVER=1 (as CI does) makes this
//     fallback fail the test instead.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/internal/redisserver"
	"github.com/redis/go-redis/v9"
)

// Environment variables read by New.
const (
	EnvURL           = "TEST_REDIS_URL"
	EnvRequireServer = "REDISTEST_REQUIRE_SERVER"
	EnvServerBin     = redisserver.EnvBin
)

// Kind says what kind of Redis a test got.
type Kind string

// The kinds of Redis New can return.
const (
	KindShared  Kind = "shared"  // TEST_REDIS_URL
	KindPrivate Kind = "private" // a redis-server started for this test
	KindMemory  Kind = "memory"  // in-process miniredis
)

// Redis is one test's Redis.
type Redis struct {
	Kind Kind
	// Addr is host:port.
	Addr string
	// URL is a redis:// URL for Addr (with the DB of TEST_REDIS_URL).
	URL string
	// Prefix is unique to this test; use it for key prefixes and queue names
	// so that tests sharing a server never see each other's data.
	Prefix string

	opts  *redis.Options
	srv   *redisserver.Server // a private one's process
	extra []string            // more redis-server arguments (replication settings)
}

// New returns a Redis for t, cleaned up when t ends.
func New(t testing.TB) *Redis {
	t.Helper()
	r := &Redis{Prefix: "t" + randomHex(6) + ":"}
	switch {
	case os.Getenv(EnvURL) != "":
		r.useShared(t, os.Getenv(EnvURL))
	case serverBin() != "":
		r.startPrivate(t)
	case os.Getenv(EnvRequireServer) != "":
		t.Fatalf("redistest: no redis-server on PATH and %s is set", EnvRequireServer)
	default:
		r.startMemory(t)
	}
	return r
}

// Options returns go-redis options for this Redis.
func (r *Redis) Options() *redis.Options {
	o := *r.opts
	return &o
}

// Client returns a go-redis client closed at cleanup.
func (r *Redis) Client(t testing.TB) *redis.Client {
	c := redis.NewClient(r.Options())
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// AsynqOpt returns asynq connection options for this Redis.
func (r *Redis) AsynqOpt() asynq.RedisClientOpt {
	return asynq.RedisClientOpt{Addr: r.opts.Addr, DB: r.opts.DB, Password: r.opts.Password}
}

// Restart stops a private redis-server and starts it again on the same port
// with the same data directory (data is kept only if it was persisted). It
// fails the test for other kinds.
func (r *Redis) Restart(t testing.TB) {
	t.Helper()
	if r.Kind != KindPrivate {
		t.Fatalf("redistest: Restart needs a private redis-server, have %s", r.Kind)
	}
	if err := r.srv.Restart(context.Background()); err != nil {
		t.Fatalf("redistest: restart: %v", err)
	}
}

func serverBin() string { return redisserver.Bin() }

func (r *Redis) useShared(t testing.TB, url string) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("redistest: %s: %v", EnvURL, err)
	}
	r.Kind, r.Addr, r.URL, r.opts = KindShared, opts.Addr, url, opts
	r.ping(t)
}

func (r *Redis) startPrivate(t testing.TB) {
	t.Helper()
	srv, err := redisserver.Start(context.Background(), serverBin(), t.TempDir(), r.extra...)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(r.stop)
	r.Kind, r.srv, r.Addr = KindPrivate, srv, srv.Addr
	r.URL = "redis://" + r.Addr + "/0"
	r.opts = &redis.Options{Addr: r.Addr}
}

func (r *Redis) stop() {
	if r.srv != nil {
		r.srv.Stop()
	}
}

func (r *Redis) startMemory(t testing.TB) {
	m := miniredis.RunT(t)
	m.ClockTTL(true) // expire keys in real time, as a redis-server does (leases rely on it)
	r.Kind, r.Addr = KindMemory, m.Addr()
	r.URL = "redis://" + r.Addr + "/0"
	r.opts = &redis.Options{Addr: r.Addr}
}

func (r *Redis) ping(t testing.TB) {
	c := redis.NewClient(r.opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("redistest: ping %s: %v", r.Addr, err)
	}
}

func freePort(t testing.TB) int {
	port, err := redisserver.FreePort()
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return port
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
