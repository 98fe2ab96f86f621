package worker

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/tasks"
)

// Retry re-drives a non-terminal payout now (operator action).
//
// A queued or submitting payout gets its submit task run now: enqueued if it
// is gone, or moved out of retry, scheduled or archived. A submitted payout
// gets a poll now, starting a new poll sequence (the old chain is dropped as
// superseded). An unconfirmed payout returns ErrNeedsResolve: another create
// would only answer E0009 again. A terminal payout returns ErrTerminal.
//
// The record's history holds state changes only, so a retry is recorded in
// the log (one info line), not in the history.
func (p *Pipeline) Retry(ctx context.Context, id string) (*tasks.Record, error) {
	rec, err := p.cfg.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case rec.State.Terminal():
		return rec, ErrTerminal
	case rec.State == tasks.StateUnconfirmed:
		return rec, ErrNeedsResolve
	case rec.State == tasks.StateSubmitted:
		rec, err = p.pollNow(ctx, rec)
	default:
		err = p.redriveSubmit(ctx, id, true)
	}
	if err != nil {
		return rec, err
	}
	p.recLog(ctx, rec).Info().Msg("operator retry")
	return p.note(ctx, rec, "operator retry")
}

// note records an operator action in rec's history. A record that became
// terminal in the meantime keeps its outcome; the action is then moot.
func (p *Pipeline) note(ctx context.Context, rec *tasks.Record, reason string) (*tasks.Record, error) {
	noted, err := p.cfg.Store.Note(ctx, rec.ThirdPartyID, reason)
	switch {
	case err == nil:
		return noted, nil
	case errors.Is(err, tasks.ErrIllegalTransition) && noted != nil:
		return noted, nil
	}
	return rec, err
}

// redriveSubmit makes sure payout id has a live submit task: it enqueues one
// if there is none and runs an archived one. With now, it also runs a task
// that waits in retry or scheduled.
func (p *Pipeline) redriveSubmit(ctx context.Context, id string, now bool) error {
	t, err := tasks.NewSubmitTask(p.cfg.Queues, id, p.cfg.SubmitTimeout)
	if err != nil {
		return err
	}
	return p.redrive(ctx, t, p.cfg.Queues.Submit, tasks.SubmitTaskID(id), now)
}

// redrive enqueues t (TaskID taskID) unless it exists; an existing one is run
// now if it is archived, or (with now) waiting.
func (p *Pipeline) redrive(ctx context.Context, t *asynq.Task, queue, taskID string, now bool) error {
	_, err := p.cfg.Asynq.EnqueueContext(ctx, t)
	if !errors.Is(err, asynq.ErrTaskIDConflict) {
		return err
	}
	info, err := p.cfg.Inspector.GetTaskInfo(queue, taskID)
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound):
		return p.enqueue(ctx, t) // it finished in between
	case err != nil:
		return err
	case info.State == asynq.TaskStateArchived,
		now && (info.State == asynq.TaskStateRetry || info.State == asynq.TaskStateScheduled):
		return p.cfg.Inspector.RunTask(queue, taskID)
	}
	return nil // pending or active: on its way
}

// pollNow starts a new poll sequence with a poll due now.
func (p *Pipeline) pollNow(ctx context.Context, rec *tasks.Record) (*tasks.Record, error) {
	seq := rec.PollSeq + 1
	if err := p.enqueuePoll(ctx, rec.ThirdPartyID, seq, 0); err != nil {
		return rec, err
	}
	out, err := p.update(ctx, rec.ThirdPartyID, "", func(r *tasks.Record) error {
		r.PollSeq = max(r.PollSeq, seq)
		return nil
	})
	if err != nil && !errors.Is(err, tasks.ErrIllegalTransition) {
		return rec, err
	}
	return out, nil
}

// Resolve settles an unconfirmed payout with the cid an operator found in the
// Cregis client: it queries Cregis, requires the answer to describe this
// payout (third_party_id, currency, amount and recipient: the check every
// cid from outside passes), records the cid and polls it to terminal.
//
// It also settles a submitting payout (one whose create outcome is unknown).
// Resolving a payout already settled with the same cid returns it unchanged.
// Errors: ErrInvalidCID, tasks.ErrNotFound, ErrNotResolvable (queued: never
// sent), ErrTerminal (rejected), ErrCIDMismatch (another cid is recorded, or
// Cregis says the cid is another payout's), ErrCIDNotFound.
func (p *Pipeline) Resolve(ctx context.Context, id, cid string) (*tasks.Record, error) {
	n, err := strconv.ParseInt(cid, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != cid {
		return nil, ErrInvalidCID
	}
	rec, err := p.cfg.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if done, err := resolvable(rec, cid); done || err != nil {
		return rec, err
	}
	probe := *rec
	probe.CID, probe.QueryEndpoint = cid, ""
	info, endpoint, err := p.query(ctx, &probe, p.limiter.wait)
	switch {
	case isOrderNotFound(err):
		return rec, ErrCIDNotFound
	case err != nil:
		return rec, fmt.Errorf("query cid %s: %w", cid, err)
	case mismatch(rec, info) != "":
		return rec, fmt.Errorf("%w: Cregis reports cid %s with %s", ErrCIDMismatch, cid, mismatch(rec, info))
	}
	ev := statusEvent{source: "operator resolve", cid: cid, status: info.Status, txid: info.TxID,
		blockHeight: info.BlockHeight, blockTime: info.BlockTime}
	out, err := p.applyEvent(ctx, id, nil, ev, func(r *tasks.Record) { r.QueryEndpoint = endpoint })
	return out, p.tolerateFollowUp(ctx, out, err)
}

// resolvable says whether Resolve may settle rec with cid: done when it is
// already settled with that cid.
func resolvable(rec *tasks.Record, cid string) (done bool, err error) {
	switch {
	case rec.CID == cid:
		return true, nil
	case rec.CID != "":
		return false, fmt.Errorf("%w: recorded cid %s", ErrCIDMismatch, rec.CID)
	case rec.State.Terminal():
		return false, ErrTerminal
	case rec.State == tasks.StateQueued:
		return false, ErrNotResolvable
	}
	return false, nil
}
