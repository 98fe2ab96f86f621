package main

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestRedisClientMessagesAreJSONLogLines is not parallel: go-redis has one
// process-wide logger, which every run of payoutd sets.
func TestRedisClientMessagesAreJSONLogLines(t *testing.T) {
	out := newLogLines()
	cfg := Config{LogLevel: "info", LogFormat: "json"}
	routeRedisLogs(newLogger(&cfg, out))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: dialing fails and go-redis says so
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	defer rdb.Close()
	if err := rdb.Ping(context.Background()).Err(); err == nil {
		t.Fatal("Ping to a closed port succeeded")
	}
	line := out.waitFor(t, "from go-redis", func(m map[string]any) bool { return m["component"] == "redis" })
	if line["level"] != "warn" || line["message"] == "" {
		t.Errorf("go-redis line: got %v, want a warn line with its message", line)
	}
}
