package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/tasks"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// ServerConfig configures a Server.
type ServerConfig struct {
	// Redis is asynq's connection. Required unless RedisClient is set.
	Redis asynq.RedisConnOpt
	// RedisClient, when set, is used instead of Redis: the asynq server (and
	// the scheduler) run on this client rather than on connections of their
	// own, so that a caller can share one client and hook it (count its
	// calls, trace them). asynq never closes it; the caller does, after Run
	// has returned. asynq's scheduler logs an error at shutdown saying the
	// shared connection was not closed; it is harmless. Default nil: Redis.
	RedisClient redis.UniversalClient
	// Concurrency is the number of tasks run at once. Default 10.
	Concurrency int
	// ShutdownTimeout is how long in-flight tasks get at shutdown. Default:
	// above the longest Cregis call (2*CregisTimeout + 5s: a poll may query
	// both endpoints). It must exceed the Pipeline's CregisTimeout.
	ShutdownTimeout time.Duration
	// Scheduler also runs the periodic sweeper (the "scheduler" role): it
	// enqueues a sweep task each SweepInterval; processes with handlers run it.
	Scheduler bool
	// DisableHandlers runs no task handlers, only the scheduler (the
	// "scheduler" role without "worker"). Default false: handlers run.
	DisableHandlers bool
	// SweepInterval is the sweeper's period. Default 1m.
	SweepInterval time.Duration
	// TradeScanInterval is the period of the trade-record scan that looks
	// for the cids of unconfirmed payouts (scheduler role). Default 1m.
	TradeScanInterval time.Duration
	// DisableTradeScan turns the trade-record scan off.
	DisableTradeScan bool
	// TaskCheckInterval is how often an idle worker looks for tasks, and
	// how often due scheduled tasks (polls) are moved to their queue.
	// Default 1s; benchmarks at a fast clock lower it.
	TaskCheckInterval time.Duration

	// retryScale, when above 0, multiplies every retry delay: tests run the
	// webhook schedule in milliseconds.
	retryScale float64
}

// Defaults of ServerConfig.
const (
	DefaultConcurrency       = 10
	DefaultSweepInterval     = time.Minute
	DefaultTradeScanInterval = time.Minute
)

// sweepTimeout bounds one sweep; it stays below sweepLockTTL.
const sweepTimeout = 5 * time.Minute

// Server runs a Pipeline's handlers on asynq. The caller controls its life:
// it never takes over OS signals (it never calls asynq.Server.Run).
type Server struct {
	p       *Pipeline
	cfg     ServerConfig
	srv     *asynq.Server
	sched   *asynq.Scheduler // nil unless cfg.Scheduler
	started atomic.Bool
	ready   chan struct{}
	once    sync.Once
}

// NewServer returns a Server for p.
func NewServer(p *Pipeline, cfg ServerConfig) (*Server, error) {
	if p == nil {
		return nil, errors.New("worker: NewServer needs a Pipeline")
	}
	cfg = cfg.withDefaults(p.cfg)
	if err := cfg.validate(p.cfg); err != nil {
		return nil, err
	}
	s := &Server{p: p, cfg: cfg, ready: make(chan struct{})}
	s.srv = s.newAsynqServer()
	if cfg.Scheduler {
		sched, err := s.newScheduler()
		if err != nil {
			return nil, err
		}
		s.sched = sched
	}
	return s, nil
}

// newAsynqServer builds the asynq server on RedisClient, or on Redis.
func (s *Server) newAsynqServer() *asynq.Server {
	if s.cfg.RedisClient != nil {
		return asynq.NewServerFromRedisClient(s.cfg.RedisClient, s.asynqConfig())
	}
	return asynq.NewServer(s.cfg.Redis, s.asynqConfig())
}

func (cfg ServerConfig) withDefaults(pc Config) ServerConfig {
	cfg.Concurrency = orDefault(cfg.Concurrency, DefaultConcurrency)
	cfg.ShutdownTimeout = orDefault(cfg.ShutdownTimeout, 2*pc.CregisTimeout+5*time.Second)
	cfg.SweepInterval = orDefault(cfg.SweepInterval, DefaultSweepInterval)
	cfg.TradeScanInterval = orDefault(cfg.TradeScanInterval, DefaultTradeScanInterval)
	cfg.TaskCheckInterval = orDefault(cfg.TaskCheckInterval, time.Second)
	return cfg
}

