package tasks

import (
	"errors"
	"fmt"
)

// ValidationError says which field of a Request is invalid and why.
type ValidationError struct {
	Field   string // JSON name, e.g. "amount"
	Code    string // stable code, e.g. CodeInvalidAmount
	Message string // for people
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

// Stable validation codes. Never change one; add new ones.
const (
	CodeRequired            = "required"
	CodeInvalidThirdPartyID = "invalid_third_party_id"
	CodeInvalidCurrency     = "invalid_currency"
	CodeUnsupportedCurrency = "unsupported_currency"
	CodeInvalidAddress      = "invalid_address"
	CodeInvalidAmount       = "invalid_amount"
	CodeTooManyDecimals     = "too_many_decimals"
	CodeInvalidMemo         = "invalid_memo"
	CodeMemoNotSupported    = "memo_not_supported"
	CodeRemarkTooLong       = "remark_too_long"
	CodeInvalidWalletID     = "invalid_wallet_id"
	CodeInvalidSource       = "invalid_source"
	CodeInvalidNotifyURL    = "invalid_notify_url"
	CodeInvalidMetadata     = "invalid_metadata"
	CodeInvalidRemark       = "invalid_remark" // not valid UTF-8
)

// Errors of the record store and the producer.
var (
	ErrNotFound          = errors.New("payout not found")
	ErrConflict          = errors.New("a different payout with this third_party_id exists")
	ErrIllegalTransition = errors.New("illegal payout state transition")
	// ErrContention means Store.Update kept losing the compare-and-set to
	// concurrent updates of the same record; nothing was written. Retry later.
	ErrContention = errors.New("payout record update kept losing to concurrent updates")
	// ErrInvalidCursor means a List cursor was not one List returned.
	ErrInvalidCursor = errors.New("invalid list cursor")
	// ErrNotDurable means a write happened on the Redis primary but fewer
	// than StoreConfig.MinReplicas replicas confirmed it within WaitTimeout:
	// a failover now could lose it. Store.Sync confirms it later.
	ErrNotDurable = errors.New("the write is not confirmed by enough replicas")
	// ErrInvalidState means ListOptions.State is not a State.
	ErrInvalidState = errors.New("invalid payout state")
)

// TransitionError is the error Store.Update returns for a move the state
// machine forbids (LegalTransition), including any change of a terminal
// record. It matches ErrIllegalTransition with errors.Is. An empty To means
// the record was already terminal and fn was not applied: callers treat that
// as "already settled".
type TransitionError struct {
	ID       string
	From, To State
}

func (e *TransitionError) Error() string {
	if e.To == "" {
		return fmt.Sprintf("%v: payout %s is %s, which is terminal", ErrIllegalTransition, e.ID, e.From)
	}
	return fmt.Sprintf("%v: payout %s from %s to %s", ErrIllegalTransition, e.ID, e.From, e.To)
}

// Unwrap makes errors.Is(err, ErrIllegalTransition) hold.
func (e *TransitionError) Unwrap() error { return ErrIllegalTransition }
