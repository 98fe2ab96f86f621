package worker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
)

// HandlePoll handles tasks.TypePoll: queries the payout's status and
// schedules the next poll until it is terminal.
//
// A poll whose Seq is below the record's PollSeq belongs to a superseded
// chain and is dropped. The next poll (Seq+1, TaskID "poll:<id>:<seq+1>") is
// enqueued before PollSeq advances, so a crash in between leaves a duplicate
// at worst, never a gap. Wallet payouts are queried at
// /api/v1/sub_address_withdrawal/info first and, when Cregis does not find
// the cid there, at /api/v1/payout/query; the endpoint that answered is kept
// in Record.QueryEndpoint. Polls never fail a payout and never consume the
// retry budget: a Cregis error or an unknown cid is retried later.
func (p *Pipeline) HandlePoll(ctx context.Context, t *asynq.Task) error {
	pl, err := tasks.ParsePoll(t)
	if err != nil {
		return err
	}
	return skipIfPermanent(p.poll(ctx, pl))
}

func (p *Pipeline) poll(ctx context.Context, pl tasks.PollPayload) error {
	rec, err := p.cfg.Store.Get(ctx, pl.ThirdPartyID)
	if err != nil {
		return err
	}
	switch {
	case rec.State.Terminal():
		return p.ensureNotify(ctx, rec)
	case pl.Seq < rec.PollSeq:
		p.recLog(ctx, rec).Debug().Int64("seq", pl.Seq).Msg("dropping a superseded poll")
		return nil
	case rec.CID == "":
		return nil // nothing to query yet: the submit path or a resolve schedules the polls
	}
	info, endpoint, err := p.query(ctx, rec, p.limit)
	var rl *rateLimitedError
	switch {
	case err == nil:
		return p.polled(ctx, rec, pl.Seq, info, endpoint)
	case isOrderNotFound(err):
		return p.notFound(ctx, rec, err)
	case errors.As(err, &rl):
		return err
	}
	p.recLog(ctx, rec).Warn().Err(err).Msg("status query failed; polling again later")
	return &pollLaterError{delay: p.retryLaterDelay(rec), err: err}
}

// query asks Cregis for the record's status, falling back from /info to
// /payout/query for a wallet payout whose endpoint is not known yet. It
// returns the endpoint that answered (or was asked last). take spends the
// rate limit before each call.
func (p *Pipeline) query(ctx context.Context, rec *tasks.Record, take func(context.Context) error) (*cregis.PayoutInfo, string, error) {
	cid, err := strconv.ParseInt(rec.CID, 10, 64)
	if err != nil {
		return nil, "", fmt.Errorf("%w: record has a malformed cid %q", asynq.SkipRetry, rec.CID)
	}
	first := rec.QueryEndpoint
	if first == "" {
		first = cregis.PathSubAddressWithdrawalInfo
	}
	if err := take(ctx); err != nil {
		return nil, "", err
	}
	info, err := p.queryAt(ctx, first, cid)
	if !isOrderNotFound(err) || rec.QueryEndpoint != "" || rec.Source == tasks.SourceSubAddress {
		return info, first, err
	}
	if err := take(ctx); err != nil {
		return nil, "", err
	}
	info, err = p.queryAt(ctx, cregis.PathPayoutQuery, cid)
	return info, cregis.PathPayoutQuery, err
}

func (p *Pipeline) queryAt(ctx context.Context, endpoint string, cid int64) (*cregis.PayoutInfo, error) {
	start := time.Now()
	var (
		info *cregis.PayoutInfo
		err  error
	)
	if endpoint == cregis.PathPayoutQuery {
		info, err = p.cfg.Cregis.PayoutQuery(ctx, cid)
	} else {
		info, err = p.cfg.Cregis.SubAddressWithdrawalInfo(ctx, cid)
	}
	p.observeCall(endpoint, err, time.Since(start))
	return info, err
}

// polled applies a query's answer: the next poll first (unless terminal),
// then the record.
func (p *Pipeline) polled(ctx context.Context, rec *tasks.Record, seq int64, info *cregis.PayoutInfo, endpoint string) error {
	if why := contradicts(rec, info); why != "" {
		err := fmt.Errorf("%w: Cregis reports cid %s with %s", ErrCIDMismatch, rec.CID, why)
		p.recLog(ctx, rec).Error().Err(err).Msg("status query describes another payout; not applied")
		return &pollLaterError{delay: p.cfg.PollMaxInterval, err: err}
	}
	if !knownStatus(info.Status) {
		p.recLog(ctx, rec).Warn().Int("cregis_status", int(info.Status)).Msg("unknown Cregis status: kept and polled")
	}
	if !info.Status.Terminal() {
		if err := p.enqueuePoll(ctx, rec.ThirdPartyID, seq+1, p.pollDelay(rec, info.Status)); err != nil {
			return err
		}
	}
	out, err := p.applyEvent(ctx, rec.ThirdPartyID, rec, infoEvent(rec.CID, info), func(r *tasks.Record) {
		r.QueryEndpoint = endpoint
		r.PollSeq = max(r.PollSeq, seq+1)
		if strings.HasPrefix(r.LastError, notFoundNote) {
			r.LastError = ""
		}
	})
	if err == nil && out.Stuck && !rec.Stuck {
		p.recLog(ctx, out).Warn().Dur("age", p.now().Sub(out.CreatedAt)).Msg("payout stuck: open longer than the threshold; still polling")
	}
	if errors.Is(err, ErrOutcomeConflict) || errors.Is(err, ErrCIDMismatch) {
		p.recLog(ctx, rec).Error().Err(err).Int("cregis_status", int(info.Status)).Msg("status query contradicts the recorded outcome; nothing changed")
		return nil
	}
	return err
}

