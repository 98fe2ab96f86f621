package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/payoutd/payoutd/tasks"
)

// cancelLeaseTTL bounds the submit lease Cancel holds: long enough for its
// one record update, short so that a Cancel that dies delays no submit much.
const cancelLeaseTTL = 30 * time.Second

// Cancel withdraws a payout that never left: it moves the record to the
// terminal state canceled, and the payout's third_party_id is never sent to
// Cregis again, whatever task still holds it (the submit handler finds a
// terminal record and makes no call).
//
// It succeeds only when payoutd can prove that nothing exists at Cregis: the
// record is queued, or it is submitting and no create attempt so far may have
// been applied (the unsure marker is clear: every attempt was refused with a
// documented configuration error, or never left this process). Cancel takes
// the payout's submit lease, so no create call is in flight while it decides
// and writes. Otherwise it returns an error matching ErrMayExistAtCregis that
// says why. A payout already canceled is returned unchanged; any other
// terminal one returns ErrTerminal.
func (p *Pipeline) Cancel(ctx context.Context, id string) (*tasks.Record, error) {
	rec, err := p.cfg.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := cancelable(rec); err != nil || rec.State == tasks.StateCanceled {
		return rec, err
	}
	l, err := p.acquireLease(ctx, id, cancelLeaseTTL)
	if errors.Is(err, errBusy) {
		return rec, fmt.Errorf("%w: a create call may be in flight right now (another worker holds the submit lease)", ErrMayExistAtCregis)
	}
	if err != nil {
		return rec, err
	}
	out, err := p.cancelUnderLease(ctx, rec, l)
	// Cancel made no call: the marker it set on taking the lease goes back
	// to what it was.
	p.release(ctx, l, !l.unsure)
	return out, err
}

// cancelable says whether rec's state allows a cancel at all (the unsure
// marker is checked under the lease).
func cancelable(rec *tasks.Record) error {
	switch {
	case rec.State == tasks.StateCanceled:
		return nil
	case rec.State.Terminal():
		return ErrTerminal
	case !needsCreate(rec.State):
		return fmt.Errorf("%w: the payout is %s: Cregis has it", ErrMayExistAtCregis, rec.State)
	}
	return nil
}

// cancelUnderLease checks the unsure marker and writes the cancel. The
// record must still be where Cancel saw it: a create attempt that began in
// between (Attempts grew) may have reached Cregis.
func (p *Pipeline) cancelUnderLease(ctx context.Context, seen *tasks.Record, l *lease) (*tasks.Record, error) {
	if l.unsure {
		return seen, fmt.Errorf("%w: an earlier create attempt may have been applied at Cregis (its outcome is unknown); look it up in the Cregis client", ErrMayExistAtCregis)
	}
	out, err := p.update(ctx, seen.ThirdPartyID, "canceled: nothing exists at Cregis", func(r *tasks.Record) error {
		if !needsCreate(r.State) || r.Attempts != seen.Attempts {
			return fmt.Errorf("%w: a create attempt started meanwhile", ErrMayExistAtCregis)
		}
		if cids := r.PendingHints(); len(cids) > 0 {
			return fmt.Errorf("%w: a claim that Cregis has it (cid %s) awaits its query", ErrMayExistAtCregis, cids[0])
		}
		r.State, r.Stuck = tasks.StateCanceled, false
		return nil
	})
	if errors.Is(err, tasks.ErrIllegalTransition) && out != nil {
		return out, cancelable(out) // settled meanwhile
	}
	if err != nil {
		return seen, err
	}
	p.recLog(ctx, out).Info().Msg("payout canceled")
	return out, p.tolerateFollowUp(ctx, out, p.followUp(ctx, out, false))
}
