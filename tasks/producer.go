package tasks

import (
	"context"
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

// NewProducer returns a Producer.
func NewProducer(cfg ProducerConfig) *Producer { panic("unimplemented") }

// Enqueue validates req, writes its record if absent, and enqueues its submit
// task. It is idempotent: the same request again returns the existing record
// with created false; the same id with different content returns ErrConflict.
// If the enqueue fails after the record was written, Enqueue returns the error
// and the sweeper later finds the record.
func (p *Producer) Enqueue(ctx context.Context, req Request) (rec *Record, created bool, err error) {
	panic("unimplemented")
}
