package worker

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
)

// ApplyCallback records a verified Cregis callback as a claim and asks
// Cregis to confirm it. The API key that signs callbacks can leak, so a
// callback never changes a record's state, cid or chain fields itself: its
// cid and status are recorded as a hint (in the record and its history),
// and a confirm task queries that cid at once; only the query's answer
// settles the payout (see HandleConfirm). It returns nil once the hint is
// durably recorded, so the caller may acknowledge: with
// tasks.StoreConfig.MinReplicas set, confirmed by the Redis replicas (else an
// error wrapping tasks.ErrNotDurable; a replay confirms it).
//
// A callback about a settled payout changes nothing: one that agrees with
// the record (its cid, its outcome) is acknowledged and re-ensures the
// notify task; one that contradicts it is ErrOutcomeConflict or
// ErrCIDMismatch. One naming a rejected or canceled payout is queried: if
// Cregis confirms it, the payout exists at Cregis after all (an anomaly).
//
// Errors: tasks.ErrNotFound for an unknown payout; tasks.ErrIllegalTransition
// for a payout still queued (never sent); ErrCIDMismatch when the record
// holds another cid or a query already showed this cid is not the payout's.
func (p *Pipeline) ApplyCallback(ctx context.Context, cb *cregis.Callback) (*tasks.Record, error) {
	rec, err := p.applyCallback(ctx, cb)
	p.countCallback(callbackResult(err))
	if err != nil && !errors.Is(err, tasks.ErrNotFound) {
		p.log.Error().Err(err).Str("third_party_id", cb.ThirdPartyID).Int64("cid", cb.CID).
			Int("cregis_status", int(cb.Status)).Msg("callback not recorded")
	}
	return rec, err
}

func (p *Pipeline) applyCallback(ctx context.Context, cb *cregis.Callback) (*tasks.Record, error) {
	if cb.CID <= 0 {
		return nil, fmt.Errorf("%w: callback without a cid", ErrCIDMismatch)
	}
	st := cb.Status
	h := tasks.Hint{CID: strconv.FormatInt(cb.CID, 10), Source: tasks.HintCallback, Status: &st, At: p.now().UTC()}
	rec, err := p.recordHint(ctx, cb.ThirdPartyID, h, 0)
	if rec != nil && rec.State.Terminal() && errors.Is(err, tasks.ErrIllegalTransition) {
		err = p.callbackOnTerminal(ctx, rec, h)
	}
	if err != nil {
		return rec, err
	}
	return rec, p.cfg.Store.Sync(ctx, cb.ThirdPartyID) // the hint (or a replay): confirmed before acknowledged
}

// callbackOnTerminal judges a callback about a settled payout.
func (p *Pipeline) callbackOnTerminal(ctx context.Context, rec *tasks.Record, h tasks.Hint) error {
	ev := statusEvent{source: "callback", cid: h.CID, status: *h.Status}
	if err := compareTerminal(rec, ev); err != nil {
		if rec.State.NeverCreated() {
			p.askAboutRejected(ctx, rec, h.CID)
		}
		return err
	}
	// No news, but this may be a replay after a run that made the record
	// terminal died before its follow-up.
	return p.tolerateFollowUp(ctx, rec, p.followUp(ctx, rec, false))
}

// askAboutRejected enqueues a query of a cid a callback names for a payout
// recorded as rejected or canceled (see checkRejected), best-effort.
func (p *Pipeline) askAboutRejected(ctx context.Context, rec *tasks.Record, cid string) {
	if err := p.enqueueConfirm(ctx, rec.ThirdPartyID, cid, 0); err != nil {
		p.recLog(ctx, rec).Warn().Err(err).Str("hint_cid", cid).Msg("could not ask Cregis about a rejected payout's callback")
	}
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

// Results of payoutd_callbacks_total that the pipeline counts: a callback
// recorded as a hint, one refused here, and (from HandleConfirm) its
// hint confirmed or contradicted by Cregis's answer.
const (
	callbackRecorded     = "recorded"
	callbackUnknown      = "unknown_payout"
	callbackConflict     = "conflict"
	callbackCIDMismatch  = "cid_mismatch"
	callbackNotSent      = "not_sent"
	callbackNotDurable   = "not_durable"
	callbackError        = "error"
	callbackConfirmed    = "confirmed"
	callbackContradicted = "contradicted"
)

func callbackResult(err error) string {
	switch {
	case err == nil:
		return callbackRecorded
	case errors.Is(err, tasks.ErrNotFound):
		return callbackUnknown
	case errors.Is(err, ErrOutcomeConflict):
		return callbackConflict
	case errors.Is(err, ErrCIDMismatch):
		return callbackCIDMismatch
	case errors.Is(err, tasks.ErrIllegalTransition):
		return callbackNotSent
	case errors.Is(err, tasks.ErrNotDurable):
		return callbackNotDurable
	}
	return callbackError
}
