package worker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/internal/clock"
	"github.com/payoutd/payoutd/tasks"
)

// HandleSubmit handles tasks.TypeSubmit: creates the payout at Cregis at most
// once in flight, with the record's third_party_id on every attempt.
//
// The steps: a record with nothing to create (submitted, unconfirmed,
// terminal) only gets its follow-up task ensured. Otherwise the handler takes
// one call from the fleet-wide rate limit, then the payout's lease (another
// holder: errBusy, retried soon), moves the record to submitting counting the
// attempt, calls Cregis, and records the verdict (see judgeCreate):
//
//   - accepted: cid stored, submitted, first poll scheduled;
//   - duplicate (E0009): unconfirmed; a callback or Resolve brings the cid;
//   - refused (parameter errors and the like): rejected, but only if no
//     earlier attempt may have been applied (the lease's unsure marker).
//     Cregis might validate before it checks for duplicates, and some of its
//     checks depend on state that changes (a coin disabled, a wallet
//     removed), so a refusal after an attempt with an unknown outcome proves
//     nothing: the payout is held, with LastError saying why, for an operator;
//   - held (configuration, quota, an undocumented code): stays submitting
//     with LastError, retried on a slow capped backoff that does not consume
//     the retry budget. Only the documented configuration codes prove that
//     nothing was created; after an undocumented code the unsure marker
//     stays set, so a later refusal is not trusted either;
//   - outcome unknown, or not sent: retried with backoff, same id.
func (p *Pipeline) HandleSubmit(ctx context.Context, t *asynq.Task) error {
	pl, err := tasks.ParseSubmit(t)
	if err != nil {
		return err
	}
	return skipIfPermanent(p.submit(ctx, pl.ThirdPartyID))
}

// errLeftSubmitting: under the lease, another path (a callback) settled the
// record between the read and the write.
var errLeftSubmitting = errors.New("the payout left queued/submitting meanwhile")

func needsCreate(s tasks.State) bool {
	return s == tasks.StateQueued || s == tasks.StateSubmitting
}

func (p *Pipeline) submit(ctx context.Context, id string) error {
	rec, err := p.cfg.Store.Get(ctx, id)
	if err != nil {
		return err
	}
	if !needsCreate(rec.State) {
		return p.afterCreated(ctx, rec)
	}
	if err := p.limit(ctx); err != nil {
		return err
	}
	l := p.newLease(id, p.leaseTTL())
	a := &attempt{lease: l, writeBy: l.expires.Add(-writeTimeout)}
	err = p.attemptCreate(ctx, rec, a)
	if a.taken && !a.gave {
		p.release(ctx, l, !a.unsure)
	}
	return err
}

// afterCreated ensures the follow-up of a record that needs no create.
func (p *Pipeline) afterCreated(ctx context.Context, rec *tasks.Record) error {
	switch {
	case rec.State.Terminal():
		return p.ensureNotify(ctx, rec)
	case rec.State == tasks.StateSubmitted:
		return p.ensurePoll(ctx, rec)
	}
	return p.ensureNotify(ctx, rec) // unconfirmed: waits for a callback or an operator's resolve
}

// attempt is one create attempt: its lease, and its knowledge of the unsure
// marker.
type attempt struct {
	lease   *lease
	taken   bool          // the lease was taken (with the move to submitting)
	gave    bool          // a verdict write gave it back
	from    *tasks.Record // the record as the move to submitting wrote it
	before  bool          // an earlier attempt may have been applied
	unsure  bool          // some attempt so far may have been applied
	writeBy time.Time     // the verdict may be written until then (the lease's end, less the release)
}

// give is the lease a verdict write gives back: the attempt's, unless it was
// not taken or is given back already.
func (a *attempt) give() *tasks.Lease {
	if !a.taken || a.gave {
		return nil
	}
	return &a.lease.Lease
}

