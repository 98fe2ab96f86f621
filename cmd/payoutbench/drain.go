package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/payoutd/payoutd/cregis/cregistest"
	"github.com/payoutd/payoutd/internal/metrics"
	"github.com/payoutd/payoutd/tasks"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// firstPollDelay is the first poll's delay of payoutd and the floor alike:
// the smallest both allow, since asynq schedules in whole seconds.
const firstPollDelay = time.Second

// drainPayoutd enqueues n payouts through Producer.Enqueue, then starts
// payoutd's worker and times it until every record is terminal. Redis calls
// are counted from the first enqueue to the last terminal write.
func (b *bench) drainPayoutd(ctx context.Context, n int) (rateResult, error) {
	fake, st, err := b.freshStack(stackConfig{pollMin: firstPollDelay})
	if err != nil {
		return rateResult{}, err
	}
	defer fake.Close()
	defer st.close()
	reqs := newRequests("drain", n)
	st.calls.take()
	if err := st.enqueueAll(ctx, reqs, intakeWorkers); err != nil {
		return rateResult{}, err
	}
	res, err := b.timeDrain(ctx, st, n)
	if err != nil {
		return res, err
	}
	return res, checkDrained(ctx, st, fake, ids(reqs))
}

// freshStack flushes Redis and builds payoutd over a new fake.
func (b *bench) freshStack(cfg stackConfig) (*cregistest.Server, *stack, error) {
	fake, err := b.freshFake()
	if err != nil {
		return nil, nil, err
	}
	cfg.fake = fake
	st, err := b.newStack(cfg)
	if err != nil {
		fake.Close()
		return nil, nil, err
	}
	return fake, st, nil
}

// freshFake flushes Redis and starts a new fake.
func (b *bench) freshFake() (*cregistest.Server, error) {
	if err := b.redis.flush(context.Background()); err != nil {
		return nil, err
	}
	return startFake()
}

// timeDrain runs the worker until n records are terminal, profiling it
// when asked.
func (b *bench) timeDrain(ctx context.Context, st *stack, n int) (rateResult, error) {
	srv, err := st.server(b.opt.concurrency)
	if err != nil {
		return rateResult{}, err
	}
	stopProfile, err := b.startProfile()
	if err != nil {
		return rateResult{}, err
	}
	cpu, began := b.cpuNow(ctx), time.Now()
	run, err := start(ctx, srv)
	if err != nil {
		stopProfile()
		return rateResult{}, err
	}
	err = awaitCount(ctx, int64(n), func() (int64, error) { return terminalCount(st.metrics), nil })
	res := rateResult{m: n, took: time.Since(began), calls: st.calls.take(), cpu: b.cpuNow(ctx).sub(cpu)}
	stopProfile()
	if serr := run.stop(); err == nil {
		err = serr
	}
	if err != nil {
		return res, fmt.Errorf("payoutd drain: %w", err)
	}
	return res, nil
}

// startProfile starts the CPU profile of -cpuprofile, if set and not yet
// taken, and returns its stop.
func (b *bench) startProfile() (func(), error) {
	if b.opt.cpuProfile == "" || b.profiled {
		return func() {}, nil
	}
	b.profiled = true
	f, err := os.Create(b.opt.cpuProfile)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// terminalCount is the number of transitions into a terminal state the
// pipeline has counted.
func terminalCount(m *metrics.Metrics) int64 {
	return transitionsWhere(m, tasks.State.Terminal)
}

// transitionsTo sums payoutd_state_transitions_total{to=st}.
func transitionsTo(m *metrics.Metrics, st tasks.State) int64 {
	return transitionsWhere(m, func(to tasks.State) bool { return to == st })
}

// transitionsWhere sums payoutd_state_transitions_total over the "to" states
// keep accepts, in one pass over the series: the drain's wait calls it every
// few milliseconds, and it must cost payoutd as little CPU as the floor's
// wait costs the floor.
func transitionsWhere(m *metrics.Metrics, keep func(tasks.State) bool) int64 {
	ch := make(chan prometheus.Metric, 64)
	go func() { m.Transitions.Collect(ch); close(ch) }()
	var n float64
	var out dto.Metric
	for pm := range ch {
		out.Reset()
		if pm.Write(&out) != nil {
			continue
		}
		for _, l := range out.GetLabel() {
			if l.GetName() == "to" && keep(tasks.State(l.GetValue())) {
				n += out.GetCounter().GetValue()
			}
		}
	}
	return int64(n)
}

// checkDrained checks that every record succeeded with the cid of the one
// payout the fake holds for it, and that the fake holds nothing else: a
// second create under any id is a broken run.
func checkDrained(ctx context.Context, st *stack, fake *cregistest.Server, ids []string) error {
	held := map[string]int64{}
	for _, p := range fake.Payouts() {
		if _, dup := held[p.ThirdPartyID]; dup {
			return fmt.Errorf("the fake holds %s twice", p.ThirdPartyID)
		}
		held[p.ThirdPartyID] = p.CID
	}
	if len(held) != len(ids) {
		return fmt.Errorf("the fake holds %d payouts, want exactly %d", len(held), len(ids))
	}
	return parallel(ctx, intakeWorkers, len(ids), func(i int) error {
		rec, err := st.store.Get(ctx, ids[i])
		switch {
		case err != nil:
			return err
		case rec.State != tasks.StateSucceeded || rec.CID != fmt.Sprint(held[ids[i]]) || fake.Creates(ids[i]) != 1:
			return fmt.Errorf("payout %s: state %s, cid %s, %d creates; want succeeded, the fake's cid %d, 1 create",
				ids[i], rec.State, rec.CID, fake.Creates(ids[i]), held[ids[i]])
		}
		return nil
	})
}
