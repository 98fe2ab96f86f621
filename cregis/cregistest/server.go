package cregistest

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
)

// Server is a running fake of Cregis. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL, "http://127.0.0.1:port", with no trailing slash.
	URL string
	// PID is the project id the fake accepts.
	PID int64
	// APIKey is the key requests must be signed with. Never log it.
	APIKey string

	cfg    Config
	tb     testing.TB // nil when started by Start
	srv    *http.Server
	extra  *http.ServeMux
	routes map[string]route
	coins  *coinTable
	ledger *ledger
	log    *inspector
	faults *faults
	http   *http.Client // delivers callbacks and verification requests

	verifyURL verificationURL

	gate   gate
	ctx    context.Context // ends when Close begins
	cancel context.CancelFunc
	closed sync.Once

	clientOnce sync.Once
	client     *cregis.Client
	clientErr  error
}

// NewServer starts a fake configured by opts on a free loopback port, and
// closes it when t ends. It fails t if the configuration is invalid.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var cfg Config
	for _, opt := range opts {
		opt(&cfg)
	}
	s, err := Start(cfg)
	if err != nil {
		t.Fatalf("cregistest: %v", err)
	}
	s.tb = t
	t.Cleanup(s.Close)
	return s
}

// Start validates cfg and starts a fake listening on cfg.Addr. The caller
// must Close it.
func Start(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("cregistest: listen on %s: %w", cfg.Addr, err)
	}
	s := newServer(cfg)
	s.URL = "http://" + ln.Addr().String()
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func newServer(cfg Config) *Server {
	s := &Server{
		PID:    cfg.PID,
		APIKey: cfg.APIKey,
		cfg:    cfg,
		extra:  http.NewServeMux(),
		coins:  newCoinTable(cfg.Coins),
		ledger: newLedger(cfg),
		log:    newInspector(cfg),
		faults: newFaults(cfg),
		http:   &http.Client{Timeout: cfg.CallbackTimeout},
	}
	s.verifyURL.set(cfg.VerificationURL)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.routes = s.newRoutes()
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	return s
}

// Close stops the fake: it ends hanging and delayed calls, closes every
// connection, and waits for its handlers, its background progression and
// the callbacks in flight. Close may be called more than once.
func (s *Server) Close() {
	s.closed.Do(func() {
		s.cancel()
		_ = s.srv.Close()
		s.gate.close()
		s.http.CloseIdleConnections()
	})
}

// Client returns a cregis client for this fake, built on first use with
// ClientConfig. It fails the test (or panics, for a server from Start) if
// the client cannot be built.
func (s *Server) Client() *cregis.Client {
	s.clientOnce.Do(func() {
		s.client, s.clientErr = cregis.New(s.ClientConfig())
	})
	if s.clientErr != nil {
		if s.tb != nil {
			s.tb.Fatalf("cregistest: building the client: %v", s.clientErr)
		}
		panic(fmt.Sprintf("cregistest: building the client: %v", s.clientErr))
	}
	return s.client
}

// ClientConfig returns a client configuration for this fake: its URL, PID
// and APIKey, other fields at their defaults. Tests that need another timeout
// or clock change it and call cregis.New themselves.
func (s *Server) ClientConfig() cregis.Config {
	return cregis.Config{BaseURL: s.URL, PID: s.PID, APIKey: s.APIKey}
}

// Config returns the configuration the fake runs with, defaults applied.
func (s *Server) Config() Config { return s.cfg }

// Handle registers a handler on the fake's listener for a pattern outside
// the Cregis API (see http.ServeMux), e.g. a sandbox's inspection views.
// Paths of the API always go to the fake.
func (s *Server) Handle(pattern string, h http.Handler) { s.extra.Handle(pattern, h) }

// now returns the fake's current time.
func (s *Server) now() time.Time { return s.cfg.NowFunc() }
