package tasks

import "errors"

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
)

// Errors of the record store and the producer.
var (
	ErrNotFound          = errors.New("payout not found")
	ErrConflict          = errors.New("a different payout with this third_party_id exists")
	ErrIllegalTransition = errors.New("illegal payout state transition")
)
