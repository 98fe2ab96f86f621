package cregis

import (
	"errors"
	"fmt"
	"strings"
)

// CodeOK is the only success code of the Cregis envelope.
const CodeOK = "00000"

// APIError is a well-formed Cregis envelope whose code is not CodeOK. The call
// that returned it created nothing (for ErrDuplicateThirdPartyID: an earlier call
// with the same third_party_id did).
type APIError struct {
	Op   string // the endpoint path, e.g. "/api/v2/payout"
	Code string // e.g. "E0009"
	Msg  string // Cregis's message, sanitised like HTTPError.Body
}

func (e *APIError) Error() string {
	if e.Op == "" {
		return fmt.Sprintf("cregis: %s: %s", e.Code, e.Msg)
	}
	return fmt.Sprintf("cregis %s: %s: %s", e.Op, e.Code, e.Msg)
}

// Is makes errors.Is(err, ErrX) compare codes. ErrParameter matches every
// parameter error (codes beginning with "A").
func (e *APIError) Is(target error) bool {
	t, ok := target.(*APIError)
	if !ok {
		return false
	}
	if t == ErrParameter {
		return strings.HasPrefix(e.Code, "A")
	}
	return t.Code != "" && t.Code == e.Code
}

// Named Cregis error codes, for use with errors.Is.
var (
	ErrParameter             = &APIError{Code: "A"}     // any parameter error (Axxxx)
	ErrSignature             = &APIError{Code: "B0001"} // signature error
	ErrIPNotAllowed          = &APIError{Code: "E0001"} // caller's IP not on the project allowlist
	ErrRemarkTooLong         = &APIError{Code: "E0002"} // remark longer than 256 characters
	ErrProject               = &APIError{Code: "E0003"} // project missing or abnormal
	ErrProjectSetting        = &APIError{Code: "E0004"} // project setting not enabled
	ErrUnsupportedCoin       = &APIError{Code: "E0005"} // currency not supported
	ErrAmountNotPositive     = &APIError{Code: "E0006"} // amount must be greater than zero
	ErrAmountPrecision       = &APIError{Code: "E0007"} // more decimals than the token has
	ErrInvalidAddress        = &APIError{Code: "E0008"} // invalid address
	ErrDuplicateThirdPartyID = &APIError{Code: "E0009"} // third_party_id already used: the payout exists
	ErrWalletNotFound        = &APIError{Code: "E0010"} // wallet does not exist
	ErrOrderNotFound         = &APIError{Code: "E0014"} // order not found (query)
	ErrOrderNotExist         = &APIError{Code: "E0015"} // order not found (query)
	ErrAmount                = &APIError{Code: "E0016"} // amount error
	ErrInvalidMemo           = &APIError{Code: "E0032"} // invalid memo/tag
	ErrWithdrawQuota         = &APIError{Code: "E0034"} // withdrawal-count quota exhausted
	ErrSubscriptionQuota     = &APIError{Code: "T0062"} // subscription quota exhausted
	ErrPayoutWalletMismatch  = &APIError{Code: "E0037"} // not the project's designated payout wallet
)

// HTTPError is a response that is not a usable Cregis envelope: a non-2xx
// status (a redirect included: redirects are never followed), a 2xx body that
// does not decode as the envelope, a body larger than MaxResponseBytes, or a
// "00000" envelope whose data lacks what the call returns (a create without a
// positive cid, a query without a status). The request reached the server, so
// the outcome of a create call is unknown.
type HTTPError struct {
	Op         string // the endpoint path
	StatusCode int    // the HTTP status
	// Body is the start of the body for diagnosis: at most 256 bytes, control
	// characters and invalid UTF-8 replaced, the API key and the request's
	// sign redacted.
	Body string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("cregis %s: unexpected response: HTTP %d: %q", e.Op, e.StatusCode, e.Body)
}

// TransportError is a failure below HTTP: dialing, writing the request,
// reading the response, or the context ending.
type TransportError struct {
	Op string // the endpoint path
	// Sent reports whether the request may have reached Cregis. False only
	// when the request was certainly never written in full (for instance the
	// connection was refused): such a call was certainly not applied.
	Sent bool
	Err  error
}

func (e *TransportError) Error() string {
	state := "not sent"
	if e.Sent {
		state = "outcome unknown"
	}
	return fmt.Sprintf("cregis %s: %s: %v", e.Op, state, e.Err)
}

// Unwrap returns the underlying error, so that context.DeadlineExceeded and
// context.Canceled stay reachable through errors.Is.
func (e *TransportError) Unwrap() error { return e.Err }

// ErrInvalidRequest is matched by every *RequestError.
var ErrInvalidRequest = errors.New("cregis: invalid request")

// RequestError is a request the client refused to send because a field is
// invalid (a required field empty, a string that is not valid UTF-8, a
// non-positive cid). Nothing was sent. errors.Is matches it against
// ErrInvalidRequest and, as Cregis would have answered with an Axxxx code,
// against ErrParameter.
type RequestError struct {
	Op     string // the endpoint path
	Field  string // the wire name of the field, e.g. "third_party_id"
	Reason string // e.g. "is required"
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("cregis %s: invalid request: %s %s", e.Op, e.Field, e.Reason)
}

// Is matches ErrInvalidRequest and ErrParameter.
func (e *RequestError) Is(target error) bool {
	return target == ErrInvalidRequest || target == ErrParameter
}

// OutcomeUnknown reports whether err leaves open whether Cregis applied the
// call: an *HTTPError, or a *TransportError whose request may have been sent.
// A create whose outcome is unknown must be retried with the same
// third_party_id, never treated as failed.
func OutcomeUnknown(err error) bool {
	var he *HTTPError
	if errors.As(err, &he) {
		return true
	}
	var te *TransportError
	if errors.As(err, &te) {
		return te.Sent
	}
	return false
}

// NotApplied reports whether err proves that this call changed nothing at
// Cregis: an *APIError (for ErrDuplicateThirdPartyID an earlier call created
// the payout, this one did not), a *RequestError, or a *TransportError for a
// request that was never sent.
func NotApplied(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return true
	}
	var re *RequestError
	if errors.As(err, &re) {
		return true
	}
	var te *TransportError
	if errors.As(err, &te) {
		return !te.Sent
	}
	return false
}
