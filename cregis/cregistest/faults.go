package cregistest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// FaultKind is how an injected fault answers a call.
type FaultKind int

// The faults the fake can inject.
const (
	FaultNone               FaultKind = iota
	FaultBadGateway                   // HTTP 502 with an HTML page
	FaultServiceUnavailable           // HTTP 503 with an HTML page
	FaultInternalError                // HTTP 500 with an HTML page
	FaultGatewayTimeout               // HTTP 504 with an HTML page
	FaultReset                        // the connection is reset, no answer
	FaultHang                         // no answer until the client gives up (or Close)
	FaultHTML                         // HTTP 200 with an HTML page, not the envelope
)

var faultNames = map[FaultKind]string{
	FaultNone: "none", FaultBadGateway: "bad_gateway", FaultServiceUnavailable: "service_unavailable",
	FaultInternalError: "internal_error", FaultGatewayTimeout: "gateway_timeout",
	FaultReset: "reset", FaultHang: "hang", FaultHTML: "html",
}

// String returns a snake_case name, e.g. "bad_gateway".
func (k FaultKind) String() string {
	if n, ok := faultNames[k]; ok {
		return n
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// MarshalText encodes the name String returns.
func (k FaultKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// HTTPStatus is the status the fault answers with; 0 for a reset or hang.
func (k FaultKind) HTTPStatus() int {
	switch k {
	case FaultBadGateway:
		return http.StatusBadGateway
	case FaultServiceUnavailable:
		return http.StatusServiceUnavailable
	case FaultInternalError:
		return http.StatusInternalServerError
	case FaultGatewayTimeout:
		return http.StatusGatewayTimeout
	case FaultHTML:
		return http.StatusOK
	}
	return 0
}

// faults holds the faults waiting to be injected.
type faults struct {
	mu      sync.Mutex
	rates   FaultRates
	latency time.Duration
	storm   string
	beforeQ []FaultKind // next creates, before applying
	afterQ  []FaultKind // next creates, after applying
	queries []FaultKind // next status queries
}

func newFaults(cfg Config) *faults {
	return &faults{rates: cfg.FaultRates, latency: cfg.Latency}
}

// Kinds picked at random by FaultRates.
var (
	randomBefore = []FaultKind{FaultBadGateway, FaultServiceUnavailable, FaultReset}
	randomAfter  = []FaultKind{FaultInternalError, FaultGatewayTimeout, FaultHTML}
	randomQuery  = []FaultKind{FaultBadGateway, FaultServiceUnavailable, FaultInternalError}
)

// before returns the fault for a call about to be answered.
func (f *faults) before(k routeKind) FaultKind {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch k {
	case kindCreate:
		return next1(&f.beforeQ, f.rates.CreateBeforeApply, randomBefore)
	case kindQuery:
		return next1(&f.queries, f.rates.Query, randomQuery)
	}
	return FaultNone
}

// after returns the fault for a call that has been answered (and applied).
func (f *faults) after(k routeKind) FaultKind {
	if k != kindCreate {
		return FaultNone
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return next1(&f.afterQ, f.rates.CreateAfterApply, randomAfter)
}

// next1 pops the queue, or else draws a fault at rate.
func next1(queue *[]FaultKind, rate float64, kinds []FaultKind) FaultKind {
	if len(*queue) > 0 {
		k := (*queue)[0]
		*queue = (*queue)[1:]
		return k
	}
	if rate > 0 && rand.Float64() < rate {
		return kinds[rand.IntN(len(kinds))]
	}
	return FaultNone
}

func (f *faults) currentLatency() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.latency
}

func (f *faults) currentStorm() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.storm
}

func (f *faults) set(apply func(*faults)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	apply(f)
}

// FailCreatesBeforeApply makes the next n create calls (either create
// endpoint) fail with kind without being applied, after those already
// queued. Typical kinds: FaultBadGateway, FaultServiceUnavailable, FaultReset.
func (s *Server) FailCreatesBeforeApply(n int, kind FaultKind) {
	s.faults.set(func(f *faults) { f.beforeQ = appendN(f.beforeQ, n, kind) })
}

// FailCreatesAfterApply makes the next n create calls be applied (the payout
// exists, or the call's error stands) and then answered with kind instead of
// the envelope. Typical kinds: FaultInternalError, FaultGatewayTimeout,
// FaultHang, FaultHTML.
func (s *Server) FailCreatesAfterApply(n int, kind FaultKind) {
	s.faults.set(func(f *faults) { f.afterQ = appendN(f.afterQ, n, kind) })
}

// FailQueries makes the next n status queries (either endpoint) fail with
// kind.
func (s *Server) FailQueries(n int, kind FaultKind) {
	s.faults.set(func(f *faults) { f.queries = appendN(f.queries, n, kind) })
}

// SetLatency delays every API call by d before it is answered.
func (s *Server) SetLatency(d time.Duration) {
	s.faults.set(func(f *faults) { f.latency = d })
}

// SetErrorStorm makes every API call answer code (e.g. "B0001", "E0001",
// "E0004") until it is cleared; "" clears it. Nothing is applied meanwhile.
func (s *Server) SetErrorStorm(code string) {
	s.faults.set(func(f *faults) { f.storm = code })
}

// ClearErrorStorm ends an error storm.
func (s *Server) ClearErrorStorm() { s.SetErrorStorm("") }

// ClearFaults drops queued faults, latency and any error storm. The
// configured FaultRates stay.
func (s *Server) ClearFaults() {
	s.faults.set(func(f *faults) { f.beforeQ, f.afterQ, f.queries, f.latency, f.storm = nil, nil, nil, 0, "" })
}

func appendN(q []FaultKind, n int, kind FaultKind) []FaultKind {
	for range n {
		q = append(q, kind)
	}
	return q
}

// fault answers a call with f, recording it first. code is the envelope the
// call had computed, if it got that far.
func (s *Server) fault(w http.ResponseWriter, r *http.Request, c *call, code string, f FaultKind) {
	s.log.record(c.request(code, f.HTTPStatus(), f))
	switch f {
	case FaultReset:
		resetConn(w)
	case FaultHang:
		s.sleep(r.Context(), -1)
		closeConn(w)
	default:
		writePage(w, f.HTTPStatus())
	}
}

// sleep waits for d (for ever if d < 0), until the request ends, or until
// the server closes.
func (s *Server) sleep(ctx context.Context, d time.Duration) {
	if d == 0 {
		return
	}
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
	case <-ctx.Done():
	case <-s.ctx.Done():
	}
}

// writePage answers with an HTML page, as a gateway in front of Cregis would.
func writePage(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<html><head><title>%d</title></head><body><h1>%d %s</h1><hr><center>nginx</center></body></html>\n",
		status, status, http.StatusText(status))
}

// resetConn closes the connection with a TCP reset.
func resetConn(w http.ResponseWriter) {
	conn := hijack(w)
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// closeConn closes the connection without answering.
func closeConn(w http.ResponseWriter) { _ = hijack(w).Close() }

func hijack(w http.ResponseWriter) net.Conn {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	return conn
}
