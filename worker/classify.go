package worker

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
)

// class names a kind of handler error; it labels logs and picks a policy.
type class string

// The classes classify knows.
const (
	classNone         class = ""             // no error
	classSkip         class = "skip"         // retrying cannot help: archive the task
	classRateLimited  class = "rate_limited" // the fleet-wide Cregis budget is spent
	classBusy         class = "busy"         // another worker holds the payout's lease
	classPollLater    class = "poll_later"   // a poll could not reach a verdict; try later
	classHeld         class = "held"         // configuration error, or a refusal we may not act on
	classUnknown      class = "outcome_unknown"
	classTransient    class = "transient"     // nothing was applied; try again
	classCanceled     class = "canceled"      // the worker is shutting down
	classNotDelivered class = "not_delivered" // a webhook was not acknowledged
)

// policy is what to do about a handler error: the one retry policy of the
// worker. classify computes it; asynq's IsFailure and RetryDelayFunc and the
// handlers' SkipRetry wrapping all follow it.
type policy struct {
	Class class
	// Failure counts the retry against the task's budget (asynq IsFailure).
	// Waiting for a rate limit, a lease or a misconfigured project is not a
	// failure of the payout.
	Failure bool
	// Skip archives the task now (asynq.SkipRetry).
	Skip bool
	// Delay is the retry delay; zero means the exponential backoff over the
	// task's failure count.
	Delay time.Duration
}

// Retry schedule bounds.
const (
	backoffBase     = 5 * time.Second
	backoffMax      = 10 * time.Minute
	heldBase        = 30 * time.Second
	heldMax         = 10 * time.Minute
	busyDelay       = 2 * time.Second
	canceledDelay   = 5 * time.Second
	rateLimitJitter = time.Second
)

// rateLimitedError says the fleet-wide Cregis budget is spent.
type rateLimitedError struct{ retryAfter time.Duration }

func (e *rateLimitedError) Error() string {
	return fmt.Sprintf("cregis rate limit reached: retry after %s", e.retryAfter.Round(time.Millisecond))
}

// errBusy says another worker holds the payout's submit lease.
var errBusy = errors.New("another worker is submitting this payout")

// pollLaterError says a poll reached no verdict (Cregis unreachable, order
// not found yet) and should run again after delay, without failing.
type pollLaterError struct {
	delay time.Duration
	err   error
}

func (e *pollLaterError) Error() string { return "poll again later: " + e.err.Error() }
func (e *pollLaterError) Unwrap() error { return e.err }

// heldError says the create must wait for people: Cregis refused it for a
// reason that is not the payout's fault (configuration, quota), or refused it
// after an earlier attempt may have created it. attempts sets the backoff.
type heldError struct {
	attempts int
	err      error
}

func (e *heldError) Error() string { return "held: " + e.err.Error() }
func (e *heldError) Unwrap() error { return e.err }

// notDeliveredError is a webhook the receiver did not acknowledge.
type notDeliveredError struct{ status int }

func (e *notDeliveredError) Error() string {
	return fmt.Sprintf("webhook not acknowledged: HTTP %d", e.status)
}

// verdict is what the answer to a create call means for the payout.
type verdict int

const (
	verdictAccepted  verdict = iota // 00000: created; the cid is known
	verdictDuplicate                // E0009: an earlier attempt created it; the cid is unknown
	verdictRefused                  // a permanent refusal: nothing was created by this call
	verdictHeld                     // configuration, quota or an undocumented code: wait for people
	verdictUnknown                  // the call may have been applied: retry with the same id
	verdictNotSent                  // the request never left: retry
)

// Cregis codes that mean the payout itself is wrong: Cregis created nothing
// and never will for this request.
var permanentCodes = []error{
	cregis.ErrParameter, cregis.ErrRemarkTooLong, cregis.ErrUnsupportedCoin,
	cregis.ErrAmountNotPositive, cregis.ErrAmountPrecision, cregis.ErrInvalidAddress,
	cregis.ErrWalletNotFound, cregis.ErrAmount, cregis.ErrInvalidMemo,
}

// Cregis codes that mean payoutd or the project is misconfigured: one bad
// key must never reject a batch of payouts.
var configCodes = []error{
	cregis.ErrSignature, cregis.ErrIPNotAllowed, cregis.ErrProject,
	cregis.ErrProjectSetting, cregis.ErrWithdrawQuota, cregis.ErrSubscriptionQuota,
	cregis.ErrPayoutWalletMismatch,
}

// judgeCreate maps the error of a create call to its verdict. namedWallet
// says whether the request named a wallet_id: E0010 (wallet does not exist)
// is the payout's fault only then; without one it is the project's default
// wallet that is missing, a configuration error.
func judgeCreate(err error, namedWallet bool) verdict {
	var ae *cregis.APIError
	switch {
	case err == nil:
		return verdictAccepted
	case errors.Is(err, cregis.ErrDuplicateThirdPartyID):
		return verdictDuplicate
	case isCreateConfigError(err, namedWallet):
		return verdictHeld
	case isOneOf(err, permanentCodes):
		return verdictRefused
	case errors.As(err, &ae):
		return verdictHeld
	case cregis.NotApplied(err):
		return verdictNotSent
	}
	return verdictUnknown
}

