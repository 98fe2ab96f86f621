package main

import (
	"context"
	"fmt"
	stdlog "log"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	asynqmetrics "github.com/hibiken/asynq/x/metrics"
	"github.com/prometheus/client_golang/prometheus"
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

// TestAsynqMetricsCollectorMessagesAreJSONLogLines is not parallel: the
// standard logger is process-wide.
func TestAsynqMetricsCollectorMessagesAreJSONLogLines(t *testing.T) {
	out := newLogLines()
	cfg := Config{LogLevel: "info", LogFormat: "json"}
	routeStdLog(newLogger(&cfg, out))
	defer stdlog.SetOutput(os.Stderr)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there: the collector cannot read the queues
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: addr, DialTimeout: 100 * time.Millisecond})
	defer insp.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(asynqmetrics.NewQueueMetricsCollector(insp))
	_, _ = reg.Gather()
	line := out.waitFor(t, "from the asynq collector", func(m map[string]any) bool { return m["component"] == "stdlog" })
	if line["level"] != "warn" || !strings.Contains(fmt.Sprint(line["message"]), "metrics") {
		t.Errorf("collector line: got %v, want a warn line with its message", line)
	}
}
