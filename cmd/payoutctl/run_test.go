package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// seen is one request the fake payoutd received.
type seen struct {
	Method, Path, Query, Auth string
	Body                      map[string]any
}

// fakePayoutd answers every request with status and body and records it.
func fakePayoutd(t *testing.T, status int, body string) (*httptest.Server, func() []seen) {
	t.Helper()
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s := seen{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization")}
		if len(b) > 0 {
			if err := json.Unmarshal(b, &s.Body); err != nil {
				t.Errorf("request body is not a JSON object: %q", b)
			}
		}
		mu.Lock()
		got = append(got, s)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seen { mu.Lock(); defer mu.Unlock(); return append([]seen(nil), got...) }
}

func runCLI(t *testing.T, url, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := environment{
		args:   args,
		getenv: func(k string) string { return envMap{"PAYOUTD_URL": url, "PAYOUTD_TOKEN": "tok-1"}[k] },
		stdin:  strings.NewReader(stdin),
		stdout: &out, stderr: &errOut,
	}
	code = run(context.Background(), env)
	return code, out.String(), errOut.String()
}

type envMap = map[string]string

func TestCommandsSendTheDocumentedRequests(t *testing.T) {
	tests := []struct {
		desc      string
		args      []string
		stdin     string
		wantPath  string
		wantQuery string
		wantBody  map[string]any
		method    string
	}{
		{"enqueue from flags posts the request fields", []string{"enqueue", "-id", "p-1", "-currency", "195@195", "-to", "TXaddr", "-amount", "1.5", "-memo", "", "-source", "wallet"},
			"", "/v1/payouts", "", map[string]any{"third_party_id": "p-1", "currency": "195@195", "to_address": "TXaddr", "amount": "1.5", "source": "wallet"}, "POST"},
		{"enqueue from stdin posts the JSON as given", []string{"enqueue", "-f", "-"}, `{"third_party_id":"p-2","amount":"2"}`,
			"/v1/payouts", "", map[string]any{"third_party_id": "p-2", "amount": "2"}, "POST"},
		{"get escapes the id", []string{"get", "a/b c"}, "", "/v1/payouts/a%2Fb%20c", "", nil, "GET"},
		{"list passes the filters", []string{"list", "-state", "unconfirmed", "-limit", "5", "-cursor", "xyz"}, "", "/v1/payouts", "cursor=xyz&limit=5&state=unconfirmed", nil, "GET"},
		{"retry posts to the payout's retry", []string{"retry", "p-3"}, "", "/v1/payouts/p-3/retry", "", map[string]any{}, "POST"},
		{"cancel posts to the payout's cancel", []string{"cancel", "p-5"}, "", "/v1/payouts/p-5/cancel", "", map[string]any{}, "POST"},
		{"resend posts to the payout's webhook", []string{"resend", "p-6"}, "", "/v1/payouts/p-6/webhook", "", map[string]any{}, "POST"},
		{"resolve posts the cid as a string", []string{"resolve", "p-4", "9007199254740993"}, "", "/v1/payouts/p-4/resolve", "", map[string]any{"cid": "9007199254740993"}, "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			srv, requests := fakePayoutd(t, 200, `{"third_party_id":"x","state":"queued"}`)
			code, stdout, stderr := runCLI(t, srv.URL, tt.stdin, tt.args...)
			if code != 0 {
				t.Fatalf("exit code: got %d want 0 (stderr %q)", code, stderr)
			}
			if !strings.Contains(stdout, `"state": "queued"`) {
				t.Errorf("stdout does not show the record: %q", stdout)
			}
			got := requests()
			if len(got) != 1 {
				t.Fatalf("requests: got %d want 1", len(got))
			}
			r := got[0]
			if r.Method != tt.method || r.Path != tt.wantPath || r.Query != tt.wantQuery {
				t.Errorf("request: got %s %s?%s want %s %s?%s", r.Method, r.Path, r.Query, tt.method, tt.wantPath, tt.wantQuery)
			}
			if r.Auth != "Bearer tok-1" {
				t.Errorf("authorization: got %q want the bearer token", r.Auth)
			}
			if tt.wantBody != nil {
				gb, _ := json.Marshal(r.Body)
				wb, _ := json.Marshal(tt.wantBody)
				if string(gb) != string(wb) {
					t.Errorf("body: got %s want %s", gb, wb)
				}
			}
		})
	}
}

func TestAPIErrorsExitOneAndNameTheField(t *testing.T) {
	srv, _ := fakePayoutd(t, 422, `{"error":{"code":"too_many_decimals","message":"amount has 7 decimals; TRX has 6","field":"amount"}}`)
	code, _, stderr := runCLI(t, srv.URL, "", "enqueue", "-id", "p", "-amount", "1.0000001")
	if code != 1 {
		t.Fatalf("exit code: got %d want 1", code)
	}
	for _, want := range []string{"422", "too_many_decimals", "field amount"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q does not contain %q", stderr, want)
		}
	}
}

func TestUsageMistakesExitTwoWithoutCallingPayoutd(t *testing.T) {
	tests := []struct {
		desc string
		args []string
	}{
		{"no command", nil},
		{"unknown command", []string{"frobnicate"}},
		{"get without an id", []string{"get"}},
		{"resolve without a cid", []string{"resolve", "p-1"}},
		{"cancel without an id", []string{"cancel"}},
		{"enqueue without a request", []string{"enqueue"}},
		{"list with a stray argument", []string{"list", "extra"}},
		{"import without a file", []string{"import"}},
		{"import with no concurrency", []string{"import", "-concurrency", "0", "f.csv"}},
		{"watch without an id", []string{"watch"}},
		{"resend without an id", []string{"resend"}},
		{"stats with an argument", []string{"stats", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			srv, requests := fakePayoutd(t, 200, `{}`)
			code, _, stderr := runCLI(t, srv.URL, "", tt.args...)
			if code != 2 {
				t.Errorf("exit code: got %d want 2 (stderr %q)", code, stderr)
			}
			if n := len(requests()); n != 0 {
				t.Errorf("requests sent: got %d want 0", n)
			}
		})
	}
}

func TestInvalidJSONFromStdinIsRefusedLocally(t *testing.T) {
	srv, requests := fakePayoutd(t, 200, `{}`)
	code, _, stderr := runCLI(t, srv.URL, "{not json", "enqueue", "-f", "-")
	if code != 1 || !strings.Contains(stderr, "not valid JSON") {
		t.Errorf("got exit %d stderr %q, want exit 1 naming invalid JSON", code, stderr)
	}
	if n := len(requests()); n != 0 {
		t.Errorf("requests sent: got %d want 0", n)
	}
}
