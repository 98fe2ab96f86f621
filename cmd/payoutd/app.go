package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"
	asynqmetrics "github.com/hibiken/asynq/x/metrics"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/internal/metrics"
	"github.com/payoutd/payoutd/tasks"
	"github.com/payoutd/payoutd/worker"
	"github.com/payoutd/payoutd/worker/httpapi"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// app is payoutd assembled from a Config: one Redis client for records,
// asynq's client and inspector, the Cregis client, the pipeline, the asynq
// server (worker and scheduler roles) and the HTTP surface.
type app struct {
	cfg       Config
	log       zerolog.Logger
	conn      redisConn
	rdb       redis.UniversalClient
	asynq     *asynq.Client
	inspector *asynq.Inspector
	queues    tasks.Queues
	worker    *worker.Server // nil without the worker and scheduler roles
	handler   *httpapi.Handler
	closers   []func() error
}

// newApp builds the parts; it connects lazily, so it fails only on
// configuration.
func newApp(cfg Config, log zerolog.Logger) (*app, error) {
	conn, err := newRedisConn(&cfg)
	if err != nil {
		return nil, err
	}
	cc, err := cregis.New(cregis.Config{BaseURL: cfg.CregisBaseURL, PID: cfg.CregisPID,
		APIKey: string(cfg.CregisAPIKey), Timeout: cfg.CregisTimeout, MaxIdleConns: cfg.cregisIdleConns()})
	if err != nil {
		return nil, problem("CREGIS_BASE_URL", "%v", err)
	}
	a := &app{cfg: cfg, log: log, conn: conn, queues: tasks.NewQueues(cfg.QueuePrefix)}
	a.rdb = conn.newClient()
	a.asynq = asynq.NewClient(conn)
	a.inspector = asynq.NewInspector(conn)
	a.closers = append(a.closers, a.inspector.Close, a.asynq.Close, a.rdb.Close)
	if err := a.assemble(cc); err != nil {
		a.close()
		return nil, err
	}
	a.logStart()
	return a, nil
}

// assemble builds the pipeline, the asynq server and the HTTP surface.
func (a *app) assemble(cc *cregis.Client) error {
	reg, m := newMetrics(a.inspector)
	store := tasks.NewStore(a.rdb, tasks.StoreConfig{KeyPrefix: a.cfg.KeyPrefix,
		MinReplicas: a.cfg.RedisMinReplicas, WaitTimeout: a.cfg.RedisWaitTimeout, EventsMaxAge: a.cfg.EventsMaxAge})
	p, err := worker.NewPipeline(a.pipelineConfig(cc, store, m))
	if err != nil {
		return err
	}
	if a.cfg.has(roleWorker) || a.cfg.has(roleScheduler) {
		if a.worker, err = worker.NewServer(p, a.serverConfig()); err != nil {
			return err
		}
	}
	coins := tasks.NewCoinCache(a.rdb, p, tasks.CoinCacheConfig{KeyPrefix: a.cfg.KeyPrefix})
	producer := tasks.NewProducer(tasks.ProducerConfig{Store: store, Client: a.asynq, Decimals: coins, Queues: a.queues,
		SubmitTimeout: a.cfg.submitTimeout(), EnqueueErrorFunc: a.enqueueFailed})
	a.handler, err = httpapi.New(httpapi.Config{
		API: a.cfg.has(roleAPI), Producer: producer, Store: store, Pipeline: p, Cregis: cc,
		Inspector: a.inspector, Queues: a.queues, Tokens: tokens(a.cfg.APITokens), Monitor: a.monitorConfig(), Gatherer: reg, Metrics: m,
		ReadyFunc: a.ready, Logger: a.log,
	})
	if err != nil {
		return err
	}
	a.closers = append(a.closers, a.handler.Close)
	return nil
}

func (a *app) pipelineConfig(cc *cregis.Client, store *tasks.Store, m *metrics.Metrics) worker.Config {
	c := a.cfg
	return worker.Config{
		Redis: a.rdb, Asynq: a.asynq, Inspector: a.inspector, Cregis: cc, Store: store,
		Queues: a.queues, KeyPrefix: c.KeyPrefix, CallbackURL: c.callbackURL(),
		PollMinInterval: c.PollMinInterval, PollMaxInterval: c.PollMaxInterval, StuckAfter: c.StuckAfter,
		PollOnChainInterval: c.PollOnChain, PollApprovalInterval: c.PollApproval, PollSafetyInterval: c.PollSafety,
		RecordRetention: c.RecordRetention,
		RateLimit:       c.CregisRateLimit, CregisTimeout: c.CregisTimeout, SubmitTimeout: c.submitTimeout(),
		WebhookSecrets: c.webhookSecrets(), NotifyURL: c.NotifyURL,
		Logger: a.log, Metrics: m,
	}
}

func (a *app) serverConfig() worker.ServerConfig {
	return worker.ServerConfig{
		Redis: a.conn, Concurrency: a.cfg.WorkerConcurrency, ShutdownTimeout: a.cfg.ShutdownTimeout,
		Scheduler: a.cfg.has(roleScheduler), DisableHandlers: !a.cfg.has(roleWorker),
		SweepInterval: a.cfg.SweepInterval, TradeScanInterval: a.cfg.TradeScanInterval,
		DisableTradeScan: a.cfg.TradeScanInterval == 0,
	}
}

func (a *app) monitorConfig() httpapi.MonitorConfig {
	return httpapi.MonitorConfig{User: a.cfg.MonitorUser, Password: string(a.cfg.MonitorPassword),
		Writable: !a.cfg.MonitorReadonly, Redis: a.conn}
}

// newMetrics returns a registry with asynq's queue metrics, payoutd's own
// collectors, and the Go and process collectors.
func newMetrics(insp *asynq.Inspector) (*prometheus.Registry, *metrics.Metrics) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		asynqmetrics.NewQueueMetricsCollector(insp))
	return reg, metrics.New(reg)
}

func tokens(ss []secret) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// enqueueFailed logs an accepted payout whose submit task the sweeper must
// enqueue.
func (a *app) enqueueFailed(id string, err error) {
	a.log.Warn().Err(err).Str("third_party_id", id).Msg("payout accepted, but its submit task could not be enqueued; the sweeper will")
}

// logStart logs what the process runs, never a secret.
func (a *app) logStart() {
	c := a.cfg
	a.log.Info().Strs("roles", c.Roles).Str("redis", a.conn.desc).Str("cregis_base_url", c.CregisBaseURL).
		Int64("cregis_pid", c.CregisPID).Str("callback_url", c.callbackURL()).
		Bool("monitoring", c.MonitorUser != "").Msg("payoutd starting")
}

// ready is /readyz: Redis answers and, with the worker or scheduler role,
// the asynq server is running (started and not shutting down).
func (a *app) ready(ctx context.Context) error {
	if err := a.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	if a.worker != nil && !a.worker.Started() {
		return errors.New("worker not running")
	}
	return nil
}

// close releases every connection, last opened first.
func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			a.log.Debug().Err(err).Msg("close")
		}
	}
}
