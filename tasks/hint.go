package tasks

import (
	"slices"
	"time"

	"github.com/payoutd/payoutd/cregis"
)

// Sources of a Hint.
const (
	HintCallback     = "callback"     // a signed Cregis callback
	HintVerification = "verification" // a Cregis Payout External Verification request
	HintTradeScan    = "trade scan"   // a row of /api/v1/trade/page matching the recipient and amount
)

// MaxHints bounds Record.Hints: whoever holds the API key can sign pushes,
// so a record must not grow with them. Past it, the oldest contradicted
// hint goes first, then the oldest pending one.
const MaxHints = 16

// Hint is a claim from outside about a payout: a cid (and, from a callback,
// a status) that someone pushed to payoutd. The API key that signs a push
// can leak, so a hint never changes the record's state, cid or chain fields;
// it only asks the worker to query Cregis about its cid. It stays pending
// until that query confirms it (the answer names the record's
// third_party_id, currency, amount and recipient) or contradicts it; a
// contradicted hint is kept (Contradicted set) so that the same lie is not
// queried again.
type Hint struct {
	CID          string         `json:"cid"`
	Source       string         `json:"source"`
	Status       *cregis.Status `json:"status,omitempty"` // the status it claims; nil: none
	At           time.Time      `json:"at"`
	NotFound     int            `json:"not_found,omitempty"` // queries that found no such cid
	Contradicted bool           `json:"contradicted,omitempty"`
}

// PendingHint returns the pending hint about cid, or nil.
func (r *Record) PendingHint(cid string) *Hint {
	for i := range r.Hints {
		if h := &r.Hints[i]; h.CID == cid && !h.Contradicted {
			return h
		}
	}
	return nil
}

// PendingHints returns the cids of the pending hints, oldest first.
func (r *Record) PendingHints() []string {
	var cids []string
	for _, h := range r.Hints {
		if !h.Contradicted {
			cids = append(cids, h.CID)
		}
	}
	return cids
}

// Contradicted reports whether a query has shown that cid is not this
// payout.
func (r *Record) Contradicted(cid string) bool {
	return slices.ContainsFunc(r.Hints, func(h Hint) bool { return h.CID == cid && h.Contradicted })
}

// AddHint records h unless it adds nothing: a pending hint about the same
// cid is updated in place (a status claim kept), and a cid already
// contradicted is not recorded again. It reports whether the record
// changed.
func (r *Record) AddHint(h Hint) bool {
	if r.Contradicted(h.CID) {
		return false
	}
	if cur := r.PendingHint(h.CID); cur != nil {
		if h.Status == nil || (cur.Status != nil && *cur.Status == *h.Status) {
			return false
		}
		cur.Status, cur.Source, cur.At = h.Status, h.Source, h.At
		return true
	}
	r.Hints = append(r.Hints, h)
	r.trimHints()
	return true
}

// DropHint removes the pending hint about cid (confirmed: the record now
// holds what the query said).
func (r *Record) DropHint(cid string) {
	r.Hints = slices.DeleteFunc(r.Hints, func(h Hint) bool { return h.CID == cid && !h.Contradicted })
	if len(r.Hints) == 0 {
		r.Hints = nil
	}
}

// DropPendingHints removes every pending hint (the payout is settling:
// they are moot); contradicted ones stay.
func (r *Record) DropPendingHints() {
	r.Hints = slices.DeleteFunc(r.Hints, func(h Hint) bool { return !h.Contradicted })
	if len(r.Hints) == 0 {
		r.Hints = nil
	}
}

// ContradictHint marks the hint about cid as contradicted by a query.
func (r *Record) ContradictHint(cid string) {
	if h := r.PendingHint(cid); h != nil {
		h.Contradicted, h.Status = true, nil
	}
}

// trimHints keeps at most MaxHints, dropping the oldest contradicted hints
// first.
func (r *Record) trimHints() {
	for len(r.Hints) > MaxHints {
		i := slices.IndexFunc(r.Hints, func(h Hint) bool { return h.Contradicted })
		if i < 0 {
			i = 0
		}
		r.Hints = slices.Delete(r.Hints, i, i+1)
	}
}