func (cfg ServerConfig) validate(pc Config) error {
	switch {
	case cfg.Redis == nil && cfg.RedisClient == nil:
		return errors.New("worker: ServerConfig.Redis (or RedisClient) is required")
	case cfg.DisableHandlers && !cfg.Scheduler:
		return errors.New("worker: ServerConfig.DisableHandlers without Scheduler runs nothing")
	case cfg.Concurrency < 0:
		return errors.New("worker: ServerConfig.Concurrency must be positive")
	case cfg.ShutdownTimeout <= pc.CregisTimeout:
		return fmt.Errorf("worker: ServerConfig.ShutdownTimeout (%s) must exceed the Cregis call timeout (%s)", cfg.ShutdownTimeout, pc.CregisTimeout)
	case cfg.SweepInterval < time.Second:
		return errors.New("worker: ServerConfig.SweepInterval must be at least 1s")
	case cfg.TradeScanInterval < time.Second:
		return errors.New("worker: ServerConfig.TradeScanInterval must be at least 1s")
	case cfg.TaskCheckInterval < 0:
		return errors.New("worker: ServerConfig.TaskCheckInterval must not be negative")
	}
	return nil
}

// retryDelay is retryDelay, scaled by ServerConfig.retryScale.
func (s *Server) retryDelay(n int, err error, t *asynq.Task) time.Duration {
	d := retryDelay(n, err, t)
	if s.cfg.retryScale > 0 {
		d = time.Duration(float64(d) * s.cfg.retryScale)
	}
	return d
}

func (s *Server) asynqConfig() asynq.Config {
	log := s.p.log
	return asynq.Config{
		Concurrency:              s.cfg.Concurrency,
		Queues:                   s.p.cfg.Queues.Priorities(),
		StrictPriority:           false,
		RetryDelayFunc:           s.retryDelay,
		IsFailure:                isFailure,
		ErrorHandler:             asynq.ErrorHandlerFunc(s.handleError),
		Logger:                   newAsynqLogger(log),
		LogLevel:                 asynqLogLevel(log.GetLevel()),
		ShutdownTimeout:          s.cfg.ShutdownTimeout,
		TaskCheckInterval:        s.cfg.TaskCheckInterval,
		DelayedTaskCheckInterval: s.cfg.TaskCheckInterval, // the poll schedule is in seconds
		HealthCheckFunc: func(err error) {
			if err != nil {
				log.Error().Err(err).Msg("asynq cannot reach Redis")
			}
		},
	}
}

func (s *Server) newScheduler() (*asynq.Scheduler, error) {
	sched := s.newAsynqScheduler()
	task := tasks.NewSweepTask(s.p.cfg.Queues, sweepTimeout, s.cfg.SweepInterval)
	if _, err := sched.Register("@every "+s.cfg.SweepInterval.String(), task); err != nil {
		return nil, fmt.Errorf("worker: register the sweep: %w", err)
	}
	if !s.cfg.DisableTradeScan {
		scan := tasks.NewTradeScanTask(s.p.cfg.Queues, tradeScanTimeout, s.cfg.TradeScanInterval)
		if _, err := sched.Register("@every "+s.cfg.TradeScanInterval.String(), scan); err != nil {
			return nil, fmt.Errorf("worker: register the trade scan: %w", err)
		}
	}
	return sched, nil
}

// newAsynqScheduler builds the asynq scheduler on RedisClient, or on Redis.
func (s *Server) newAsynqScheduler() *asynq.Scheduler {
	if s.cfg.RedisClient != nil {
		return asynq.NewSchedulerFromRedisClient(s.cfg.RedisClient, s.schedulerOpts())
	}
	return asynq.NewScheduler(s.cfg.Redis, s.schedulerOpts())
}

