package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/internal/metrics"
	"github.com/payoutd/payoutd/tasks"
	"github.com/payoutd/payoutd/worker"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Config configures a Handler. Every field states its default.
type Config struct {
	// API serves the /v1 payout API and the Cregis callback receiver (the
	// "api" role). Producer, Store, Pipeline, Cregis and Tokens are then
	// required. Default false: only monitoring, metrics and health.
	API bool
	// Producer enqueues payouts for POST /v1/payouts.
	Producer *tasks.Producer
	// Store reads payout records.
	Store *tasks.Store
	// Pipeline applies callbacks and the retry and resolve actions.
	Pipeline *worker.Pipeline
	// Cregis verifies callbacks (ParseCallback: signature and pid).
	Cregis *cregis.Client
	// Inspector reads asynq's queue sizes for GET /v1/stats. Default nil:
	// the stats carry no queues and held is 0.
	Inspector *asynq.Inspector
	// Queues names the queues GET /v1/stats reports. Default: the zero
	// value, no queues.
	Queues tasks.Queues
	// Tokens are the bearer tokens accepted on /v1.
	Tokens []string
	// Monitor configures the Asynq web UI at /monitoring. Default: off.
	Monitor MonitorConfig
	// Gatherer is served at /metrics. Default: prometheus.DefaultGatherer.
	Gatherer prometheus.Gatherer
	// Metrics counts callbacks by result; nil counts nothing.
	Metrics *metrics.Metrics
	// ReadyFunc answers /readyz: nil error means ready. Default: always ready.
	ReadyFunc func(ctx context.Context) error
	// Logger logs requests. Default: a disabled logger.
	Logger zerolog.Logger
}

// MonitorConfig configures the Asynq web UI.
type MonitorConfig struct {
	// User and Password guard the UI with basic auth. The UI is off unless
	// both are set.
	User, Password string
	// Writable lets the UI change tasks and queues (delete, run, pause...).
	// Default false: read-only.
	Writable bool
	// Redis is asynq's connection. Required when the UI is on.
	Redis asynq.RedisConnOpt
}

func (m MonitorConfig) enabled() bool { return m.User != "" && m.Password != "" }

// Handler is payoutd's HTTP surface; routes.go lists it.
type Handler struct {
	cfg     Config
	root    http.Handler
	closers []func() error
}

// New validates cfg and returns the Handler. Close releases the Redis
// connections of the monitoring UI.
func New(cfg Config) (*Handler, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Gatherer == nil {
		cfg.Gatherer = prometheus.DefaultGatherer
	}
	h := &Handler{cfg: cfg}
	mux := http.NewServeMux()
	h.addRoutes(mux)
	h.root = withLogging(cfg.Logger, withRecover(mux))
	return h, nil
}

func (c Config) validate() error {
	switch {
	case c.API && (c.Producer == nil || c.Store == nil || c.Pipeline == nil || c.Cregis == nil):
		return errors.New("httpapi: API needs Producer, Store, Pipeline and Cregis")
	case c.API && len(c.Tokens) == 0:
		return errors.New("httpapi: API needs at least one token")
	case c.Monitor.enabled() && c.Monitor.Redis == nil:
		return errors.New("httpapi: the monitoring UI needs Monitor.Redis")
	}
	for _, t := range c.Tokens {
		if t == "" {
			return errors.New("httpapi: empty token")
		}
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.root.ServeHTTP(w, r) }

// Close releases what the Handler holds open.
func (h *Handler) Close() error {
	var errs []error
	for _, f := range h.closers {
		errs = append(errs, f())
	}
	return errors.Join(errs...)
}
