package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis/cregistest"
	"github.com/payoutd/payoutd/internal/redistest"
	"github.com/payoutd/payoutd/tasks"
)

// testToken is the bearer token of the end-to-end tests.
const testToken = "e2e-token-0123456789abcdef"

// waitTimeout bounds every wait of the end-to-end tests.
const waitTimeout = 20 * time.Second

// eventually polls cond until it holds, failing the test with what() after
// waitTimeout. Records and readiness have no event to await, so polling a
// condition is how these tests synchronise; never a fixed sleep.
func eventually(t *testing.T, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s within %s", what(), waitTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// logLines collects the JSON log lines payoutd writes, for tests to await.
type logLines struct {
	mu      sync.Mutex
	lines   []map[string]any
	raw     bytes.Buffer
	partial []byte
	changed chan struct{}
}

func newLogLines() *logLines { return &logLines{changed: make(chan struct{})} }

// Write implements io.Writer: it splits p into lines and parses each.
func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.raw.Write(p)
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		var m map[string]any
		if json.Unmarshal(l.partial[:i], &m) == nil {
			l.lines = append(l.lines, m)
		}
		l.partial = l.partial[i+1:]
	}
	close(l.changed)
	l.changed = make(chan struct{})
	return len(p), nil
}

// String returns everything written.
func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.raw.String()
}

// waitFor returns the first line match accepts, waiting for it.
func (l *logLines) waitFor(t *testing.T, desc string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		l.mu.Lock()
		for _, m := range l.lines {
			if match(m) {
				l.mu.Unlock()
				return m
			}
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no log line %s within %s; log:\n%s", desc, waitTimeout, tail(l.String()))
		}
	}
}

func tail(s string) string {
	if len(s) > 4000 {
		return "..." + s[len(s)-4000:]
	}
	return s
}

// testEnv is a Redis and a fake Cregis for payoutd to run against.
type testEnv struct {
	redis *redistest.Redis
	fake  *cregistest.Server
	env   map[string]string
}

func newTestEnv(t *testing.T, opts ...cregistest.Option) *testEnv {
	t.Helper()
	r := redistest.New(t)
	fake := cregistest.NewServer(t, opts...)
	return &testEnv{redis: r, fake: fake, env: map[string]string{
		"REDIS_URL": r.URL, "REDIS_KEY_PREFIX": r.Prefix + "payoutd:", "QUEUE_PREFIX": r.Prefix,
		"CREGIS_BASE_URL": fake.URL, "CREGIS_PID": strconv.FormatInt(fake.PID, 10), "CREGIS_API_KEY": fake.APIKey,
		"HTTP_ADDR": "127.0.0.1:0", "API_TOKENS": testToken,
		"POLL_MIN_INTERVAL": "50ms", "POLL_MAX_INTERVAL": "200ms",
		"CREGIS_TIMEOUT": "3s", "SHUTDOWN_TIMEOUT": "10s", "LOG_LEVEL": "debug",
	}}
}

// withCallbacks makes payoutd listen on a port chosen now and announce it
// as PUBLIC_URL, so the fake's callbacks reach it.
func (e *testEnv) withCallbacks(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	e.env["HTTP_ADDR"], e.env["PUBLIC_URL"] = addr, "http://"+addr
}

// instance is one payoutd, run(...) in this process.
type instance struct {
	addr   string
	logs   *logLines
	cancel context.CancelFunc
	done   chan error
}

// start runs payoutd with the environment (and kv overrides) and waits
// until it is ready. It is stopped at cleanup, which also checks that the
// API key never appeared in its output.
func (e *testEnv) start(t *testing.T, kv ...string) *instance {
	t.Helper()
	env := with(e.env, kv...)
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{logs: newLogLines(), cancel: cancel, done: make(chan error, 1)}
	go func() { in.done <- run(ctx, nil, getenvFrom(env), in.logs) }()
	t.Cleanup(func() {
		in.stop(t)
		for _, secret := range []string{e.fake.APIKey, testToken} {
			if strings.Contains(in.logs.String(), secret) {
				t.Errorf("payoutd's output shows a secret (the Cregis API key or a bearer token)")
			}
		}
	})
	line := in.logs.waitFor(t, "http listening", func(m map[string]any) bool { return m["message"] == "http listening" })
	in.addr = line["addr"].(string)
	in.awaitReady(t)
	return in
}