func (s *Server) schedulerOpts() *asynq.SchedulerOpts {
	log := s.p.log
	return &asynq.SchedulerOpts{
		Logger:   newAsynqLogger(log),
		LogLevel: asynqLogLevel(log.GetLevel()),
		PostEnqueueFunc: func(_ *asynq.TaskInfo, err error) {
			if err == nil || errors.Is(err, asynq.ErrDuplicateTask) {
				return // enqueued, or another scheduler of the fleet enqueued this period's task
			}
			log.Error().Err(err).Msg("could not enqueue a periodic task (sweep, trade scan)")
		},
	}
}

// Run starts the server (and the scheduler), waits for ctx to end, then
// stops taking tasks and shuts down, letting in-flight tasks finish within
// ShutdownTimeout.
func (s *Server) Run(ctx context.Context) error {
	if !s.cfg.DisableHandlers {
		if err := s.srv.Start(s.p.ServeMux()); err != nil {
			return fmt.Errorf("worker: start: %w", err)
		}
	}
	if s.sched != nil {
		if err := s.sched.Start(); err != nil {
			s.stopHandlers()
			return fmt.Errorf("worker: start the scheduler: %w", err)
		}
	}
	if s.sched != nil {
		s.sweepNow(ctx)
	}
	s.started.Store(true)
	s.once.Do(func() { close(s.ready) })
	s.p.log.Info().Int("concurrency", s.cfg.Concurrency).Bool("handlers", !s.cfg.DisableHandlers).
		Bool("scheduler", s.sched != nil).Msg("worker started")
	<-ctx.Done()
	s.started.Store(false)
	if s.sched != nil {
		s.sched.Shutdown()
	}
	s.stopHandlers()
	s.p.log.Info().Msg("worker stopped")
	return nil
}

// sweepNow enqueues a sweep at start-up, so the gauges are there at once
// rather than after SweepInterval. It shares the periodic sweep's
// uniqueness, so a fleet starting together sweeps once.
func (s *Server) sweepNow(ctx context.Context) {
	task := tasks.NewSweepTask(s.p.cfg.Queues, sweepTimeout, s.cfg.SweepInterval)
	if _, err := s.p.cfg.Asynq.EnqueueContext(ctx, task); err != nil && !errors.Is(err, asynq.ErrDuplicateTask) {
		s.p.log.Error().Err(err).Msg("could not enqueue the start-up sweep")
	}
}

// stopHandlers stops taking tasks and waits for in-flight ones, within
// ShutdownTimeout.
func (s *Server) stopHandlers() {
	if s.cfg.DisableHandlers {
		return
	}
	s.srv.Stop()
	s.srv.Shutdown()
}

// Started reports whether Run has started processing and not yet begun to
// shut down, for a readiness check.
func (s *Server) Started() bool { return s.started.Load() }

// Ready is closed once Run has started processing.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Ping checks asynq's connection to Redis, for a readiness check.
func (s *Server) Ping() error { return s.srv.Ping() }

// handleError logs a task's error once, at a level that fits its class:
// waiting (rate limit, lease, a poll with no verdict) is debug, an unknown
// outcome or a transient error is a warning, a held payout or an archived
// task is an error.
func (s *Server) handleError(ctx context.Context, t *asynq.Task, err error) {
	pol := classify(err)
	ev := s.p.log.WithLevel(errorLevel(pol.Class))
	if ev == nil {
		return
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	id, _ := asynq.GetTaskID(ctx)
	var payload struct {
		ThirdPartyID string `json:"third_party_id"`
	}
	_ = json.Unmarshal(t.Payload(), &payload)
	ev.Err(err).Str("task_type", t.Type()).Str("task_id", id).Str("third_party_id", payload.ThirdPartyID).
		Str("class", string(pol.Class)).Bool("failure", pol.Failure).Int("retried", retried).
		Int("max_retry", maxRetry).Msg("task did not complete")
}

func errorLevel(c class) zerolog.Level {
	switch c {
	case classRateLimited, classBusy, classPollLater, classCanceled:
		return zerolog.DebugLevel
	case classHeld, classSkip:
		return zerolog.ErrorLevel
	}
	return zerolog.WarnLevel
}