// notFoundNote starts the LastError of a submitted payout Cregis does not find.
const notFoundNote = "Cregis does not find this cid"

// notFound keeps polling a payout Cregis does not find (it gave us the cid,
// so it exists), flagging it in LastError once NotFoundAfter has passed.
func (p *Pipeline) notFound(ctx context.Context, rec *tasks.Record, qerr error) error {
	since := p.now().Sub(submittedAt(rec))
	if since > p.cfg.NotFoundAfter && !strings.HasPrefix(rec.LastError, notFoundNote) {
		msg := fmt.Sprintf("%s on either query endpoint %s after its submission: %v", notFoundNote, since.Round(time.Second), qerr)
		p.noteSubmitted(ctx, rec, msg)
		p.recLog(ctx, rec).Error().Err(qerr).Msg(notFoundNote + "; still polling")
	}
	return &pollLaterError{delay: p.clampPoll(jitter(since / 4)), err: qerr}
}

// noteSubmitted sets LastError on a submitted record, best-effort.
func (p *Pipeline) noteSubmitted(ctx context.Context, rec *tasks.Record, msg string) {
	_, err := p.update(ctx, rec.ThirdPartyID, "", func(r *tasks.Record) error {
		if r.State == tasks.StateSubmitted {
			r.LastError = msg
		}
		return nil
	})
	if err != nil && !errors.Is(err, tasks.ErrIllegalTransition) {
		p.recLog(ctx, rec).Warn().Err(err).Msg("could not note the poll's error")
	}
}

// pollDelay is the wait before the next poll of a payout Cregis reported
// at status st. With callbacks on, every poll is a safety net: one each
// PollSafetyInterval (a callback triggers its own query). Without them the
// schedule follows the status: PollOnChainInterval while on chain (status
// 1), and while it waits on people (0, 5) or has a status we do not know,
// PollApprovalInterval growing with the payout's age (a tenth of it), all
// within [PollMinInterval, PollMaxInterval].
func (p *Pipeline) pollDelay(rec *tasks.Record, st cregis.Status) time.Duration {
	switch {
	case p.cfg.CallbackURL != "":
		return jitter(p.cfg.PollSafetyInterval)
	case st == cregis.StatusSignatureApproved:
		return p.clampPoll(jitter(p.cfg.PollOnChainInterval))
	}
	return p.clampPoll(jitter(max(p.cfg.PollApprovalInterval, p.now().Sub(submittedAt(rec))/10)))
}

// firstPollDelay is the wait before a payout's first poll: PollMinInterval,
// or PollSafetyInterval with callbacks on.
func (p *Pipeline) firstPollDelay() time.Duration {
	if p.cfg.CallbackURL != "" {
		return jitter(p.cfg.PollSafetyInterval)
	}
	return p.cfg.PollMinInterval
}

// retryLaterDelay backs off a poll that failed: the record is not written
// while Cregis fails, so the time since its last write grows with the outage.
func (p *Pipeline) retryLaterDelay(rec *tasks.Record) time.Duration {
	return p.clampPoll(jitter(p.now().Sub(rec.UpdatedAt) / 2))
}

func (p *Pipeline) clampPoll(d time.Duration) time.Duration {
	return min(max(d, p.cfg.PollMinInterval), p.cfg.PollMaxInterval)
}

// submittedAt is when the record entered submitted, or its creation time.
func submittedAt(rec *tasks.Record) time.Time {
	for i := len(rec.History) - 1; i >= 0; i-- {
		if rec.History[i].To == tasks.StateSubmitted {
			return rec.History[i].At
		}
	}
	return rec.CreatedAt
}

func knownStatus(s cregis.Status) bool {
	return s >= cregis.StatusPendingApproval && s <= cregis.StatusFailed
}

// enqueuePoll enqueues poll seq of payout id after delay; a poll already
// enqueued with that seq is fine.
func (p *Pipeline) enqueuePoll(ctx context.Context, id string, seq int64, delay time.Duration) error {
	t, err := tasks.NewPollTask(p.cfg.Queues, id, seq, delay, p.pollTimeout())
	if err != nil {
		return err
	}
	return p.enqueue(ctx, t)
}

// ensurePoll makes sure a submitted record's current poll exists.
func (p *Pipeline) ensurePoll(ctx context.Context, rec *tasks.Record) error {
	return p.enqueuePoll(ctx, rec.ThirdPartyID, max(rec.PollSeq, 1), p.firstPollDelay())
}

// enqueue enqueues t; a task with the same TaskID (or uniqueness lock)
// already there counts as done.
func (p *Pipeline) enqueue(ctx context.Context, t *asynq.Task, opts ...asynq.Option) error {
	_, err := p.cfg.Asynq.EnqueueContext(ctx, t, opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return nil
	}
	return err
}
