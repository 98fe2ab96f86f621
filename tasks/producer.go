package tasks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/internal/clock"
)

// ProducerConfig configures a Producer.
type ProducerConfig struct {
	Store    *Store        // required
	Client   *asynq.Client // required
	Decimals Decimals      // required; see CoinCache and BuiltinDecimals
	Queues   Queues        // default NewQueues("")
	// SubmitTimeout is the submit task's timeout. Default 60s.
	SubmitTimeout time.Duration
	// EnqueueErrorFunc, when set, is called when the submit task of a
	// written record could not be enqueued even after brief retries: the
	// sweeper enqueues it later. Default: ignore.
	EnqueueErrorFunc func(id string, err error)
}

// enqueueRetries are the waits before the retries of a failed submit enqueue
// (a Redis blip): brief, since a request is waiting, and the sweeper takes
// over after them.
var enqueueRetries = []time.Duration{50 * time.Millisecond, 150 * time.Millisecond, 300 * time.Millisecond}

// Producer is the producer API: a Go backend enqueues payouts through it, and
// the HTTP intake is a thin layer over it.
type Producer struct {
	cfg ProducerConfig
}

// NewProducer returns a Producer. It panics if Store, Client or Decimals is
// nil: that is a programming error best found at startup.
func NewProducer(cfg ProducerConfig) *Producer {
	switch {
	case cfg.Store == nil:
		panic("tasks: NewProducer: ProducerConfig.Store is required")
	case cfg.Client == nil:
		panic("tasks: NewProducer: ProducerConfig.Client is required")
	case cfg.Decimals == nil:
		panic("tasks: NewProducer: ProducerConfig.Decimals is required")
	}
	if cfg.Queues == (Queues{}) {
		cfg.Queues = NewQueues("")
	}
	if cfg.SubmitTimeout <= 0 {
		cfg.SubmitTimeout = 60 * time.Second
	}
	return &Producer{cfg: cfg}
}

// Enqueue writes req's record if absent and enqueues its submit task. The
// same request again returns the existing record with created false, even if
// it would not validate today (the coin list changed): the idempotency
// lookup comes first. The same id with different content returns ErrConflict
// with the existing record, whatever validation would say. A new request is
// validated first: an invalid one returns its *ValidationError and writes
// nothing.
//
// Once the record is written the payout is accepted: a failed enqueue is
// retried briefly, then left to the sweeper (see EnqueueErrorFunc), and is
// not an error. The same request again re-enqueues the submit task only
// while the record is still queued (the TaskID makes that harmless).
//
// With StoreConfig.MinReplicas above 0, an error wrapping ErrNotDurable
// (with the record) means it is written but not confirmed by the replicas:
// the caller must not acknowledge it yet, and the same request again
// confirms it.
//
// The answers are those of a lookup made first, in fewer round trips: a
// valid request goes straight to Store.Create, which answers a replay or a
// conflict itself, and the record is looked up only when validation fails.
func (p *Producer) Enqueue(ctx context.Context, req Request) (rec *Record, created bool, err error) {
	if verr := req.Validate(ctx, p.cfg.Decimals); verr != nil {
		rec, err = p.replay(ctx, req, verr)
	} else {
		rec, created, err = p.cfg.Store.Create(ctx, req)
	}
	if rec == nil || errors.Is(err, ErrConflict) || rec.State != StateQueued {
		return rec, created, err
	}
	p.enqueueSubmit(ctx, rec.ThirdPartyID)
	return rec, created, err
}

// replay answers a request that did not validate (verr) as a lookup before
// validation would: the record of the same request (made durable first, see
// Store.Sync), or ErrConflict with the record of another one; verr when
// there is none.
func (p *Producer) replay(ctx context.Context, req Request, verr error) (*Record, error) {
	cur, err := p.cfg.Store.Get(ctx, req.ThirdPartyID)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, verr
	case err != nil:
		return nil, err
	case !sameRequest(cur.Request, req):
		return cur, ErrConflict
	}
	return cur, p.cfg.Store.Sync(ctx, req.ThirdPartyID)
}

// enqueueSubmit enqueues the submit task of id, retrying briefly; one
// already enqueued is fine. A failure is reported, not returned: the record
// is written and the sweeper enqueues its task.
func (p *Producer) enqueueSubmit(ctx context.Context, id string) {
	task, err := NewSubmitTask(p.cfg.Queues, id, p.cfg.SubmitTimeout)
	for i := 0; err == nil; i++ {
		_, err = p.cfg.Client.EnqueueContext(ctx, task)
		if err == nil || errors.Is(err, asynq.ErrTaskIDConflict) {
			return
		}
		if i == len(enqueueRetries) || clock.Sleep(ctx, enqueueRetries[i]) != nil {
			break
		}
	}
	if p.cfg.EnqueueErrorFunc != nil {
		p.cfg.EnqueueErrorFunc(id, fmt.Errorf("tasks: enqueue submit of %s (the record is written; the sweeper will enqueue it): %w", id, err))
	}
}