// attemptCreate moves the record to submitting and takes the lease in one
// step, calls Cregis, and records the verdict under the lease.
func (p *Pipeline) attemptCreate(ctx context.Context, seen *tasks.Record, a *attempt) error {
	id := seen.ThirdPartyID
	rec, res, err := p.updateWith(ctx, id, "create attempt", tasks.UpdateOptions{From: seen, Take: &a.lease.Lease}, func(r *tasks.Record) error {
		if !needsCreate(r.State) {
			return errLeftSubmitting
		}
		r.State = tasks.StateSubmitting
		r.Attempts++
		return nil
	})
	if errors.Is(err, tasks.ErrLeaseHeld) {
		return errBusy
	}
	if err != nil {
		return p.notAttempted(ctx, id, err)
	}
	a.taken, a.from = true, rec
	a.before, a.unsure = res.Lease, true
	cid, cerr := p.create(ctx, rec)
	writeBy := a.writeBy
	if soon := time.Now().Add(writeTimeout); writeBy.Before(soon) {
		writeBy = soon
	}
	wctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), writeBy)
	defer cancel()
	return p.recordCreate(wctx, rec, cid, cerr, a)
}

// notAttempted handles a failed move to submitting: no call was made, no
// lease taken. A record that has left queued and submitting no longer needs
// the unsure marker (no create can start again), so it is cleared.
func (p *Pipeline) notAttempted(ctx context.Context, id string, err error) error {
	if !errors.Is(err, errLeftSubmitting) && !errors.Is(err, tasks.ErrIllegalTransition) {
		return err
	}
	rec, gerr := p.cfg.Store.Get(ctx, id)
	if gerr != nil {
		return gerr
	}
	p.clearUnsure(ctx, id)
	return p.afterCreated(ctx, rec)
}

// create calls the create endpoint for the record's source.
func (p *Pipeline) create(ctx context.Context, rec *tasks.Record) (int64, error) {
	start := time.Now()
	if rec.Source == tasks.SourceSubAddress {
		cid, err := p.cfg.Cregis.SubAddressWithdrawal(ctx, cregis.SubAddressWithdrawalRequest{
			Currency: rec.Currency, FromAddress: rec.FromAddress, ToAddress: rec.ToAddress,
			Amount: rec.Amount, CallbackURL: p.cfg.CallbackURL, ThirdPartyID: rec.ThirdPartyID,
			Remark: rec.Remark, Memo: rec.Memo,
		})
		p.observeCall(cregis.PathSubAddressWithdrawal, err, time.Since(start))
		return cid, err
	}
	cid, err := p.cfg.Cregis.Payout(ctx, cregis.PayoutRequest{
		WalletID: int64(rec.WalletID), Currency: rec.Currency, FromAddress: rec.FromAddress,
		ToAddress: rec.ToAddress, Amount: rec.Amount, CallbackURL: p.cfg.CallbackURL,
		ThirdPartyID: rec.ThirdPartyID, Remark: rec.Remark, Memo: rec.Memo,
	})
	p.observeCall(cregis.PathPayout, err, time.Since(start))
	if !isConfigError(err) && isCreateConfigError(err, namedWallet(rec)) {
		p.countConfigError(err) // E0010 without a wallet_id: the default wallet is missing
	}
	return cid, err
}

// namedWallet reports whether rec's request named a wallet_id.
func namedWallet(rec *tasks.Record) bool { return rec.WalletID != 0 }

// recordCreate writes the verdict of a create call. ctx outlives the task's,
// up to the lease's end: only this process knows the answer, and the
// verdict writes retry until then (updateVerdict).
func (p *Pipeline) recordCreate(ctx context.Context, rec *tasks.Record, cid int64, err error, a *attempt) error {
	switch judgeCreate(err, namedWallet(rec)) {
	case verdictAccepted:
		return p.accepted(ctx, rec, cid, a)
	case verdictDuplicate:
		return p.duplicate(ctx, rec, err, a)
	case verdictRefused:
		if !a.before {
			return p.rejected(ctx, rec, err, a)
		}
		return p.hold(ctx, rec, a, err, "refused after an earlier attempt whose outcome is unknown, so it may exist at Cregis: not rejected; resolve it if the Cregis client shows it, else an operator must settle it")
	case verdictHeld:
		if !isCreateConfigError(err, namedWallet(rec)) { // an undocumented code proves nothing about the call: keep the marker
			return p.hold(ctx, rec, a, err, "an undocumented Cregis answer, which may or may not have created it; held and retried with the same third_party_id")
		}
		a.unsure = a.before
		return p.hold(ctx, rec, a, err, "nothing was created; held until the cause is fixed")
	case verdictNotSent:
		a.unsure = a.before
		return p.retryCreate(ctx, rec, a, err, "not sent")
	}
	return p.retryCreate(ctx, rec, a, err, "outcome unknown, retrying with the same third_party_id")
}

