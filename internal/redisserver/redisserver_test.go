package redisserver

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// bin is the redis-server these tests run. Without one they cannot run:
// CI (REDISTEST_REQUIRE_SERVER) fails them, elsewhere they are skipped, and
// internal/redistest's fallback keeps the rest of the tree testable.
func bin(t *testing.T) string {
	t.Helper()
	b := Bin()
	switch {
	case b != "":
		return b
	case os.Getenv("REDISTEST_REQUIRE_SERVER") != "":
		t.Fatal("no redis-server on the PATH and REDISTEST_REQUIRE_SERVER is set")
	default:
		t.Skip("no redis-server on the PATH")
	}
	return ""
}

func ping(addr string) error {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	return c.Ping(context.Background()).Err()
}

func TestStartRestartStop(t *testing.T) {
	ctx := context.Background()
	s, err := Start(ctx, bin(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := ping(s.Addr); err != nil {
		t.Fatalf("after Start: %v", err)
	}
	addr := s.Addr
	if err := s.Restart(ctx); err != nil || s.Addr != addr || ping(s.Addr) != nil {
		t.Fatalf("Restart: %v, address %s (was %s)", err, s.Addr, addr)
	}
	s.Stop()
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatalf("after Stop: %s still takes connections", addr)
	}
	s.Stop() // a second Stop does nothing
}

func TestStartReportsAServerThatExits(t *testing.T) {
	_, err := Start(context.Background(), bin(t), t.TempDir(), "--no-such-option", "1")
	if err == nil || !strings.Contains(err.Error(), "redis-server exited") {
		t.Fatalf("got %v, want the server's exit with its log", err)
	}
}
