package cregistest

import (
	"strings"
	"time"

	"github.com/payoutd/payoutd/cregis"
)

// markers script a payout's fate from its recipient address, checked in
// order (so "sigreject2" is not read as "reject").
var markers = []struct {
	substr string
	fate   cregis.Status
}{
	{"sigreject2", cregis.StatusSignatureRejected},
	{"reject4", cregis.StatusReviewRejected},
	{"cancel3", cregis.StatusApprovalCancelled},
	{"fail7", cregis.StatusFailed},
	{"hold0", cregis.StatusPendingApproval},
	{"hold5", cregis.StatusPendingSignature},
	{"hold1", cregis.StatusSignatureApproved},
}

// fateFromAddress returns the fate an address marker scripts, or 6.
func fateFromAddress(addr string) cregis.Status {
	for _, m := range markers {
		if strings.Contains(addr, m.substr) {
			return m.fate
		}
	}
	return cregis.StatusSucceeded
}

// next returns the status a payout moves to from status, heading for fate,
// and false when it stays: 3 and 4 end from 0, 2 ends from 5, any other fate
// is reached from 1; a non-terminal fate holds the payout there. A fate the
// payout can no longer reach (set late with SetFate) holds it where it is:
// Cregis never moves a payout backwards or skips a step.
func next(status, fate cregis.Status) (cregis.Status, bool) {
	if status == fate || !reachable(status, fate) {
		return status, false
	}
	switch status {
	case cregis.StatusPendingApproval:
		if fate == cregis.StatusApprovalCancelled || fate == cregis.StatusReviewRejected {
			return fate, true
		}
		return cregis.StatusPendingSignature, true
	case cregis.StatusPendingSignature:
		if fate == cregis.StatusSignatureRejected {
			return fate, true
		}
		return cregis.StatusSignatureApproved, true
	case cregis.StatusSignatureApproved:
		return fate, true
	}
	return status, false
}

// reachable reports whether a payout at status can still end at fate: 0, 3
// and 4 only from 0; 5 and 2 only from 0 or 5; the rest from 0, 5 or 1.
func reachable(status, fate cregis.Status) bool {
	switch fate {
	case cregis.StatusPendingApproval, cregis.StatusApprovalCancelled, cregis.StatusReviewRejected:
		return status == cregis.StatusPendingApproval
	case cregis.StatusPendingSignature, cregis.StatusSignatureRejected:
		return status == cregis.StatusPendingApproval || status == cregis.StatusPendingSignature
	}
	return true
}

// dwell returns how long a payout stays in a non-terminal status.
func (d Dwell) of(s cregis.Status) time.Duration {
	switch s {
	case cregis.StatusPendingApproval:
		return d.PendingApproval
	case cregis.StatusPendingSignature:
		return d.PendingSignature
	}
	return d.OnChain
}

// onChain reports whether a status has a transaction on chain.
func onChain(s cregis.Status) bool {
	return s == cregis.StatusSignatureApproved || s == cregis.StatusSucceeded || s == cregis.StatusFailed
}

// sendsCallback reports whether reaching s sends a callback: 2, 4, 6, 7.
func sendsCallback(s cregis.Status) bool {
	return s.Terminal() && s != cregis.StatusApprovalCancelled
}

// advance moves p along its path up to now, each step after its dwell, and
// returns whether p changed. Pinned, terminal and verification-awaiting
// payouts stay.
func (l *ledger) advance(p *payout, now time.Time) bool {
	changed := false
	for !p.Pinned && !p.awaiting() && !p.Status.Terminal() {
		to, ok := next(p.Status, p.Fate)
		at := p.since.Add(l.dwell.of(p.Status))
		if !ok || now.Before(at) {
			break
		}
		l.enter(p, to, at)
		changed = true
	}
	return changed
}

// enter moves p to status at the given time, writing the chain fields once
// the payout is on chain.
func (l *ledger) enter(p *payout, status cregis.Status, at time.Time) {
	p.Status, p.since = status, at
	p.History = append(p.History, StatusChange{Status: status, At: at})
	if onChain(status) && p.TxID == "" {
		l.height++
		p.TxID = randomHex(32)
		p.BlockHeight = blockHeightString(l.height)
		p.BlockTime = at.UnixMilli()
	}
}

// pending reports whether p still has to be moved along in the background
// for a callback to fire.
func (p *payout) pending() bool {
	_, moves := next(p.Status, p.Fate)
	return p.CallbackURL != "" && !p.Pinned && !p.awaiting() && moves
}

// due reports whether p's current status calls for a callback not yet sent.
func (p *payout) due() bool {
	return p.CallbackURL != "" && sendsCallback(p.Status) && !p.notified[p.Status]
}
