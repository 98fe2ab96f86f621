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
	return p.updateWith(ctx, p.cfg.Store.Update, id, reason, fn)
}

// updateDurable is update through Store.UpdateDurable: it returns once the
// replicas confirmed the record (or an error wrapping tasks.ErrNotDurable).
func (p *Pipeline) updateDurable(ctx context.Context, id, reason string, fn func(r *tasks.Record) error) (*tasks.Record, error) {
	return p.updateWith(ctx, p.cfg.Store.UpdateDurable, id, reason, fn)
}

// storeUpdate is the signature of Store.Update and Store.UpdateDurable.
type storeUpdate func(ctx context.Context, id, reason string, fn func(r *tasks.Record) error) (*tasks.Record, error)

func (p *Pipeline) updateWith(ctx context.Context, write storeUpdate, id, reason string, fn func(r *tasks.Record) error) (*tasks.Record, error) {
	var from tasks.State
	rec, err := write(ctx, id, reason, func(r *tasks.Record) error {
		from = r.State
		return fn(r)
	})
	if (err == nil || errors.Is(err, tasks.ErrNotDurable)) && rec != nil && from != "" && rec.State != from {
		p.transitioned(ctx, from, rec, reason)
	}
	return rec, err
}

func (p *Pipeline) transitioned(ctx context.Context, from tasks.State, rec *tasks.Record, reason string) {
	p.countTransition(from, rec.State)
	p.recLog(ctx, rec).Info().Str("from", string(from)).Str("reason", reason).Msg("payout state changed")
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
