package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
)

// syncBuffer is an io.Writer safe to read while run writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startRun runs the sandbox with args until the test ends or stop is
// called, and returns the URL it printed. stop returns run's result.
func startRun(t *testing.T, args ...string) (url string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, &out) }()
	stop = sync.OnceValue(func() error { cancel(); return <-done })
	t.Cleanup(func() { _ = stop() })
	listening := regexp.MustCompile(`listening on (http://\S+)`)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			return m[1], stop
		}
		time.Sleep(5 * time.Millisecond) // polling run's output for the condition
	}
	t.Fatalf("run printed no address; output: %q", out.String())
	return "", stop
}

// post signs fields for pid and key and POSTs them.
func post(t *testing.T, url string, pid int64, key string, fields map[string]any) map[string]any {
	t.Helper()
	fields["pid"], fields["nonce"], fields["timestamp"] = pid, "abc123", time.Now().UnixMilli()
	fields["sign"] = cregis.Sign(key, fields)
	b, _ := json.Marshal(fields)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return decode(t, resp.Body)
}

func decode(t *testing.T, r io.Reader) map[string]any {
	t.Helper()
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func get(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d, want 200", url, resp.StatusCode)
	}
	return decode(t, resp.Body)
}

func TestRunServesTheFakeAndItsLedger(t *testing.T) {
	const pid, key = int64(1382528827416576), "sandbox-key"
	url, stop := startRun(t, "-addr", "127.0.0.1:0", "-pid", fmt.Sprint(pid), "-key", key,
		"-approval", "1ms", "-signature", "1ms", "-chain", "1ms", "-callbacks=false")
	reply := post(t, url+cregis.PathPayout, pid, key, map[string]any{
		"currency": "195@195", "to_address": "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", "amount": "2", "third_party_id": "sandbox-1",
	})
	if reply["code"] != cregis.CodeOK {
		t.Fatalf("create: %v, want code 00000", reply)
	}
	cid := reply["data"].(map[string]any)["cid"].(json.Number)
	t.Run("TheLedgerListsThePayoutWithItsExactCid", func(t *testing.T) {
		payouts := get(t, url+pathLedger)["payouts"].([]any)
		if len(payouts) != 1 {
			t.Fatalf("%d payouts in the ledger, want 1", len(payouts))
		}
		p := payouts[0].(map[string]any)
		if p["cid"] != cid || p["third_party_id"] != "sandbox-1" {
			t.Errorf("ledger payout cid %v, third_party_id %v; want %v and sandbox-1", p["cid"], p["third_party_id"], cid)
		}
	})
	t.Run("TheStateCountsTheCallAndHidesTheKey", func(t *testing.T) {
		st := get(t, url+pathState)
		if n := st["calls"].(map[string]any)[cregis.PathPayout]; n != json.Number("1") {
			t.Errorf("calls to payout = %v, want 1", n)
		}
		if b, _ := json.Marshal(st); strings.Contains(string(b), key) {
			t.Error("the state view holds the API key")
		}
	})
	t.Run("TheRequestsAndCallbacksViewsAnswer", func(t *testing.T) {
		if reqs := get(t, url+pathRequests)["requests"].([]any); len(reqs) == 0 {
			t.Error("no requests listed, want the create")
		}
		get(t, url+pathCallbacks)
	})
	if err := stop(); err != nil {
		t.Errorf("run = %v, want nil after cancel", err)
	}
}

