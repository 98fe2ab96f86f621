package cregistest_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
)

func TestStartRefusesAnInvalidConfig(t *testing.T) {
	cases := []struct {
		desc  string
		cfg   cregistest.Config
		field string
	}{
		{"a negative pid", cregistest.Config{PID: -1}, "PID"},
		{"a negative dwell", cregistest.Config{Dwell: cregistest.Dwell{OnChain: -time.Second}}, "Dwell"},
		{"an unknown query mode", cregistest.Config{QueryMode: 7}, "QueryMode"},
		{"a fault rate above 1", cregistest.Config{FaultRates: cregistest.FaultRates{Query: 1.5}}, "FaultRates.Query"},
		{"a coin without a chain", cregistest.Config{Coins: []cregis.Coin{{CoinName: "X", TokenID: "1"}}}, "Coins[0]"},
		{"a coin listed twice", cregistest.Config{Coins: []cregis.Coin{cregistest.DefaultCoins()[0], cregistest.DefaultCoins()[0]}}, "Coins[1]"},
		{"an address that cannot be listened on", cregistest.Config{Addr: "127.0.0.1:-1"}, "listen"},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			s, err := cregistest.Start(tc.cfg)
			if err == nil {
				s.Close()
				t.Fatal("Start succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error %q, want it to name %s", err, tc.field)
			}
		})
	}
}

func TestStartWithoutATest(t *testing.T) {
	s, err := cregistest.Start(cregistest.Config{PID: 42, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") || s.PID != 42 || s.APIKey != "k" {
		t.Errorf("URL %q, PID %d; want a loopback URL and the configured project", s.URL, s.PID)
	}
	create(t, s, cregis.PathPayout, payoutFields("no-t"))
	s.Close()
	s.Close() // a second Close is harmless
	if _, err := http.Post(s.URL+cregis.PathCoins, "application/json", nil); err == nil {
		t.Error("the fake still answers after Close")
	}
}

func TestOnlyTheAPIIsServed(t *testing.T) {
	s := cregistest.NewServer(t)
	s.Handle("GET /_extra", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "extra") }))
	cases := []struct {
		desc   string
		method string
		path   string
		want   int
	}{
		{"a GET to an API path is refused", http.MethodGet, cregis.PathCoins, http.StatusMethodNotAllowed},
		{"an unknown path is not found", http.MethodPost, "/api/v1/unknown", http.StatusNotFound},
		{"a path registered with Handle is served", http.MethodGet, "/_extra", http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, s.URL+tc.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("HTTP %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

func TestTheAPIKeyIsNeverEchoed(t *testing.T) {
	s := cregistest.NewServer(t)
	var answers [][]byte
	for _, fields := range []map[string]any{payoutFields("key"), payoutFields("key"), with(payoutFields("k2"), map[string]any{"amount": "x"})} {
		answers = append(answers, call(t, s, cregis.PathPayout, fields).Raw)
	}
	_, bad := postRaw(t, s.URL+cregis.PathPayout, "application/json", []byte(`{"pid":1}`))
	answers = append(answers, bad)
	for _, r := range s.Requests() {
		for _, v := range r.Fields {
			if v == s.APIKey {
				t.Errorf("a recorded request holds the API key")
			}
		}
	}
	for _, a := range answers {
		if bytes.Contains(a, []byte(s.APIKey)) {
			t.Errorf("an answer holds the API key: %s", a)
		}
	}
}

func TestQueryModeNames(t *testing.T) {
	for _, m := range []cregistest.QueryMode{cregistest.QueryBoth, cregistest.QueryInfoOnly, cregistest.QueryPayoutQueryOnly} {
		if got, err := cregistest.ParseQueryMode(m.String()); err != nil || got != m {
			t.Errorf("ParseQueryMode(%q) = %v, %v; want %v", m.String(), got, err, m)
		}
	}
	if _, err := cregistest.ParseQueryMode("sometimes"); err == nil {
		t.Error("ParseQueryMode(sometimes) = nil error, want one")
	}
}
