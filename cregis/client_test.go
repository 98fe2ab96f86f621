package cregis_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
)

func TestNewValidatesConfig(t *testing.T) {
	valid := cregis.Config{BaseURL: "https://t-xxxxxxxx.cregis.dev", PID: testPID, APIKey: testKey}
	tests := []struct {
		desc      string
		edit      func(*cregis.Config)
		wantField string // "" means valid
	}{
		{"HTTPSHostIsAccepted", func(c *cregis.Config) {}, ""},
		{"HTTPSWithPathPrefixIsAccepted", func(c *cregis.Config) { c.BaseURL = "https://gw.example/cregis/" }, ""},
		{"PlainHTTPOnLoopbackIPv4IsAccepted", func(c *cregis.Config) { c.BaseURL = "http://127.0.0.1:8080" }, ""},
		{"PlainHTTPOnAnyOf127Slash8IsAccepted", func(c *cregis.Config) { c.BaseURL = "http://127.9.9.9" }, ""},
		{"PlainHTTPOnLoopbackIPv6IsAccepted", func(c *cregis.Config) { c.BaseURL = "http://[::1]:8080" }, ""},
		{"PlainHTTPOnLocalhostIsAccepted", func(c *cregis.Config) { c.BaseURL = "http://localhost:8080" }, ""},
		{"EmptyBaseURLIsRefused", func(c *cregis.Config) { c.BaseURL = "" }, "BaseURL"},
		{"PlainHTTPOnRemoteHostIsRefused", func(c *cregis.Config) { c.BaseURL = "http://t-xxxxxxxx.cregis.dev" }, "BaseURL"},
		{"PlainHTTPOnPrivateIPIsRefused", func(c *cregis.Config) { c.BaseURL = "http://10.0.0.1" }, "BaseURL"},
		{"PlainHTTPOnLocalhostLookalikeIsRefused", func(c *cregis.Config) { c.BaseURL = "http://localhost.evil.example" }, "BaseURL"},
		{"OtherSchemeIsRefused", func(c *cregis.Config) { c.BaseURL = "ftp://127.0.0.1" }, "BaseURL"},
		{"QueryIsRefused", func(c *cregis.Config) { c.BaseURL = "https://h.example/?a=b" }, "BaseURL"},
		{"EmptyQueryIsRefused", func(c *cregis.Config) { c.BaseURL = "https://h.example/?" }, "BaseURL"},
		{"FragmentIsRefused", func(c *cregis.Config) { c.BaseURL = "https://h.example/#x" }, "BaseURL"},
		{"UserInfoIsRefused", func(c *cregis.Config) { c.BaseURL = "https://u:" + testKey + "@h.example" }, "BaseURL"},
		{"MissingHostIsRefused", func(c *cregis.Config) { c.BaseURL = "https:///path" }, "BaseURL"},
		{"RelativeURLIsRefused", func(c *cregis.Config) { c.BaseURL = "/api" }, "BaseURL"},
		{"UnparsableURLIsRefused", func(c *cregis.Config) { c.BaseURL = "https://h.example/%zz" }, "BaseURL"},
		{"ZeroPIDIsRefused", func(c *cregis.Config) { c.PID = 0 }, "PID"},
		{"NegativePIDIsRefused", func(c *cregis.Config) { c.PID = -1 }, "PID"},
		{"EmptyAPIKeyIsRefused", func(c *cregis.Config) { c.APIKey = "" }, "APIKey"},
		{"NegativeTimeoutIsRefused", func(c *cregis.Config) { c.Timeout = -time.Second }, "Timeout"},
		{"NegativeMaxIdleConnsIsRefused", func(c *cregis.Config) { c.MaxIdleConns = -1 }, "MaxIdleConns"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			cfg := valid
			tt.edit(&cfg)
			c, err := cregis.New(cfg)
			if tt.wantField == "" {
				if err != nil || c == nil {
					t.Fatalf("New = %v, %v; want a client", c, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("New(%q) succeeded, want an error naming %s", cfg.BaseURL, tt.wantField)
			}
			if !strings.Contains(err.Error(), "Config."+tt.wantField) {
				t.Errorf("error %q does not name Config.%s", err, tt.wantField)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error %q contains the API key", err)
			}
		})
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	var mu sync.Mutex
	followed := 0
	s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			mu.Lock()
			followed++
			mu.Unlock()
			okData(`{"cid":1}`)(w, r)
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	check := func(t *testing.T, c *cregis.Client) {
		t.Helper()
		_, err := c.Payout(context.Background(), validPayout())
		var he *cregis.HTTPError
		if !errors.As(err, &he) || he.StatusCode != http.StatusTemporaryRedirect {
			t.Fatalf("Payout error = %v, want *HTTPError with status 307", err)
		}
		if !cregis.OutcomeUnknown(err) {
			t.Error("OutcomeUnknown(redirect) = false, want true")
		}
		mu.Lock()
		defer mu.Unlock()
		if followed != 0 {
			t.Errorf("redirect target was requested %d times, want 0", followed)
		}
	}
	t.Run("DefaultClientDoesNotFollow", func(t *testing.T) {
		check(t, newClient(t, s.URL))
	})
	t.Run("CallersClientDoesNotFollowAndIsNotModified", func(t *testing.T) {
		own := &http.Client{Transport: &http.Transport{}}
		check(t, newClient(t, s.URL, func(c *cregis.Config) { c.HTTPClient = own }))
		if own.CheckRedirect != nil {
			t.Error("New modified the caller's http.Client (CheckRedirect set)")
		}
	})
}

// hungStub answers nothing until the client goes away.
func hungStub(t *testing.T) *stub {
	release := make(chan struct{})
	s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	return s
}

func TestHungServerGivesUpAtDeadlineWithOutcomeUnknown(t *testing.T) {
	// Real time, but only a few hundred milliseconds: a deadline must expire.
	assertUnknown := func(t *testing.T, err error) {
		t.Helper()
		var te *cregis.TransportError
		if !errors.As(err, &te) || !te.Sent {
			t.Fatalf("error = %v, want *TransportError with Sent=true", err)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("errors.Is(%v, DeadlineExceeded) = false, want true", err)
		}
		if !cregis.OutcomeUnknown(err) || cregis.NotApplied(err) {
			t.Errorf("OutcomeUnknown, NotApplied = %v, %v; want true, false", cregis.OutcomeUnknown(err), cregis.NotApplied(err))
		}
	}
	t.Run("CallersContextDeadline", func(t *testing.T) {
		c := newClient(t, hungStub(t).URL)
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.Payout(ctx, validPayout())
		assertUnknown(t, err)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("call took %v, want about the 150ms deadline", d)
		}
	})
	t.Run("ConfigTimeout", func(t *testing.T) {
		c := newClient(t, hungStub(t).URL, func(c *cregis.Config) { c.Timeout = 150 * time.Millisecond })
		_, err := c.Payout(context.Background(), validPayout())
		assertUnknown(t, err)
	})
}

func TestServerHungMidBodyGivesUpAtDeadlineWithOutcomeUnknown(t *testing.T) {
	// Real time, a few hundred milliseconds: a deadline must expire.
	release := make(chan struct{})
	s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"code":"00000","data":{"cid":`))
		_ = http.NewResponseController(w).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	c := newClient(t, s.URL, func(c *cregis.Config) { c.Timeout = 150 * time.Millisecond })
	_, err := c.Payout(context.Background(), validPayout())
	var te *cregis.TransportError
	if !errors.As(err, &te) || !te.Sent || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want *TransportError with Sent=true matching DeadlineExceeded", err)
	}
}

func TestRefusedConnectionIsNotApplied(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := newClient(t, "http://"+addr)
	_, err = c.Payout(context.Background(), validPayout())
	var te *cregis.TransportError
	if !errors.As(err, &te) || te.Sent {
		t.Fatalf("error = %v, want *TransportError with Sent=false", err)
	}
	if !cregis.NotApplied(err) || cregis.OutcomeUnknown(err) {
		t.Errorf("NotApplied, OutcomeUnknown = %v, %v; want true, false", cregis.NotApplied(err), cregis.OutcomeUnknown(err))
	}
}

func TestConnectionDroppedAfterRequestIsOutcomeUnknown(t *testing.T) {
	s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	_, err := newClient(t, s.URL).Payout(context.Background(), validPayout())
	var te *cregis.TransportError
	if !errors.As(err, &te) || !te.Sent {
		t.Fatalf("error = %v, want *TransportError with Sent=true", err)
	}
	if !cregis.OutcomeUnknown(err) {
		t.Error("OutcomeUnknown = false, want true")
	}
}

func TestCustomTransportFailuresCountAsSent(t *testing.T) {
	// A RoundTripper other than *http.Transport cannot report whether it
	// wrote the request, so the client must assume it did.
	failing := roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("boom")
	})
	c := newClient(t, "https://cregis.example", func(c *cregis.Config) {
		c.HTTPClient = &http.Client{Transport: failing}
	})
	_, err := c.Payout(context.Background(), validPayout())
	if !cregis.OutcomeUnknown(err) {
		t.Errorf("OutcomeUnknown(%v) = false, want true", err)
	}
}

func TestContextErrorStaysReachableThroughCustomTransport(t *testing.T) {
	// A transport that gives up with its own error when the context ends.
	opaque := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		<-r.Context().Done()
		return nil, errors.New("custom transport gave up")
	})
	c := newClient(t, "https://cregis.example", func(c *cregis.Config) {
		c.HTTPClient = &http.Client{Transport: opaque}
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.PayoutQuery(ctx, 1)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("errors.Is(%v, Canceled) = false, want true", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestCanceledContextIsNotSent(t *testing.T) {
	s := newStub(t, okData(`{"cid":1}`))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newClient(t, s.URL).Payout(ctx, validPayout())
	if !errors.Is(err, context.Canceled) {
		t.Errorf("errors.Is(%v, Canceled) = false, want true", err)
	}
	if !cregis.NotApplied(err) {
		t.Errorf("NotApplied(%v) = false, want true", err)
	}
	if n := len(s.requests()); n != 0 {
		t.Errorf("server received %d requests, want 0", n)
	}
}

func TestResponseSizeLimit(t *testing.T) {
	envelope := `{"code":"00000","msg":"ok","data":{"cid":7}}`
	t.Run("TwoMiBResponseIsRefused", func(t *testing.T) {
		big := envelope + strings.Repeat(" ", 2<<20)
		s := newStub(t, reply(http.StatusOK, big))
		cid, err := newClient(t, s.URL).Payout(context.Background(), validPayout())
		var he *cregis.HTTPError
		if !errors.As(err, &he) {
			t.Fatalf("Payout = %d, %v; want *HTTPError", cid, err)
		}
		if len(he.Body) > 256 {
			t.Errorf("HTTPError.Body has %d bytes, want <= 256", len(he.Body))
		}
	})
	t.Run("ExactlyOneMiBIsAccepted", func(t *testing.T) {
		full := envelope + strings.Repeat(" ", cregis.MaxResponseBytes-len(envelope))
		s := newStub(t, reply(http.StatusOK, full))
		cid, err := newClient(t, s.URL).Payout(context.Background(), validPayout())
		if err != nil || cid != 7 {
			t.Errorf("Payout = %d, %v; want 7, nil", cid, err)
		}
	})
}

func TestEachAttemptHasFreshNonceAndTimestamp(t *testing.T) {
	s := newStub(t, okData(`{"cid":1}`))
	c := newClient(t, s.URL)
	before := time.Now().UnixMilli()
	for range 20 {
		if _, err := c.Payout(context.Background(), validPayout()); err != nil {
			t.Fatal(err)
		}
	}
	after := time.Now().UnixMilli()
	nonceRE := regexp.MustCompile(`^[a-z0-9]{6}$`)
	seen := map[string]bool{}
	for _, r := range s.requests() {
		nonce, _ := r.Fields["nonce"].(string)
		if !nonceRE.MatchString(nonce) {
			t.Errorf("nonce %q does not match [a-z0-9]{6}", nonce)
		}
		if seen[nonce] {
			t.Errorf("nonce %q was used twice", nonce)
		}
		seen[nonce] = true
		ts, err := r.Fields["timestamp"].(interface{ Int64() (int64, error) }).Int64()
		if err != nil || ts < before || ts > after {
			t.Errorf("timestamp %v, want Unix milliseconds in [%d, %d]", r.Fields["timestamp"], before, after)
		}
	}
}

func TestConcurrentCallsAreSafe(t *testing.T) {
	s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		// Echo a cid derived from the request, so each caller can check it
		// got its own answer.
		tp, _ := parseFields(r)["third_party_id"].(string)
		if r.URL.Path == cregis.PathPayoutQuery {
			okData(`{"status":6,"third_party_id":"q"}`)(w, r)
			return
		}
		okData(`{"cid":`+strings.TrimPrefix(tp, "tp-")+`}`)(w, r)
	})
	c := newClient(t, s.URL)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 16 {
		wg.Go(func() {
			for j := range 4 {
				want := int64(9007199254740993 + i*10 + j)
				req := validPayout()
				req.ThirdPartyID = fmt.Sprintf("tp-%d", want)
				if cid, err := c.Payout(context.Background(), req); err != nil || cid != want {
					errs <- fmt.Errorf("Payout = %d, %v; want %d", cid, err, want)
				}
				if info, err := c.PayoutQuery(context.Background(), want); err != nil || !info.Status.Succeeded() {
					errs <- fmt.Errorf("PayoutQuery = %+v, %v; want succeeded", info, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// roundsServer answers status queries in rounds of n: each request waits
// until n are in flight, so every round needs n connections at once. It
// counts the connections it accepted.
type roundsServer struct {
	URL     string
	arrived chan struct{}
	proceed chan struct{}
	opened  atomic.Int64
}

func newRoundsServer(t *testing.T, n int) *roundsServer {
	t.Helper()
	s := &roundsServer{arrived: make(chan struct{}, n), proceed: make(chan struct{}, n)}
	answer := okData(`{"status":6,"third_party_id":"q"}`)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.arrived <- struct{}{}
		<-s.proceed
		answer(w, r)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// round makes n concurrent queries through c and lets them all through
// once every one has arrived.
func (s *roundsServer) round(t *testing.T, c *cregis.Client, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, err := c.PayoutQuery(context.Background(), 1); err != nil {
				t.Error(err)
			}
		})
	}
	for range n {
		<-s.arrived
	}
	for range n {
		s.proceed <- struct{}{}
	}
	wg.Wait()
}

func TestTheDefaultTransportKeepsAConnectionPerConcurrentCaller(t *testing.T) {
	const callers, rounds = 20, 30
	tests := []struct {
		desc       string
		idle       int
		wantAtMost int64 // connections opened over every round; 0: more than callers
	}{
		{"EnoughIdleConnectionsReuseTheFirstRoundsForEveryRound", 0, callers},
		{"FewerIdleConnectionsThanCallersReopenConnectionsEveryRound", 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := newRoundsServer(t, callers)
			c := newClient(t, s.URL, func(cfg *cregis.Config) { cfg.MaxIdleConns = tt.idle })
			for range rounds {
				s.round(t, c, callers)
			}
			got := s.opened.Load()
			t.Logf("%d connections opened", got)
			if tt.wantAtMost > 0 && got > tt.wantAtMost {
				t.Errorf("%d connections over %d rounds of %d concurrent calls, want at most %d", got, rounds, callers, tt.wantAtMost)
			}
			if tt.wantAtMost == 0 && got <= callers {
				t.Errorf("%d connections over %d rounds with %d idle kept, want more than %d", got, rounds, tt.idle, callers)
			}
		})
	}
}
