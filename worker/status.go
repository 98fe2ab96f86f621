package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
)

// statusEvent is news of a payout's status at Cregis, from a poll, a
// callback or an operator's resolve. Polls and callbacks go through the same
// transitions; whichever comes first wins and the other is a no-op.
type statusEvent struct {
	source      string // "poll", "callback", "operator resolve"
	cid         string
	status      cregis.Status
	txid        string
	blockHeight string
	blockTime   int64
}

func infoEvent(cid string, info *cregis.PayoutInfo) statusEvent {
	return statusEvent{source: "poll", cid: cid, status: info.Status, txid: info.TxID,
		blockHeight: info.BlockHeight, blockTime: info.BlockTime}
}

func (e statusEvent) reason() string {
	return fmt.Sprintf("%s: Cregis status %d (%s)", e.source, int(e.status), e.status)
}

// errFollowUp wraps the failure to enqueue the task that follows a recorded
// change (the first poll, the notify task): the change itself was written.
var errFollowUp = errors.New("recorded, but the follow-up task was not enqueued")

// applyEvent moves record id by ev (and extra, applied after) in one atomic
// update, starting from seen (the record as last read) when not nil. A terminal record is compared instead: the same outcome changes
// nothing, another is ErrOutcomeConflict. A record that enters submitted gets
// its first poll; a terminal one gets its notify task, also when the event
// changed nothing (an idempotent enqueue), so that a replay repairs a run
// that died before it.
func (p *Pipeline) applyEvent(ctx context.Context, id string, seen *tasks.Record, ev statusEvent, extra func(r *tasks.Record)) (*tasks.Record, error) {
	var (
		from    tasks.State
		entered bool
	)
	rec, _, err := p.updateWith(ctx, id, ev.reason(), tasks.UpdateOptions{From: seen}, func(r *tasks.Record) error {
		from = r.State
		var err error
		entered, err = p.settle(r, ev)
		if err == nil && extra != nil {
			extra(r)
		}
		return err
	})
	switch {
	case errors.Is(err, tasks.ErrIllegalTransition) && rec != nil && rec.State.Terminal():
		if err := compareTerminal(rec, ev); err != nil {
			if rec.State.NeverCreated() {
				p.existsDespiteRejection(ctx, rec, ev.cid)
			}
			return rec, err
		}
		// No news, but this may be a replay of the run that made the record
		// terminal and died (or failed to enqueue) before its follow-up.
		return rec, p.followUp(ctx, rec, false)
	case err != nil:
		return rec, err
	}
	if from == tasks.StateSubmitting || from == tasks.StateUnconfirmed {
		p.clearUnsure(ctx, id) // the submit path no longer decides for this payout
	}
	return rec, p.followUp(ctx, rec, entered)
}

// followUp enqueues the task that follows a recorded change.
func (p *Pipeline) followUp(ctx context.Context, rec *tasks.Record, entered bool) error {
	var err error
	switch {
	case rec.State.Terminal():
		err = p.ensureNotify(ctx, rec)
	case entered:
		err = p.ensurePoll(ctx, rec)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errFollowUp, err)
	}
	return nil
}

// settle applies ev to a non-terminal record. It reports whether the record
// entered submitted (and so needs its first poll).
func (p *Pipeline) settle(r *tasks.Record, ev statusEvent) (entered bool, err error) {
	if r.CID != "" && r.CID != ev.cid {
		return false, fmt.Errorf("%w: recorded cid %s, %s names cid %s", ErrCIDMismatch, r.CID, ev.source, ev.cid)
	}
	st := ev.status
	r.CID, r.CregisStatus = ev.cid, &st
	r.TxID = orDefault(ev.txid, r.TxID)
	r.BlockHeight = orDefault(ev.blockHeight, r.BlockHeight)
	r.BlockTime = orDefault(ev.blockTime, r.BlockTime)
	if st.Terminal() {
		r.DropPendingHints() // moot: Cregis's own answer settled it
	}
	switch {
	case st.Succeeded():
		r.State, r.LastError, r.Stuck = tasks.StateSucceeded, "", false
	case st.Terminal():
		r.State, r.LastError, r.Stuck = tasks.StateFailed, fmt.Sprintf("Cregis status %d (%s)", int(st), st), false
	case r.State != tasks.StateSubmitted:
		r.State, r.LastError = tasks.StateSubmitted, ""
		r.PollSeq++
		entered = true
	}
	if !r.State.Terminal() && p.now().Sub(r.CreatedAt) > p.cfg.StuckAfter {
		r.Stuck = true
	}
	return entered, nil
}

// existsDespiteRejection reports Cregis naming (as cid) a payout whose record
// says nothing exists there (rejected or canceled). Terminal records never
// change, so it is made loud instead: an error line and
// payoutd_anomalies_total{kind="created_after_rejected"} (or
// "created_after_canceled").
func (p *Pipeline) existsDespiteRejection(ctx context.Context, rec *tasks.Record, cid string) {
	p.countAnomaly("created_after_" + string(rec.State))
	p.recLog(ctx, rec).Error().Str("cid", cid).
		Msg("Cregis has a payout recorded as " + string(rec.State) + ": it exists at Cregis; an operator must reconcile it")
}

// compareTerminal judges news about a terminal record: nothing changes, but
// news that contradicts the recorded outcome is an error.
func compareTerminal(rec *tasks.Record, ev statusEvent) error {
	switch {
	case rec.State.NeverCreated():
		return fmt.Errorf("%w: recorded %s, %s reports cid %s with status %d", ErrOutcomeConflict, rec.State, ev.source, ev.cid, int(ev.status))
	case rec.CID != "" && rec.CID != ev.cid:
		return fmt.Errorf("%w: recorded cid %s, %s names cid %s", ErrCIDMismatch, rec.CID, ev.source, ev.cid)
	case !ev.status.Terminal():
		return nil // stale news
	case (rec.State == tasks.StateSucceeded) == ev.status.Succeeded():
		return nil // the same outcome, again
	}
	return fmt.Errorf("%w: recorded %s, %s reports status %d (%s)", ErrOutcomeConflict, rec.State, ev.source, int(ev.status), ev.status)
}