func (p *Pipeline) accepted(ctx context.Context, rec *tasks.Record, cid int64, a *attempt) error {
	c := strconv.FormatInt(cid, 10)
	out, err := p.updateVerdict(ctx, a, rec.ThirdPartyID, "created at Cregis", func(r *tasks.Record) error {
		switch {
		case r.State == tasks.StateSubmitting, r.State == tasks.StateUnconfirmed:
			// Unconfirmed: another attempt got E0009 while this one was in
			// flight (a lost lease); this answer is the cid it lacked.
			r.State, r.CID, r.LastError = tasks.StateSubmitted, c, ""
			r.PollSeq++
		case r.CID != c: // a callback settled it with another cid: Cregis contradicts itself
			return fmt.Errorf("%w: created as cid %s, recorded cid %s", ErrCIDMismatch, c, r.CID)
		}
		return nil
	})
	if err != nil && !errors.Is(err, tasks.ErrIllegalTransition) {
		p.recLog(ctx, rec).Error().Err(err).Str("cid", c).Msg("Cregis accepted the payout but the record could not be updated; a retry gets E0009")
		return err
	}
	a.unsure = false
	if out != nil && out.State.NeverCreated() {
		// Only possible when both the lease and the unsure marker were lost
		// (e.g. a Redis failover).
		p.existsDespiteRejection(ctx, out, c)
	}
	return p.afterCreated(ctx, out)
}

func (p *Pipeline) duplicate(ctx context.Context, rec *tasks.Record, cerr error, a *attempt) error {
	out, err := p.updateVerdict(ctx, a, rec.ThirdPartyID, "Cregis already has this third_party_id (E0009)", func(r *tasks.Record) error {
		if r.State == tasks.StateSubmitting {
			r.State = tasks.StateUnconfirmed
			r.LastError = "E0009: Cregis already has this third_party_id; its cid is unknown until a callback or an operator's resolve: " + cerr.Error()
		}
		return nil
	})
	if err != nil && !errors.Is(err, tasks.ErrIllegalTransition) {
		return err
	}
	a.unsure = false
	if out.State == tasks.StateUnconfirmed {
		p.recLog(ctx, out).Warn().Msg("payout exists at Cregis but its cid is unknown: needs a callback or an operator's resolve")
	}
	return p.afterCreated(ctx, out)
}

func (p *Pipeline) rejected(ctx context.Context, rec *tasks.Record, cerr error, a *attempt) error {
	out, err := p.updateVerdict(ctx, a, rec.ThirdPartyID, "refused by Cregis: "+callCode(cerr), func(r *tasks.Record) error {
		if r.State == tasks.StateSubmitting {
			r.State, r.LastError = tasks.StateRejected, cerr.Error()
		}
		return nil
	})
	if err != nil && !errors.Is(err, tasks.ErrIllegalTransition) {
		return err
	}
	a.unsure = false
	return p.afterCreated(ctx, out)
}

// Bounds of the backoff between retries of a verdict write.
const (
	verdictRetryMin = 50 * time.Millisecond
	verdictRetryMax = 2 * time.Second
)

