package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
	"github.com/payoutd/payoutd/tasks"
)

// The floor worker's task types.
const (
	floorSubmit = "floor:submit"
	floorPoll   = "floor:poll"
)

// floorPayload is a floor task's payload: the payout itself (the floor
// records nothing, so its tasks carry what it needs) and, on a poll, the
// cid and the poll's sequence.
type floorPayload struct {
	Request tasks.Request `json:"request"`
	CID     int64         `json:"cid,omitempty"`
	Seq     int           `json:"seq,omitempty"`
}

// floor is the least any asynq-based payout worker must do per payout: two
// tasks (submit, poll) and two signed Cregis calls, nothing recorded. Its
// errors are counted, not retried into a second create: any is a broken run.
type floor struct {
	cregis  *cregis.Client
	asynq   *asynq.Client
	queues  tasks.Queues
	settled atomic.Int64 // payouts whose poll found them terminal
	failed  atomic.Int64 // payouts that ended other than succeeded
	errs    atomic.Int64
	lastErr atomic.Value
}

// mux returns the floor's two handlers.
func (f *floor) mux() *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.HandleFunc(floorSubmit, f.handleSubmit)
	mux.HandleFunc(floorPoll, f.handlePoll)
	return mux
}

// handleSubmit creates the payout and enqueues its first poll.
func (f *floor) handleSubmit(ctx context.Context, t *asynq.Task) error {
	var pl floorPayload
	if err := json.Unmarshal(t.Payload(), &pl); err != nil {
		return f.fail(err)
	}
	r := pl.Request
	cid, err := f.cregis.Payout(ctx, cregis.PayoutRequest{Currency: r.Currency, ToAddress: r.ToAddress,
		Amount: r.Amount, ThirdPartyID: r.ThirdPartyID, Remark: r.Remark})
	if err != nil {
		return f.fail(err)
	}
	return f.fail(f.enqueuePoll(ctx, floorPayload{Request: r, CID: cid, Seq: 1}))
}

// handlePoll queries the payout and polls again until it is terminal.
func (f *floor) handlePoll(ctx context.Context, t *asynq.Task) error {
	var pl floorPayload
	if err := json.Unmarshal(t.Payload(), &pl); err != nil {
		return f.fail(err)
	}
	info, err := f.cregis.SubAddressWithdrawalInfo(ctx, pl.CID)
	switch {
	case err != nil:
		return f.fail(err)
	case !info.Status.Terminal():
		pl.Seq++
		return f.fail(f.enqueuePoll(ctx, pl))
	case info.Status != cregis.StatusSucceeded:
		f.failed.Add(1)
	}
	f.settled.Add(1)
	return nil
}

func (f *floor) enqueuePoll(ctx context.Context, pl floorPayload) error {
	b, err := json.Marshal(pl)
	if err != nil {
		return err
	}
	id := "poll:" + pl.Request.ThirdPartyID + ":" + strconv.Itoa(pl.Seq)
	_, err = f.asynq.EnqueueContext(ctx, asynq.NewTask(floorPoll, b), asynq.Queue(f.queues.Poll),
		asynq.TaskID(id), asynq.ProcessIn(firstPollDelay), asynq.Retention(0))
	return err
}

// fail counts err and tells asynq not to retry: a retried submit would be a
// second create.
func (f *floor) fail(err error) error {
	if err == nil {
		return nil
	}
	f.errs.Add(1)
	f.lastErr.Store(err.Error())
	return fmt.Errorf("%w: %v", asynq.SkipRetry, err)
}

// drainFloor enqueues n floor submit tasks, then starts a bare asynq server
// with the floor's handlers (payoutd's concurrency, queues and check
// interval) and times it until every payout is settled.
func (b *bench) drainFloor(ctx context.Context, n int) (rateResult, error) {
	fake, err := b.freshFake()
	if err != nil {
		return rateResult{}, err
	}
	defer fake.Close()
	cc, err := cregis.New(fake.ClientConfig())
	if err != nil {
		return rateResult{}, err
	}
	counter := &callCounter{}
	rdb := b.redis.client(counter)
	defer rdb.Close()
	f := &floor{cregis: cc, asynq: asynq.NewClientFromRedisClient(rdb), queues: tasks.NewQueues("")}
	reqs := newRequests("floor", n)
	if err := f.enqueueSubmits(ctx, reqs); err != nil {
		return rateResult{}, err
	}
	srv := asynq.NewServerFromRedisClient(rdb, f.config(b.opt.concurrency))
	cpu, began := b.cpuNow(ctx), time.Now()
	if err := srv.Start(f.mux()); err != nil {
		return rateResult{}, err
	}
	err = awaitCount(ctx, int64(n), func() (int64, error) { return f.settled.Load(), f.check() })
	res := rateResult{m: n, took: time.Since(began), calls: counter.take(), cpu: b.cpuNow(ctx).sub(cpu)}
	srv.Shutdown()
	if err == nil {
		err = f.check()
	}
	if err == nil {
		err = checkFloorCreates(fake.Payouts(), reqs, fake.Creates)
	}
	if err != nil {
		return res, fmt.Errorf("floor drain: %w", err)
	}
	return res, nil
}

// enqueueSubmits enqueues the submit tasks with bare asynq, each with a
// TaskID as payoutd's.
func (f *floor) enqueueSubmits(ctx context.Context, reqs []tasks.Request) error {
	return parallel(ctx, intakeWorkers, len(reqs), func(i int) error {
		b, err := json.Marshal(floorPayload{Request: reqs[i]})
		if err != nil {
			return err
		}
		_, err = f.asynq.EnqueueContext(ctx, asynq.NewTask(floorSubmit, b), asynq.Queue(f.queues.Submit),
			asynq.TaskID(tasks.SubmitTaskID(reqs[i].ThirdPartyID)), asynq.Retention(0))
		return err
	})
}

// config is the floor server's configuration: payoutd's where it matters.
func (f *floor) config(concurrency int) asynq.Config {
	return asynq.Config{
		Concurrency: concurrency, Queues: f.queues.Priorities(),
		TaskCheckInterval: taskCheckInterval, DelayedTaskCheckInterval: taskCheckInterval,
		Logger: quietLogger{}, LogLevel: asynq.WarnLevel,
	}
}

// check reports the floor's first error, or a payout that did not succeed.
func (f *floor) check() error {
	if f.errs.Load() > 0 {
		return fmt.Errorf("%d task errors, the last: %v", f.errs.Load(), f.lastErr.Load())
	}
	if n := f.failed.Load(); n > 0 {
		return fmt.Errorf("%d payouts did not succeed", n)
	}
	return nil
}

// checkFloorCreates checks that the fake holds exactly one payout for each
// of reqs and nothing else, each created by one call.
func checkFloorCreates(held []cregistest.Payout, reqs []tasks.Request, creates func(id string) int) error {
	seen := make(map[string]bool, len(held))
	for _, p := range held {
		if seen[p.ThirdPartyID] {
			return fmt.Errorf("the fake holds %s twice", p.ThirdPartyID)
		}
		seen[p.ThirdPartyID] = true
	}
	if len(seen) != len(reqs) {
		return fmt.Errorf("the fake holds %d payouts, want exactly %d", len(seen), len(reqs))
	}
	for _, r := range reqs {
		if !seen[r.ThirdPartyID] || creates(r.ThirdPartyID) != 1 {
			return fmt.Errorf("payout %s: held %v, %d creates; want held, 1 create", r.ThirdPartyID, seen[r.ThirdPartyID], creates(r.ThirdPartyID))
		}
	}
	return nil
}
