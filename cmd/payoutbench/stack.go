package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
	"github.com/payoutd/payoutd/internal/metrics"
	"github.com/payoutd/payoutd/tasks"
	"github.com/payoutd/payoutd/worker"
	"github.com/payoutd/payoutd/worker/httpapi"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// stackConfig is what a measurement changes in payoutd's configuration;
// everything else is payoutd's default.
type stackConfig struct {
	fake *cregistest.Server
	// pollMin is the first poll's delay (PollMinInterval); 0 is the default.
	pollMin time.Duration
	// now is the clock of the pipeline and the store; nil is time.Now.
	now func() time.Time
	// callbackURL is sent on every create; "" turns callbacks off.
	callbackURL string
}

// stack is payoutd assembled as cmd/payoutd assembles it, over one go-redis
// client that every part shares (records, asynq's client, inspector and
// server) and that counts every call.
type stack struct {
	rdb      *redis.Client
	calls    *callCounter
	asynq    *asynq.Client
	queues   tasks.Queues
	store    *tasks.Store
	pipeline *worker.Pipeline
	producer *tasks.Producer
	metrics  *metrics.Metrics
	cregis   *cregis.Client
	fake     *cregistest.Server
}

// apiToken is the bearer token of the HTTP API the benchmark serves.
const apiToken = "payoutbench-token"

// newStack builds payoutd over the benchmark's Redis and cfg.fake.
func (b *bench) newStack(cfg stackConfig) (*stack, error) {
	cc, err := cregis.New(cfg.fake.ClientConfig())
	if err != nil {
		return nil, err
	}
	s := &stack{calls: &callCounter{}, queues: tasks.NewQueues(""), cregis: cc, fake: cfg.fake}
	s.rdb = b.redis.client(s.calls)
	s.asynq = asynq.NewClientFromRedisClient(s.rdb)
	s.store = tasks.NewStore(s.rdb, tasks.StoreConfig{NowFunc: cfg.now})
	s.metrics = metrics.New(prometheus.NewRegistry())
	s.pipeline, err = worker.NewPipeline(worker.Config{
		Redis: s.rdb, Asynq: s.asynq, Cregis: cc, Store: s.store, Queues: s.queues,
		CallbackURL: cfg.callbackURL, PollMinInterval: cfg.pollMin, PollMaxInterval: max(cfg.pollMin, worker.DefaultPollMaxInterval),
		Logger: b.log, Metrics: s.metrics, NowFunc: cfg.now,
	})
	if err != nil {
		s.close()
		return nil, err
	}
	coins := tasks.NewCoinCache(s.rdb, s.pipeline, tasks.CoinCacheConfig{})
	s.producer = tasks.NewProducer(tasks.ProducerConfig{Store: s.store, Client: s.asynq, Decimals: coins, Queues: s.queues})
	return s, nil
}

// close releases the shared client (asynq never closes a shared one).
func (s *stack) close() { _ = s.rdb.Close() }

// server returns payoutd's worker on the shared client, its idle workers
// looking for tasks every taskCheckInterval.
func (s *stack) server(concurrency int) (*worker.Server, error) {
	return worker.NewServer(s.pipeline, worker.ServerConfig{
		RedisClient: s.rdb, Concurrency: concurrency, TaskCheckInterval: taskCheckInterval,
	})
}

// handler returns payoutd's HTTP surface with the API on.
func (s *stack) handler(b *bench) (*httpapi.Handler, error) {
	return httpapi.New(httpapi.Config{
		API: true, Producer: s.producer, Store: s.store, Pipeline: s.pipeline, Cregis: s.cregis,
		Queues: s.queues, Tokens: []string{apiToken}, Gatherer: prometheus.NewRegistry(),
		Metrics: s.metrics, Logger: b.log,
	})
}

// taskCheckInterval is how often idle workers (payoutd's and the floor's)
// look for tasks and move due polls to their queue, lowered from asynq's
// 1s as the tests do, so that the drain measures work rather than waiting.
const taskCheckInterval = 10 * time.Millisecond

// running is a worker.Server running until stop.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

// start runs srv until the returned stop is called, and waits until it
// has started.
func start(ctx context.Context, srv *worker.Server) (*running, error) {
	ctx, cancel := context.WithCancel(ctx)
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- srv.Run(ctx) }()
	select {
	case <-srv.Ready():
		return r, nil
	case err := <-r.done:
		cancel()
		return nil, fmt.Errorf("the worker stopped before it started: %v", err)
	}
}

// stop shuts the server down and returns Run's error.
func (r *running) stop() error {
	r.cancel()
	return <-r.done
}

// enqueueAll enqueues reqs through the Producer from workers goroutines.
// A new payout answered as not created is reported, not failed: it is a
// Redis reply slower than go-redis's read timeout, whose retry found the
// record the first try wrote (a machine too loaded to measure on).
func (s *stack) enqueueAll(ctx context.Context, reqs []tasks.Request, workers int) error {
	return parallel(ctx, workers, len(reqs), func(i int) error {
		rec, created, err := s.producer.Enqueue(ctx, reqs[i])
		switch {
		case err != nil:
			return err
		case rec.State != tasks.StateQueued:
			return fmt.Errorf("Producer.Enqueue(%s): state %s, want queued", reqs[i].ThirdPartyID, rec.State)
		case !created:
			fmt.Fprintf(os.Stderr, "payoutbench: warning: Producer.Enqueue(%s) of a new payout answered created false (a Redis reply slower than the client's read timeout, retried?)\n", reqs[i].ThirdPartyID)
		}
		return nil
	})
}

// errStalled reports a measurement whose payouts stopped moving.
var errStalled = errors.New("no progress for " + stallAfter.String())
