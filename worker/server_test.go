package worker

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/internal/metrics"
	"github.com/payoutd/payoutd/internal/redistest"
	"github.com/payoutd/payoutd/tasks"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// runServer runs a Server for p until the test ends, and waits until it
// has started.
func (h *harness) runServer(p *Pipeline, cfg ServerConfig) *Server {
	h.t.Helper()
	cfg.Redis = h.redis.AsynqOpt()
	s, err := NewServer(p, cfg)
	if err != nil {
		h.t.Fatalf("NewServer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	h.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-s.Ready():
	case err := <-done:
		h.t.Fatalf("Run returned before it started: %v", err)
	case <-time.After(10 * time.Second):
		h.t.Fatal("the server did not start")
	}
	return s
}

// producer returns a Producer over the harness's store and queues.
func (h *harness) producer() *tasks.Producer {
	return tasks.NewProducer(tasks.ProducerConfig{
		Store: h.store, Client: h.client, Decimals: tasks.BuiltinDecimals, Queues: h.queues,
	})
}

// enqueue enqueues req through the producer API.
func (h *harness) enqueue(req tasks.Request) string {
	h.t.Helper()
	rec, _, err := h.producer().Enqueue(context.Background(), req)
	if err != nil {
		h.t.Fatalf("Producer.Enqueue: %v", err)
	}
	return rec.ThirdPartyID
}

// awaitState waits until the record is in one of the states.
func (h *harness) awaitState(id string, within time.Duration, states ...tasks.State) *tasks.Record {
	h.t.Helper()
	var rec *tasks.Record
	eventually(h.t, within, func() bool {
		rec = h.get(id)
		for _, s := range states {
			if rec.State == s {
				return true
			}
		}
		return false
	}, "payout %s never reached %v", id, states)
	return rec
}

func TestServer(t *testing.T) {
	t.Parallel()

	t.Run("EveryFateRunsFromEnqueueToItsTerminalState", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		h.runServer(h.p, ServerConfig{Concurrency: 4})
		fates := map[string]struct {
			fate  cregis.Status
			state tasks.State
		}{
			"TSucceeds000000000000000000000000": {cregis.StatusSucceeded, tasks.StateSucceeded},
			"TFailsOnChain-fail7-0000000000000": {cregis.StatusFailed, tasks.StateFailed},
			"TReviewRejected-reject4-000000000": {cregis.StatusReviewRejected, tasks.StateFailed},
			"TApprovalCancelled-cancel3-000000": {cregis.StatusApprovalCancelled, tasks.StateFailed},
			"TSignatureRejected-sigreject2-000": {cregis.StatusSignatureRejected, tasks.StateFailed},
		}
		ids := map[string]string{}
		for addr := range fates {
			ids[addr] = h.enqueue(newRequest(addr))
		}
		for addr, want := range fates {
			id := ids[addr]
			rec := h.awaitState(id, 20*time.Second, tasks.StateSucceeded, tasks.StateFailed, tasks.StateRejected)
			if rec.State != want.state || rec.CregisStatus == nil || *rec.CregisStatus != want.fate || h.fake.Creates(id) != 1 {
				t.Errorf("%s: state %s, cregis_status %v, creates %d; want %s, %d, 1", addr, rec.State, rec.CregisStatus, h.fake.Creates(id), want.state, want.fate)
			}
		}
		h.assertCreatedOnce(slices.Collect(maps.Values(ids))...)
	})

	t.Run("AConfigurationStormHoldsTheTaskWithoutConsumingItsRetries", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		h.runServer(h.p, ServerConfig{})
		h.fake.SetErrorStorm("E0004")
		id := h.enqueue(newRequest(goodAddress))
		eventually(t, 10*time.Second, func() bool {
			info, err := h.insp.GetTaskInfo(h.queues.Submit, tasks.SubmitTaskID(id))
			return err == nil && info.State == asynq.TaskStateRetry
		}, "the submit task never went to retry")
		info, _ := h.insp.GetTaskInfo(h.queues.Submit, tasks.SubmitTaskID(id))
		if wait := time.Until(info.NextProcessAt); info.Retried != 0 || wait < 20*time.Second {
			t.Errorf("retried %d, next in %s; want 0 retries used and a slow (30s) retry", info.Retried, wait)
		}
		if rec := h.get(id); rec.State != tasks.StateSubmitting || !strings.Contains(rec.LastError, "E0004") {
			t.Errorf("state %s, last_error %q; want submitting with E0004", rec.State, rec.LastError)
		}
		h.fake.ClearErrorStorm()
		if _, err := h.p.Retry(context.Background(), id); err != nil {
			t.Fatalf("operator retry: %v", err)
		}
		if rec := h.awaitState(id, 20*time.Second, tasks.StateSucceeded); rec.Attempts != 2 {
			t.Errorf("attempts %d, want 2", rec.Attempts)
		}
	})

	t.Run("TheSchedulerSweepsAPayoutThatLostItsTask", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.create(newRequest(goodAddress)).ThirdPartyID // never enqueued
		h.runServer(h.p, ServerConfig{Scheduler: true, SweepInterval: time.Second})
		h.awaitState(id, 20*time.Second, tasks.StateSucceeded)
	})

	t.Run("ASchedulerOnlyServerEnqueuesSweepsButRunsNoTask", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.create(newRequest(goodAddress)).ThirdPartyID // never enqueued
		h.runServer(h.p, ServerConfig{Scheduler: true, DisableHandlers: true, SweepInterval: time.Second})
		eventually(t, 10*time.Second, func() bool {
			info, err := h.insp.GetQueueInfo(h.queues.Maintenance)
			return err == nil && info.Pending > 0
		}, "no sweep task was enqueued in %s", h.queues.Maintenance)
		if servers, err := h.insp.Servers(); err != nil || len(servers) != 0 {
			t.Errorf("asynq servers: got %d (err %v), want none: a scheduler-only process runs no handlers", len(servers), err)
		}
		if rec := h.get(id); rec.State != tasks.StateQueued {
			t.Errorf("state: got %s want queued while no handler runs", rec.State)
		}
		h.runServer(h.p, ServerConfig{}) // a worker picks up the sweep
		h.awaitState(id, 20*time.Second, tasks.StateSucceeded)
	})

	t.Run("CallbacksAndPollsTogetherSettleEachPayoutOnce", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		h.enableCallbacks()
		h.runServer(h.p, ServerConfig{Concurrency: 4})
		var ids []string
		for range 10 {
			ids = append(ids, h.enqueue(newRequest(goodAddress)))
		}
		for _, id := range ids {
			rec := h.awaitState(id, 20*time.Second, tasks.StateSucceeded)
			if n := countTo(rec, tasks.StateSucceeded); n != 1 || h.fake.Creates(id) != 1 {
				t.Errorf("%s: entered succeeded %d times, creates %d; want once each", id, n, h.fake.Creates(id))
			}
		}
		h.assertCreatedOnce(ids...)
	})

	t.Run("TheRateLimitHoldsAcrossTwoWorkers", func(t *testing.T) {
		t.Parallel()
		const rate = 10
		h := newHarness(t, []testOption{func(c *Config) { c.RateLimit = rate }})
		cfg2 := h.cfg
		cfg2.Metrics = metrics.New(prometheus.NewRegistry())
		h.runServer(h.p, ServerConfig{Concurrency: 5})
		h.runServer(h.pipeline(cfg2), ServerConfig{Concurrency: 5})
		var ids []string
		for range 25 {
			ids = append(ids, h.enqueue(newRequest(goodAddress)))
		}
		for _, id := range ids {
			h.awaitState(id, 60*time.Second, tasks.StateSucceeded)
		}
		reqs := h.fake.Requests()
		span := reqs[len(reqs)-1].Time.Sub(reqs[0].Time).Seconds()
		if limit := rate*span + rate + 1; float64(len(reqs)) > limit {
			t.Errorf("%d calls in %.2fs, want at most %.0f at %d/s (burst %d)", len(reqs), span, limit, rate, rate)
		}
		for i := range reqs {
			j := i
			for j < len(reqs) && reqs[j].Time.Sub(reqs[i].Time) < time.Second {
				j++
			}
			if j-i > 2*rate {
				t.Fatalf("%d calls within one second from %s, want at most %d", j-i, reqs[i].Time, 2*rate)
			}
		}
		// Which worker takes which task is up to asynq; each must have taken part.
		for i, m := range []*metrics.Metrics{h.metrics, cfg2.Metrics} {
			if n := counterSum(m.CregisCalls) + metricValue(t, m.RateLimitWaits); n == 0 {
				t.Errorf("worker %d made no call and met no limit: the test did not exercise two workers", i+1)
			}
		}
		if got := counterSum(h.metrics.CregisCalls) + counterSum(cfg2.Metrics.CregisCalls); got != float64(len(reqs)) {
			t.Errorf("the workers counted %v calls, the fake saw %d", got, len(reqs))
		}
	})

	t.Run("AServerOnASharedRedisClientRunsAPayoutAndLeavesTheClientOpen", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		shared := h.redis.Client(t)
		counter := &redistest.Counter{}
		shared.AddHook(counter)
		s, err := NewServer(h.p, ServerConfig{RedisClient: shared, Concurrency: 2, TaskCheckInterval: 10 * time.Millisecond})
		if err != nil {
			t.Fatalf("NewServer with RedisClient and no Redis: %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		<-s.Ready()
		id := h.enqueue(newRequest(goodAddress))
		rec := h.awaitState(id, 20*time.Second, tasks.StateSucceeded, tasks.StateFailed, tasks.StateRejected)
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
		if rec.State != tasks.StateSucceeded || h.fake.Creates(id) != 1 {
			t.Errorf("state %s, creates %d; want succeeded, 1", rec.State, h.fake.Creates(id))
		}
		if trips, _ := counter.Take(); trips == 0 {
			t.Error("the shared client carried no command: the server ran on another connection")
		}
		if err := shared.Ping(context.Background()).Err(); err != nil {
			t.Errorf("the shared client after Run: %v, want it still open", err)
		}
	})

	t.Run("RunStopsWhenItsContextEnds", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		s, err := NewServer(h.p, ServerConfig{Redis: h.redis.AsynqOpt(), Scheduler: true})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		var runErr error
		go func() { defer wg.Done(); runErr = s.Run(ctx) }()
		<-s.Ready()
		if !s.Started() || s.Ping() != nil {
			t.Errorf("started %v, ping %v; want started and reachable", s.Started(), s.Ping())
		}
		cancel()
		wg.Wait()
		if runErr != nil || s.Started() {
			t.Errorf("Run = %v, started %v; want nil and not started", runErr, s.Started())
		}
	})
}

