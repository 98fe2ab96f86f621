package worker

import (
	"context"
	"errors"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/tasks"
	"github.com/rs/zerolog"
)

// update is Store.Update that also reports a state change: one info line
// and the transitions counter. Callers that make a record terminal ensure
// its notify task themselves (ensureNotify), so that they can retry it.
func (p *Pipeline) update(ctx context.Context, id, reason string, fn func(r *tasks.Record) error) (*tasks.Record, error) {
	rec, _, err := p.updateWith(ctx, id, reason, tasks.UpdateOptions{}, fn)
	return rec, err
}

// updateWith is update through Store.UpdateWith.
func (p *Pipeline) updateWith(ctx context.Context, id, reason string, opt tasks.UpdateOptions, fn func(r *tasks.Record) error) (*tasks.Record, tasks.UpdateResult, error) {
	var from tasks.State
	rec, res, err := p.cfg.Store.UpdateWith(ctx, id, reason, opt, func(r *tasks.Record) error {
		from = r.State
		return fn(r)
	})
	if (err == nil || errors.Is(err, tasks.ErrNotDurable)) && rec != nil && from != "" && rec.State != from {
		p.transitioned(ctx, from, rec, reason)
	}
	return rec, res, err
}

func (p *Pipeline) transitioned(ctx context.Context, from tasks.State, rec *tasks.Record, reason string) {
	p.countTransition(from, rec.State)
	recFields(ctx, p.log.Info(), rec).Str("from", string(from)).Str("reason", reason).Msg("payout state changed")
}

// recFields adds the fields of recLog to one event: the hot path's way, which
// builds no logger.
func recFields(ctx context.Context, e *zerolog.Event, rec *tasks.Record) *zerolog.Event {
	e = e.Str("third_party_id", rec.ThirdPartyID).Str("state", string(rec.State)).Int("attempt", rec.Attempts)
	if rec.CID != "" {
		e = e.Str("cid", rec.CID)
	}
	if id, ok := asynq.GetTaskID(ctx); ok {
		e = e.Str("task_id", id)
	}
	return e
}

// recLog is the logger for one record, with the structured fields every
// payout line carries.
func (p *Pipeline) recLog(ctx context.Context, rec *tasks.Record) *zerolog.Logger {
	c := p.log.With().Str("third_party_id", rec.ThirdPartyID).Str("state", string(rec.State)).
		Int("attempt", rec.Attempts)
	if rec.CID != "" {
		c = c.Str("cid", rec.CID)
	}
	if id, ok := asynq.GetTaskID(ctx); ok {
		c = c.Str("task_id", id)
	}
	l := c.Logger()
	return &l
}
