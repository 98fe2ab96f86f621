package worker

import (
	"context"
	"fmt"
	"time"

	"github.com/payoutd/payoutd/tasks"
)

// recordHint records a claim from outside on payout id and asks for its
// confirmation. The hint goes into the record (with a history entry naming
// its source, cid and claimed status) in one compare-and-set; only then is
// the confirm task enqueued, due after delay. It returns the record once
// the hint is stored, so a caller may acknowledge the push: a confirm task
// that could not be enqueued is logged and left to the sweeper, which
// re-drives every pending hint.
//
// A hint that adds nothing (the same claim again) writes nothing but still
// ensures its confirm task. Refused, with nothing written: a queued payout
// (payoutd never sent it: tasks.ErrIllegalTransition), a record that holds
// another cid, or a cid a query has already shown not to be this payout
// (ErrCIDMismatch). A terminal record returns a *tasks.TransitionError with
// the record, for the caller to compare.
func (p *Pipeline) recordHint(ctx context.Context, id string, h tasks.Hint, delay time.Duration) (*tasks.Record, error) {
	rec, err := p.cfg.Store.Amend(ctx, id, hintReason(h), func(r *tasks.Record) error {
		if err := hintRefused(r, h); err != nil {
			return err
		}
		r.AddHint(h)
		return nil
	})
	if err != nil {
		return rec, err
	}
	p.countHint(h.Source, "recorded")
	if err := p.enqueueConfirm(ctx, id, h.CID, delay); err != nil {
		p.recLog(ctx, rec).Warn().Err(err).Str("hint_cid", h.CID).
			Msg("hint recorded, but its confirm task could not be enqueued; the sweeper will")
	}
	return rec, nil
}

// hintRefused says why a hint may not even be recorded on r.
func hintRefused(r *tasks.Record, h tasks.Hint) error {
	switch {
	case r.State == tasks.StateQueued:
		return fmt.Errorf("%w: payout %s was never sent to Cregis", tasks.ErrIllegalTransition, r.ThirdPartyID)
	case r.CID != "" && r.CID != h.CID:
		return fmt.Errorf("%w: recorded cid %s, the %s names cid %s", ErrCIDMismatch, r.CID, h.Source, h.CID)
	case r.Contradicted(h.CID):
		return fmt.Errorf("%w: a status query showed cid %s is not payout %s", ErrCIDMismatch, h.CID, r.ThirdPartyID)
	}
	return nil
}

// hintReason is the history entry of a recorded hint.
func hintReason(h tasks.Hint) string {
	if h.Status != nil {
		return fmt.Sprintf("%s claims cid %s has Cregis status %d (%s); to be confirmed by a query", h.Source, h.CID, int(*h.Status), *h.Status)
	}
	return fmt.Sprintf("%s names cid %s; to be confirmed by a query", h.Source, h.CID)
}

// enqueueConfirm enqueues the confirm task of the hint about cid; one
// already there is fine.
func (p *Pipeline) enqueueConfirm(ctx context.Context, id, cid string, delay time.Duration) error {
	t, err := tasks.NewConfirmTask(p.cfg.Queues, id, cid, delay, p.pollTimeout())
	if err != nil {
		return err
	}
	return p.enqueue(ctx, t)
}

// ensureConfirms makes sure every pending hint of rec has its confirm task
// (the sweeper's repair of a failed enqueue).
func (p *Pipeline) ensureConfirms(ctx context.Context, rec *tasks.Record) error {
	for _, cid := range rec.PendingHints() {
		if err := p.enqueueConfirm(ctx, rec.ThirdPartyID, cid, 0); err != nil {
			return err
		}
	}
	return nil
}
