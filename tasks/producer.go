package tasks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// ProducerConfig configures a Producer.
type ProducerConfig struct {
	Store    *Store        // required
	Client   *asynq.Client // required
	Decimals Decimals      // required; see CoinCache and BuiltinDecimals
	Queues   Queues        // default NewQueues("")
	// SubmitTimeout is the submit task's timeout. Default 60s.
	SubmitTimeout time.Duration
}

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

// Enqueue validates req, writes its record if absent, and enqueues its submit
// task. It is idempotent: the same request again returns the existing record
// with created false; the same id with different content returns ErrConflict.
// If the enqueue fails after the record was written, Enqueue returns the error
// and the sweeper later finds the record.
//
// An invalid request returns its *ValidationError and writes nothing. The
// same request again re-enqueues the submit task only while the record is
// still queued (the TaskID makes that harmless if the task exists). With
// ErrConflict, the existing record is returned too.
func (p *Producer) Enqueue(ctx context.Context, req Request) (rec *Record, created bool, err error) {
	if err := req.Validate(ctx, p.cfg.Decimals); err != nil {
		return nil, false, err
	}
	rec, created, err = p.cfg.Store.Create(ctx, req)
	if err != nil || !created && rec.State != StateQueued {
		return rec, created, err
	}
	return rec, created, p.enqueueSubmit(ctx, rec.ThirdPartyID)
}

// enqueueSubmit enqueues the submit task of id; one already enqueued is fine.
func (p *Producer) enqueueSubmit(ctx context.Context, id string) error {
	task, err := NewSubmitTask(p.cfg.Queues, id, p.cfg.SubmitTimeout)
	if err != nil {
		return err
	}
	_, err = p.cfg.Client.EnqueueContext(ctx, task)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("tasks: enqueue submit of %s (the record is written; the sweeper will enqueue it): %w", id, err)
	}
	return nil
}
