package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
)

// Confirmation timing.
const (
	// confirmLeaseWait is how soon a confirm task looks again while a create
	// call for the payout is in flight: its answer may bring the cid, which
	// saves the query.
	confirmLeaseWait = 2 * time.Second
	// hintNotFoundTries is how many queries may find no such cid before the
	// hint is taken as contradicted. Cregis may not find a brand-new cid at
	// once (E0014/E0015), so one miss proves nothing.
	hintNotFoundTries = 3
)

// HandleConfirm handles tasks.TypeConfirm: it queries Cregis about the cid a
// hint names and lets the answer, never the hint, decide.
//
//   - The answer describes the record's payout (mismatch finds nothing): the
//     hint is confirmed, and the answer is applied as a poll's would be (the
//     cid bound, the state moved); the hint is dropped in the same write.
//     A status the hint claimed that the answer does not bear out is
//     reported as contradicted (the cid stands: Cregis said so).
//   - The answer describes another payout, or Cregis does not find the cid
//     hintNotFoundTries times: the hint is contradicted. Nothing else
//     changes, the payout goes on being polled, and the claim is logged at
//     error level and counted: someone else may hold the API key.
//   - No answer (Cregis unreachable, the rate limit): retried later; the
//     hint stays.
//
// No query is made when none is needed: a hint without a status about the
// cid the record already holds is dropped, and while a create call is in
// flight (the submit lease is held) the task waits for its answer.
func (p *Pipeline) HandleConfirm(ctx context.Context, t *asynq.Task) error {
	pl, err := tasks.ParseConfirm(t)
	if err != nil {
		return err
	}
	return skipIfPermanent(p.confirm(ctx, pl.ThirdPartyID, pl.CID))
}

func (p *Pipeline) confirm(ctx context.Context, id, cid string) error {
	rec, err := p.cfg.Store.Get(ctx, id)
	if err != nil {
		return err
	}
	h := rec.PendingHint(cid)
	switch {
	case rec.State.NeverCreated():
		return p.checkRejected(ctx, rec, cid)
	case rec.State.Terminal(), h == nil:
		return nil // settled, or the hint was handled by an earlier run
	case rec.CID != "" && rec.CID != cid:
		return p.contradict(ctx, rec, *h, "the record holds cid "+rec.CID+" from Cregis's own answer")
	case rec.CID == cid && h.Status == nil:
		return p.dropHint(ctx, rec, cid) // nothing to learn: the record has the cid
	}
	if busy, err := p.createInFlight(ctx, rec); busy || err != nil {
		return orPollLater(err, confirmLeaseWait)
	}
	return p.queryHint(ctx, rec, *h)
}

// createInFlight reports whether a create call for a submitting payout may
// be in flight (another worker holds its submit lease).
func (p *Pipeline) createInFlight(ctx context.Context, rec *tasks.Record) (bool, error) {
	if rec.State != tasks.StateSubmitting {
		return false, nil
	}
	n, err := p.cfg.Redis.Exists(ctx, p.leaseKey(rec.ThirdPartyID)).Result()
	return n > 0, err
}

// orPollLater returns err, or a wait of d when err is nil.
func orPollLater(err error, d time.Duration) error {
	if err != nil {
		return err
	}
	return &pollLaterError{delay: d, err: errors.New("a create call is in flight")}
}

// queryHint asks Cregis about the hint's cid and judges the answer.
func (p *Pipeline) queryHint(ctx context.Context, rec *tasks.Record, h tasks.Hint) error {
	probe := *rec
	probe.CID, probe.QueryEndpoint = h.CID, ""
	info, endpoint, err := p.query(ctx, &probe, p.limit)
	var rl *rateLimitedError
	switch {
	case isOrderNotFound(err):
		return p.hintNotFound(ctx, rec, h, err)
	case errors.As(err, &rl):
		return err
	case err != nil:
		p.recLog(ctx, rec).Warn().Err(err).Str("hint_cid", h.CID).Msg("could not query a hint's cid; trying again later")
		return &pollLaterError{delay: p.retryLaterDelay(rec), err: err}
	}
	if why := mismatch(rec, info); why != "" {
		return p.contradict(ctx, rec, h, "Cregis reports "+why)
	}
	return p.confirmed(ctx, rec, h, info, endpoint)
}