func TestRunAnswersStatusQueriesWithTheScriptedFate(t *testing.T) {
	const pid, key = int64(7), "k"
	url, _ := startRun(t, "-addr", "127.0.0.1:0", "-pid", "7", "-key", key, "-approval", "1ms", "-signature", "1ms", "-chain", "1ms")
	reply := post(t, url+cregis.PathPayout, pid, key, map[string]any{
		"currency": "195@195", "to_address": "Tfail7xx", "amount": "2", "third_party_id": "sandbox-2",
	})
	cid, _ := strconv.ParseInt(string(reply["data"].(map[string]any)["cid"].(json.Number)), 10, 64)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		data := post(t, url+cregis.PathPayoutQuery, pid, key, map[string]any{"cid": cid})["data"].(map[string]any)
		if data["status"] == json.Number("7") {
			return
		}
		time.Sleep(5 * time.Millisecond) // polling the fake for the condition
	}
	t.Fatal("the payout never reached 7")
}

func TestRunRefusesBadFlags(t *testing.T) {
	cases := []struct {
		desc string
		args []string
		want string
	}{
		{"an unknown query mode", []string{"-query-mode", "sometimes"}, "query mode"},
		{"a fault rate above 1", []string{"-addr", "127.0.0.1:0", "-fail-after", "2"}, "FaultRates"},
		{"an unknown flag", []string{"-nope"}, "nope"},
		{"a verification URL that is not http", []string{"-addr", "127.0.0.1:0", "-verification-url", "ftp://x"}, "VerificationURL"},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			err := run(context.Background(), tc.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run = %v, want an error about %s", err, tc.want)
			}
		})
	}
}

func TestRunHelpPrintsTheFlags(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, &out); err != nil {
		t.Fatalf("run -h = %v, want nil", err)
	}
	for _, flag := range []string{"-addr", "-pid", "-key", "-approval", "-fail-after", "-query-mode", "-callbacks",
		"-verification-url", "-verification-retry"} {
		if !strings.Contains(out.String(), flag) {
			t.Errorf("usage does not mention %s", flag)
		}
	}
}

func TestRunSendsVerificationsAndServesTheTradePage(t *testing.T) {
	const pid, key = int64(7), "k"
	var mu sync.Mutex
	answer := "wait"
	verifier := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(verifier.Close)
	url, _ := startRun(t, "-addr", "127.0.0.1:0", "-pid", "7", "-key", key, "-approval", "1ms", "-signature", "1ms",
		"-chain", "1ms", "-verification-url", verifier.URL, "-verification-retry", "1ms")
	reply := post(t, url+cregis.PathPayout, pid, key, map[string]any{
		"currency": "195@195", "to_address": "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", "amount": "2", "third_party_id": "sandbox-v",
	})
	cid := reply["data"].(map[string]any)["cid"].(json.Number)
	verdicts := func() (sent int, ok bool) {
		for _, d := range get(t, url+pathVerifications)["verifications"].([]any) {
			d := d.(map[string]any)
			if d["cid"] == cid {
				sent++
				ok = ok || d["verdict"] == cregis.VerificationApprove
			}
		}
		return sent, ok
	}
	eventually(t, "two unanswered verification requests", func() bool { n, _ := verdicts(); return n >= 2 })
	if data := post(t, url+cregis.PathPayoutQuery, pid, key, map[string]any{"cid": cid})["data"].(map[string]any); data["status"] != json.Number("0") {
		t.Fatalf("status while waiting = %v, want 0", data["status"])
	}
	mu.Lock()
	answer = cregis.VerificationApprove
	mu.Unlock()
	eventually(t, "the ok verdict", func() bool { _, ok := verdicts(); return ok })
	eventually(t, "the payout on the trade page", func() bool {
		page := post(t, url+cregis.PathTradePage, pid, key, map[string]any{"cid": cid})
		return page["code"] == cregis.CodeOK && page["data"].(map[string]any)["total"] == json.Number("1")
	})
	st := get(t, url+pathState)
	if st["verification_on"] != true || st["verifications_ok"] != json.Number("1") || st["calls"].(map[string]any)[cregis.PathTradePage] == json.Number("0") {
		t.Errorf("state = %v, want verification on, one ok, trade page calls counted", st)
	}
}

// eventually polls cond until it holds or 5 seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling the sandbox for the condition
	}
}