func TestServerConfig(t *testing.T) {
	h := newHarness(t, nil)
	cases := []struct {
		desc string
		cfg  ServerConfig
		want string
	}{
		{"Redis is required", ServerConfig{}, "Redis"},
		{"a shutdown shorter than a Cregis call is refused", ServerConfig{Redis: h.redis.AsynqOpt(), ShutdownTimeout: time.Second}, "ShutdownTimeout"},
		{"a sweep more often than every second is refused", ServerConfig{Redis: h.redis.AsynqOpt(), SweepInterval: time.Millisecond}, "SweepInterval"},
		{"disabling handlers without a scheduler is refused", ServerConfig{Redis: h.redis.AsynqOpt(), DisableHandlers: true}, "DisableHandlers"},
	}
	for _, c := range cases {
		if _, err := NewServer(h.p, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: NewServer = %v, want an error naming %s", c.desc, err, c.want)
		}
	}
	if _, err := NewServer(nil, ServerConfig{}); err == nil {
		t.Error("NewServer(nil) = nil error, want one")
	}
}

func TestNewPipelineNamesTheMissingField(t *testing.T) {
	h := newHarness(t, nil)
	cases := []struct {
		desc   string
		mutate func(*Config)
		want   string
	}{
		{"Redis", func(c *Config) { c.Redis = nil }, "Config.Redis"},
		{"Asynq", func(c *Config) { c.Asynq = nil }, "Config.Asynq"},
		{"Cregis", func(c *Config) { c.Cregis = nil }, "Config.Cregis"},
		{"Store", func(c *Config) { c.Store = nil }, "Config.Store"},
		{"poll bounds", func(c *Config) { c.PollMaxInterval = time.Millisecond }, "PollMinInterval"},
		{"rate", func(c *Config) { c.RateLimit = -1 }, "RateLimit"},
		{"a submit task shorter than a Cregis call", func(c *Config) { c.CregisTimeout, c.SubmitTimeout = time.Minute, 30*time.Second }, "SubmitTimeout"},
	}
	for _, c := range cases {
		cfg := h.cfg
		c.mutate(&cfg)
		if _, err := NewPipeline(cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: NewPipeline = %v, want an error naming %s", c.desc, err, c.want)
		}
	}
	if _, err := NewPipeline(h.cfg); err != nil {
		t.Errorf("a valid config: %v", err)
	}
}

// countTo counts the history entries that entered state.
func countTo(rec *tasks.Record, state tasks.State) int {
	n := 0
	for _, tr := range rec.History {
		if tr.To == state {
			n++
		}
	}
	return n
}

// counterSum adds up every series of a counter vector.
func counterSum(v *prometheus.CounterVec) float64 {
	ch := make(chan prometheus.Metric, 64)
	go func() { v.Collect(ch); close(ch) }()
	var sum float64
	for m := range ch {
		var out dto.Metric
		_ = m.Write(&out)
		sum += out.GetCounter().GetValue()
	}
	return sum
}