// confirmed applies Cregis's answer about a confirmed hint's cid.
func (p *Pipeline) confirmed(ctx context.Context, rec *tasks.Record, h tasks.Hint, info *cregis.PayoutInfo, endpoint string) error {
	ev := infoEvent(h.CID, info)
	ev.source = "query confirming a " + h.Source
	out, err := p.applyEvent(ctx, rec.ThirdPartyID, rec, ev, func(r *tasks.Record) {
		r.DropHint(h.CID)
		if r.QueryEndpoint == "" {
			r.QueryEndpoint = endpoint
		}
	})
	if errors.Is(err, ErrOutcomeConflict) || errors.Is(err, ErrCIDMismatch) {
		return p.contradict(ctx, rec, h, err.Error()) // the record settled otherwise meanwhile
	}
	if err := p.tolerateFollowUp(ctx, out, err); err != nil {
		return err
	}
	if h.Status != nil && *h.Status != info.Status {
		p.claimContradicted(ctx, out, h, fmt.Sprintf("Cregis reports status %d (%s)", int(info.Status), info.Status))
		return nil
	}
	p.countHint(h.Source, "confirmed")
	return nil
}

// hintNotFound counts a query that did not find the hint's cid and asks
// again after PollMinInterval, doubling; after hintNotFoundTries the hint is
// contradicted.
func (p *Pipeline) hintNotFound(ctx context.Context, rec *tasks.Record, h tasks.Hint, qerr error) error {
	if h.NotFound+1 >= hintNotFoundTries {
		return p.contradict(ctx, rec, h, "Cregis does not find the cid on either query endpoint")
	}
	_, err := p.update(ctx, rec.ThirdPartyID, "", func(r *tasks.Record) error {
		if cur := r.PendingHint(h.CID); cur != nil {
			cur.NotFound++
		}
		return nil
	})
	if err != nil && !errors.Is(err, tasks.ErrIllegalTransition) {
		return err
	}
	return &pollLaterError{delay: p.cfg.PollMinInterval << h.NotFound, err: qerr}
}

// contradict marks a hint contradicted by Cregis's own answer: nothing else
// about the record changes.
func (p *Pipeline) contradict(ctx context.Context, rec *tasks.Record, h tasks.Hint, why string) error {
	reason := fmt.Sprintf("%s naming cid %s contradicted: %s", h.Source, h.CID, why)
	out, err := p.cfg.Store.Amend(ctx, rec.ThirdPartyID, reason, func(r *tasks.Record) error {
		r.ContradictHint(h.CID)
		return nil
	})
	if err != nil && !errors.Is(err, tasks.ErrIllegalTransition) {
		return err
	}
	if out == nil {
		out = rec
	}
	p.claimContradicted(ctx, out, h, why)
	return nil
}

// claimContradicted reports a claim Cregis's answer did not bear out: an
// error line with the claim's fields (never a sign) and the counters.
func (p *Pipeline) claimContradicted(ctx context.Context, rec *tasks.Record, h tasks.Hint, why string) {
	p.countHint(h.Source, "contradicted")
	ev := p.recLog(ctx, rec).Error().Str("hint_source", h.Source).Str("hint_cid", h.CID).Str("why", why)
	if h.Status != nil {
		ev = ev.Int("hint_status", int(*h.Status))
	}
	ev.Msg("a claim from outside is contradicted by Cregis's own answer; nothing changed: a bug, or someone else holds the API key")
}

// dropHint removes a hint that needs no query.
func (p *Pipeline) dropHint(ctx context.Context, rec *tasks.Record, cid string) error {
	_, err := p.update(ctx, rec.ThirdPartyID, "", func(r *tasks.Record) error {
		r.DropHint(cid)
		return nil
	})
	if errors.Is(err, tasks.ErrIllegalTransition) {
		return nil
	}
	return err
}

// checkRejected queries a cid a callback names for a payout recorded as
// rejected or canceled. The record never changes (it is terminal); if
// Cregis confirms that the cid is this payout, it exists at Cregis although
// nothing was supposed to: an anomaly for an operator
// (existsDespiteRejection).
func (p *Pipeline) checkRejected(ctx context.Context, rec *tasks.Record, cid string) error {
	probe := *rec
	probe.CID, probe.QueryEndpoint = cid, ""
	info, _, err := p.query(ctx, &probe, p.limit)
	var rl *rateLimitedError
	switch {
	case isOrderNotFound(err):
		return nil
	case errors.As(err, &rl):
		return err
	case err != nil:
		return &pollLaterError{delay: p.cfg.PollMinInterval, err: err}
	case mismatch(rec, info) == "":
		p.existsDespiteRejection(ctx, rec, cid)
	}
	return nil
}
