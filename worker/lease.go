package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/payoutd/payoutd/tasks"
)

// lease is a short Redis lock that one worker holds while it makes a payout's
// create call, so that at most one create per payout is ever in flight, even
// when asynq runs the same task twice at once.
//
// Taking the lease also sets the payout's "unsure" marker and reports whether
// it was already set. The marker means "a create call for this payout may
// have been applied at Cregis", and it is sticky: it is set before every
// create call and cleared only by a holder that knows better (every call so
// far was answered with a refusal that proves nothing was applied, or the
// record has left submitting). A worker killed during a call leaves it set.
// The submit handler reads it to decide whether a permanent refusal may
// reject the payout (see submit.go).
//
// The submit handler takes the lease in the same atomic step as the write
// that moves the record to submitting, and gives it back in the step that
// writes the call's verdict (tasks.UpdateOptions); both keys share the
// record's hash tag, so each step is one script on one slot.
type lease struct {
	tasks.Lease
	store   *tasks.Store
	unsure  bool      // the marker was set when the lease was taken
	expires time.Time // when the lease expires at the latest
}

// leaseKey is the key of a payout's submit lease.
func (p *Pipeline) leaseKey(id string) string { return p.cfg.KeyPrefix + "lease:{" + id + "}" }

// unsureKey is the key of a payout's unsure marker.
func (p *Pipeline) unsureKey(id string) string { return p.cfg.KeyPrefix + "unsure:{" + id + "}" }

// newLease is a fresh token for payout id's lease, valid for ttl once taken.
func (p *Pipeline) newLease(id string, ttl time.Duration) *lease {
	return &lease{Lease: tasks.Lease{Key: p.leaseKey(id), MarkerKey: p.unsureKey(id), Token: randomToken(), TTL: ttl},
		store: p.cfg.Store, expires: time.Now().Add(ttl)}
}

// acquireLease takes payout id's lease for ttl without a record write, or
// returns errBusy when another worker holds it.
func (p *Pipeline) acquireLease(ctx context.Context, id string, ttl time.Duration) (*lease, error) {
	l := p.newLease(id, ttl)
	was, err := p.cfg.Store.TakeLease(ctx, l.Lease)
	switch {
	case errors.Is(err, tasks.ErrLeaseHeld):
		return nil, errBusy
	case err != nil:
		return nil, err
	}
	l.unsure = was
	return l, nil
}

// release gives the lease back, clearing the unsure marker when sure is
// true. It runs even when ctx has ended (the task was cancelled), bounded by
// a timeout of its own; a lease that cannot be released expires by itself,
// and a marker that cannot be cleared errs on the safe side.
func (l *lease) release(ctx context.Context, sure bool) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	return l.store.GiveBack(ctx, l.Lease, sure)
}

// release is l.release that logs a failure.
func (p *Pipeline) release(ctx context.Context, l *lease, sure bool) {
	if err := l.release(ctx, sure); err != nil {
		p.log.Warn().Err(err).Str("third_party_id", leaseID(l)).Msg("could not release the submit lease; it expires by itself")
	}
}

// leaseID is the payout id in a lease's key (for logs).
func leaseID(l *lease) string {
	_, id, _ := strings.Cut(l.Key, "{")
	return strings.TrimSuffix(id, "}")
}

// clearUnsure deletes payout id's unsure marker once its record has left
// submitting by another path (callback, resolve).
func (p *Pipeline) clearUnsure(ctx context.Context, id string) {
	if err := p.cfg.Redis.Del(ctx, p.unsureKey(id)).Err(); err != nil {
		p.log.Warn().Err(err).Str("third_party_id", id).Msg("could not clear the unsure marker")
	}
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// notifyLeaseName is the name (under KeyPrefix) of the lease one webhook
// event's delivery holds while it POSTs, in the record's slot.
func notifyLeaseName(id, event string) string { return "notify-lease:{" + id + "}:" + event }

// acquireNotifyLease takes the delivery lease of a payout's event for the
// notify task's timeout, or returns errBusy while another worker holds it
// (asynq ran the task twice, or a resend raced a slow attempt). release
// frees it, best-effort; an unreleased lease expires.
func (p *Pipeline) acquireNotifyLease(ctx context.Context, id, event string) (release func(), err error) {
	release, err = p.lock(ctx, notifyLeaseName(id, event), p.notifyTimeout())
	if err != nil && !errors.Is(err, errBusy) {
		return nil, fmt.Errorf("webhook lease: %w", err)
	}
	return release, err
}