// isConfigError reports whether err is a Cregis answer that says payoutd or
// the project is misconfigured.
func isConfigError(err error) bool { return isOneOf(err, configCodes) }

// isCreateConfigError is isConfigError for the answer to a create call:
// E0010 for a request without a wallet_id also says the project is
// misconfigured (its default wallet is missing).
func isCreateConfigError(err error, namedWallet bool) bool {
	return isConfigError(err) || !namedWallet && errors.Is(err, cregis.ErrWalletNotFound)
}

// isOrderNotFound reports whether a query's err says Cregis does not know the
// cid (at that endpoint).
func isOrderNotFound(err error) bool {
	return errors.Is(err, cregis.ErrOrderNotFound) || errors.Is(err, cregis.ErrOrderNotExist)
}

func isOneOf(err error, targets []error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// classify maps an error returned by a handler (or given to asynq by its
// recoverer) to the retry policy. It is the only place that decides.
func classify(err error) policy {
	var (
		rl   *rateLimitedError
		pl   *pollLaterError
		held *heldError
		nd   *notDeliveredError
	)
	switch {
	case err == nil:
		return policy{Class: classNone}
	case errors.Is(err, asynq.SkipRetry), errors.Is(err, tasks.ErrNotFound):
		return policy{Class: classSkip, Skip: true}
	case errors.As(err, &rl):
		return policy{Class: classRateLimited, Delay: max(rl.retryAfter, time.Millisecond)}
	case errors.Is(err, errBusy):
		return policy{Class: classBusy, Delay: busyDelay}
	case errors.As(err, &pl):
		return policy{Class: classPollLater, Delay: pl.delay}
	case errors.As(err, &held):
		return policy{Class: classHeld, Delay: heldDelay(held.attempts)}
	case errors.As(err, &nd):
		return policy{Class: classNotDelivered, Failure: true}
	case cregis.OutcomeUnknown(err), errors.Is(err, asynq.ErrLeaseExpired):
		return policy{Class: classUnknown, Failure: true}
	case errors.Is(err, context.Canceled):
		return policy{Class: classCanceled, Delay: canceledDelay}
	}
	return policy{Class: classTransient, Failure: true}
}

// heldDelay is 30s doubling per attempt, capped at 10m.
func heldDelay(attempts int) time.Duration {
	return capped(heldBase, heldMax, attempts-1)
}

// backoff is 5s doubling per failure, capped at 10m.
func backoff(failures int) time.Duration {
	return capped(backoffBase, backoffMax, failures)
}

func capped(base, ceiling time.Duration, doublings int) time.Duration {
	d := base
	for i := 0; i < doublings && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

// jitter adds up to a fifth of d, so that tasks that failed together do not
// come back together.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return d + rand.N(d/5+1)
}

// webhookSchedule is the wait after each failed attempt of a webhook
// delivery round: with tasks.NotifyMaxRetry (15) retries, 16 attempts over
// about 24 hours (the waits add up to 24h07m35s, before jitter). asynq keeps each
// retry in Redis, so the schedule survives restarts.
var webhookSchedule = []time.Duration{
	5 * time.Second, 30 * time.Second, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute,
	20 * time.Minute, 30 * time.Minute, time.Hour, time.Hour, 2 * time.Hour,
	2 * time.Hour, 3 * time.Hour, 4 * time.Hour, 4 * time.Hour, 6 * time.Hour,
}

// webhookDelay is the wait after a webhook round's failures-th retry
// (0-based), with a tenth of jitter.
func webhookDelay(failures int) time.Duration {
	d := webhookSchedule[min(max(failures, 0), len(webhookSchedule)-1)]
	return d + rand.N(d/10+1)
}

// retryDelay is asynq's RetryDelayFunc. A failed webhook attempt waits on
// webhookSchedule; every other error on its class's policy.
func retryDelay(failures int, err error, t *asynq.Task) time.Duration {
	pol := classify(err)
	switch {
	case pol.Failure && t != nil && t.Type() == tasks.TypeNotify:
		return webhookDelay(failures)
	case pol.Class == classRateLimited:
		return pol.Delay + rand.N(rateLimitJitter)
	case pol.Delay > 0:
		return jitter(pol.Delay)
	}
	return jitter(backoff(failures))
}

// isFailure is asynq's IsFailure.
func isFailure(err error) bool { return classify(err).Failure }

// skipIfPermanent wraps err with asynq.SkipRetry when classify says retrying
// cannot help, so that asynq archives the task at once.
func skipIfPermanent(err error) error {
	if err == nil || errors.Is(err, asynq.SkipRetry) || !classify(err).Skip {
		return err
	}
	return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
}