// updateVerdict is p.update for the verdict of a create call (the cid, E0009,
// a refusal), which only this process knows. A write that fails for a reason
// other than the record's own answer (Redis unreachable or failing over) is
// retried with backoff until ctx ends, shortly before the lease expires:
// until then no other worker can call Cregis for the payout. Given up, a cid
// is lost (a retry gets E0009: unconfirmed) and a refusal is no longer
// trusted (held for an operator).
//
// The write is durable (Store.UpdateDurable): with MinReplicas set, a write
// the replicas did not confirm is retried the same way, and each retry finds
// nothing to change and so retries the WAIT (Store.Sync) until it is
// confirmed or the lease ends.
func (p *Pipeline) updateVerdict(ctx context.Context, a *attempt, id, reason string, fn func(r *tasks.Record) error) (*tasks.Record, error) {
	opt := tasks.UpdateOptions{From: a.from, Durable: true, Give: a.give(), ClearMarker: true}
	for delay := verdictRetryMin; ; delay = min(2*delay, verdictRetryMax) {
		rec, res, err := p.updateWith(ctx, id, reason, opt, fn)
		a.gave = a.gave || res.Wrote
		opt.Give = a.give()
		if err == nil || !retryableWrite(err) {
			return rec, err
		}
		p.log.Warn().Err(err).Str("third_party_id", id).Msg("could not record a create's verdict; retrying")
		if clock.Sleep(ctx, delay) != nil {
			return rec, err
		}
		opt.From = nil // read it afresh
	}
}

// retryableWrite reports whether a failed record update may succeed when
// tried again: the record itself did not refuse it.
func retryableWrite(err error) bool {
	return !errors.Is(err, tasks.ErrIllegalTransition) && !errors.Is(err, tasks.ErrNotFound) &&
		!errors.Is(err, ErrCIDMismatch)
}

// hold keeps the record in submitting with LastError and returns a
// *heldError: retried slowly, without consuming the retry budget.
// The first hold of a payout sends the "held" webhook event.
func (p *Pipeline) hold(ctx context.Context, rec *tasks.Record, a *attempt, cerr error, why string) error {
	held := p.noteError(ctx, rec, a, fmt.Sprintf("attempt %d: %s: %v", rec.Attempts, why, cerr))
	p.recLog(ctx, rec).Error().Err(cerr).Str("code", callCode(cerr)).Bool("config_error", isCreateConfigError(cerr, namedWallet(rec))).
		Msg("payout held: " + why)
	if held != nil && held.State == tasks.StateSubmitting {
		if err := p.ensureEvent(ctx, held, EventHeld); err != nil {
			p.recLog(ctx, held).Warn().Err(err).Msg("could not enqueue the held webhook; the next hold tries again")
		}
	}
	return &heldError{attempts: rec.Attempts, err: cerr}
}

// retryCreate notes an attempt that may be retried at once and returns its
// error for asynq's backoff.
func (p *Pipeline) retryCreate(ctx context.Context, rec *tasks.Record, a *attempt, cerr error, what string) error {
	p.noteError(ctx, rec, a, fmt.Sprintf("attempt %d: %s: %v", rec.Attempts, what, cerr))
	p.recLog(ctx, rec).Warn().Err(cerr).Msg("create attempt " + what)
	return cerr
}

// noteError sets LastError on a submitting record, best-effort, giving the
// lease back with the write (clearing the unsure marker unless a's attempts
// may have been applied), and returns the record as it is then (nil when it
// could not be read or written).
func (p *Pipeline) noteError(ctx context.Context, rec *tasks.Record, a *attempt, msg string) *tasks.Record {
	opt := tasks.UpdateOptions{From: a.from, Give: a.give(), ClearMarker: !a.unsure}
	out, res, err := p.updateWith(ctx, rec.ThirdPartyID, "", opt, func(r *tasks.Record) error {
		if r.State == tasks.StateSubmitting {
			r.LastError = msg
		}
		return nil
	})
	a.gave = a.gave || res.Wrote
	if err != nil && !errors.Is(err, tasks.ErrIllegalTransition) {
		p.recLog(ctx, rec).Warn().Err(err).Msg("could not note the create attempt's error")
		return nil
	}
	return out
}