// awaitReady polls /readyz until it answers 200.
func (in *instance) awaitReady(t *testing.T) {
	t.Helper()
	var status int
	eventually(t, func() bool {
		status, _ = in.do(t, "GET", "/readyz", "", "")
		return status == http.StatusOK
	}, func() string { return fmt.Sprintf("/readyz: got %d, not 200", status) })
}

// awaitStartupSweep waits for the sweep payoutd runs at start-up to end. A
// test that needs payouts left to their own tasks waits for it first: that
// sweep may find a payout between its move to submitted and its first
// poll's enqueue, and poll it at once (an extra query, and by design).
func (in *instance) awaitStartupSweep(t *testing.T) {
	t.Helper()
	in.logs.waitFor(t, "the start-up sweep", func(m map[string]any) bool { return m["message"] == "sweep done" })
}

// stop cancels the run and returns its error (once; later calls return nil).
func (in *instance) stop(t *testing.T) error {
	t.Helper()
	in.cancel()
	select {
	case err, ok := <-in.done:
		if ok {
			close(in.done)
		}
		return err
	case <-time.After(waitTimeout):
		t.Fatalf("payoutd did not stop within %s", waitTimeout)
	}
	return nil
}

// do sends one request and returns the status and body.
func (in *instance) do(t *testing.T, method, path, token, body string) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://"+in.addr+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// enqueue posts a payout and returns the status.
func (in *instance) enqueue(t *testing.T, id, to, amount string) int {
	t.Helper()
	body := fmt.Sprintf(`{"third_party_id":%q,"currency":"195@195","to_address":%q,"amount":%q}`, id, to, amount)
	status, b := in.do(t, "POST", "/v1/payouts", testToken, body)
	if status != http.StatusAccepted && status != http.StatusOK {
		t.Fatalf("enqueue %s: got %d %s", id, status, b)
	}
	return status
}

// get returns a payout's record.
func (in *instance) get(t *testing.T, id string) tasks.Record {
	t.Helper()
	status, b := in.do(t, "GET", "/v1/payouts/"+id, testToken, "")
	var rec tasks.Record
	if status != http.StatusOK || json.Unmarshal(b, &rec) != nil {
		t.Fatalf("get %s: got %d %s", id, status, b)
	}
	return rec
}

// awaitTerminal polls the payout until it is terminal.
func (in *instance) awaitTerminal(t *testing.T, id string) tasks.Record {
	t.Helper()
	var rec tasks.Record
	eventually(t, func() bool { rec = in.get(t, id); return rec.State.Terminal() },
		func() string { return fmt.Sprintf("payout %s: still %s", id, rec.State) })
	return rec
}

// errorBody decodes the API's error shape.
func errorBody(t *testing.T, b []byte) (code, field string) {
	t.Helper()
	var body struct {
		Error struct{ Code, Field string } `json:"error"`
	}
	if err := json.Unmarshal(b, &body); err != nil || body.Error.Code == "" {
		t.Fatalf("body %q is not the API's error shape", b)
	}
	return body.Error.Code, body.Error.Field
}

// assertFakeHoldsExactly checks every payout the fake holds, under any
// third_party_id: it must hold each of ids once and nothing else, so a second
// create under another id fails the test (asking the fake about one id
// cannot: it deduplicates by third_party_id).
func assertFakeHoldsExactly(t *testing.T, fake *cregistest.Server, ids ...string) {
	t.Helper()
	held := map[string]int{}
	for _, p := range fake.Payouts() {
		held[p.ThirdPartyID]++
	}
	for _, id := range ids {
		if held[id] != 1 {
			t.Errorf("the fake holds payout %s %d times, want once", id, held[id])
		}
	}
	if len(held) != len(ids) {
		t.Errorf("the fake holds %d payouts %v, want exactly %d", len(held), held, len(ids))
	}
}
