package worker

import "errors"

// Errors of the callback path and the operator actions. The HTTP surface
// maps them to statuses: ErrInvalidCID to 400, ErrCIDNotFound to 404, the
// others to 409.
var (
	// ErrOutcomeConflict is returned by ApplyCallback when the record is
	// terminal with a different outcome than the callback reports.
	ErrOutcomeConflict = errors.New("callback conflicts with the recorded terminal outcome")
	// ErrCIDMismatch: the record already has a different cid, or Cregis says
	// the cid belongs to another third_party_id. Nothing changed.
	ErrCIDMismatch = errors.New("cid does not belong to this payout")
	// ErrTerminal: the payout is terminal and never changes again.
	ErrTerminal = errors.New("payout is terminal")
	// ErrNeedsResolve: Retry of an unconfirmed payout. Cregis has it (E0009)
	// but never told us its cid; another create would only answer E0009 again.
	// Resolve it with the cid from the Cregis client.
	ErrNeedsResolve = errors.New("payout is unconfirmed: resolve it with its cid from the Cregis client")
	// ErrNotResolvable: Resolve of a payout that has not been sent to Cregis
	// (queued) or is already settled with another cid.
	ErrNotResolvable = errors.New("payout is not awaiting a cid")
	// ErrInvalidCID: the cid given to Resolve is not a positive decimal integer.
	ErrInvalidCID = errors.New("cid must be a positive decimal integer")
	// ErrMayExistAtCregis: Cancel of a payout that payoutd cannot prove
	// absent at Cregis (it was created, an attempt's outcome is unknown, or a
	// create call is in flight). The error's text says which. Nothing changed.
	ErrMayExistAtCregis = errors.New("the payout may exist at Cregis: not canceled")
	// ErrCIDNotFound: neither Cregis query endpoint knows the cid given to Resolve.
	ErrCIDNotFound = errors.New("cregis does not know this cid")
)
