package worker

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
)

// ApplyCallback moves the record a verified Cregis callback names through the
// same transitions as a poll would. It returns nil only once the outcome is
// durably recorded (or was already), so the caller may then acknowledge.
// With tasks.StoreConfig.MinReplicas set, "durably" means confirmed by the
// Redis replicas: an outcome written but not confirmed returns an error
// wrapping tasks.ErrNotDurable, and a replay confirms it.
// Errors: tasks.ErrNotFound for an unknown payout; ErrOutcomeConflict when the
// record is terminal with a different outcome; ErrCIDMismatch when the record
// already has another cid.
//
// A callback settles an unconfirmed or submitting payout: its cid is the one
// the create call never told us. A callback with a non-terminal status moves
// such a payout to submitted and starts its polls. A callback for a payout
// still queued (never sent by us) is refused with tasks.ErrIllegalTransition.
// The outcome is recorded before the follow-up task (first poll, notify) is
// enqueued; a failed enqueue is logged, not returned, and repaired by the
// sweeper, the payout's next task or a replay of the callback.
func (p *Pipeline) ApplyCallback(ctx context.Context, cb *cregis.Callback) (*tasks.Record, error) {
	rec, err := p.applyCallback(ctx, cb)
	p.countCallback(callbackResult(err))
	if err != nil && !errors.Is(err, tasks.ErrNotFound) {
		p.log.Error().Err(err).Str("third_party_id", cb.ThirdPartyID).Int64("cid", cb.CID).
			Int("cregis_status", int(cb.Status)).Msg("callback not applied")
	}
	return rec, err
}

func (p *Pipeline) applyCallback(ctx context.Context, cb *cregis.Callback) (*tasks.Record, error) {
	if cb.CID <= 0 {
		return nil, fmt.Errorf("%w: callback without a cid", ErrCIDMismatch)
	}
	ev := statusEvent{source: "callback", cid: strconv.FormatInt(cb.CID, 10), status: cb.Status,
		txid: cb.TxID, blockHeight: cb.BlockHeight, blockTime: cb.BlockTime}
	rec, err := p.applyEvent(ctx, cb.ThirdPartyID, ev, nil)
	if err = p.tolerateFollowUp(ctx, rec, err); err != nil {
		return rec, err
	}
	return rec, p.cfg.Store.Sync(ctx, cb.ThirdPartyID) // a replay, a hint: confirmed before acknowledged
}

// tolerateFollowUp keeps an error of the follow-up task (the first poll, the
// notify task) from failing an outcome that is already recorded: the record
// was written, so the caller may acknowledge; the sweeper re-drives a
// submitted record without a poll, and the record's next task ensures the
// notify task.
func (p *Pipeline) tolerateFollowUp(ctx context.Context, rec *tasks.Record, err error) error {
	if err == nil || rec == nil || !errors.Is(err, errFollowUp) {
		return err
	}
	p.recLog(ctx, rec).Error().Err(err).Msg("outcome recorded, but its follow-up task could not be enqueued")
	return nil
}

func callbackResult(err error) string {
	switch {
	case err == nil:
		return "applied"
	case errors.Is(err, tasks.ErrNotFound):
		return "unknown_payout"
	case errors.Is(err, ErrOutcomeConflict):
		return "conflict"
	case errors.Is(err, ErrCIDMismatch):
		return "cid_mismatch"
	case errors.Is(err, tasks.ErrNotDurable):
		return "not_durable"
	}
	return "error"
}
