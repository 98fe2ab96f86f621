package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
	"github.com/payoutd/payoutd/worker"
)

// Error is the one error shape of the HTTP API. It is written as
// {"error": {"code": ..., "message": ..., "field": ...}}; statusCode maps its
// Code to the HTTP status.
type Error struct {
	Code    string `json:"code"`            // stable, machine-readable
	Message string `json:"message"`         // for people; never a secret
	Field   string `json:"field,omitempty"` // the offending request field, if any
}

// Error returns "code: field: message".
func (e *Error) Error() string {
	if e.Field != "" {
		return e.Code + ": " + e.Field + ": " + e.Message
	}
	return e.Code + ": " + e.Message
}

// Error codes of the HTTP API besides the tasks validation codes
// (tasks.CodeInvalidAmount, ...), which are answered with 422. Never change
// one; add new ones.
const (
	CodeUnauthorized     = "unauthorized"      // 401: no or a wrong bearer token / password
	CodeInvalidJSON      = "invalid_json"      // 400: the body is not one JSON object
	CodeInvalidParameter = "invalid_parameter" // 400: a query parameter is invalid
	CodeUnknownField     = "unknown_field"     // 422: the body has a field the API does not know
	CodeInvalidType      = "invalid_type"      // 422: a field has the wrong JSON type
	CodeInvalidCID       = "invalid_cid"       // 422: resolve's cid is not a positive integer
	CodeBodyTooLarge     = "body_too_large"    // 413: the body exceeds MaxBodyBytes
	CodeUnsupportedMedia = "unsupported_media_type"
	CodeNotFound         = "not_found"           // 404: no such payout or route
	CodeMethodNotAllowed = "method_not_allowed"  // 405
	CodeConflict         = "conflict"            // 409: same third_party_id, different content
	CodeTerminal         = "payout_terminal"     // 409: the payout is terminal; nothing changed
	CodeStateConflict    = "state_conflict"      // 409: the action does not apply to the payout's state
	CodeCIDMismatch      = "cid_mismatch"        // 409: the cid belongs to another payout, or the payout has another
	CodeCIDNotFound      = "cid_not_found"       // 404: Cregis does not know resolve's cid
	CodeNeedsResolve     = "needs_resolve"       // 409: retry of an unconfirmed payout: resolve it with its cid
	CodeNotResolvable    = "not_resolvable"      // 409: resolve of a payout that is not awaiting a cid
	CodeOutcomeConflict  = "outcome_conflict"    // 409: a callback contradicts the recorded outcome
	CodeMayExist         = "may_exist_at_cregis" // 409: cancel of a payout that may exist at Cregis
	CodeInvalidCallback  = "invalid_callback"    // 400: the callback is not a Cregis callback
	CodeInvalidSignature = "invalid_signature"   // 401: the callback's sign does not verify
	CodeWrongPID         = "wrong_pid"           // 403: the callback is for another project
	CodeCregisError      = "cregis_error"        // 502: Cregis refused or failed a check
	CodeUnavailable      = "unavailable"         // 503: try again later
	CodeNotDurable       = "not_durable"         // 503: written, but the Redis replicas did not confirm it: send the same request again
	CodeNoEvent          = "no_event"            // 409: webhook resend of a payout without a webhook event
	CodeInternal         = "internal"            // 500
)

var codeStatus = map[string]int{
	CodeUnauthorized:     http.StatusUnauthorized,
	CodeInvalidJSON:      http.StatusBadRequest,
	CodeInvalidParameter: http.StatusBadRequest,
	CodeBodyTooLarge:     http.StatusRequestEntityTooLarge,
	CodeUnsupportedMedia: http.StatusUnsupportedMediaType,
	CodeNotFound:         http.StatusNotFound,
	CodeMethodNotAllowed: http.StatusMethodNotAllowed,
	CodeConflict:         http.StatusConflict,
	CodeTerminal:         http.StatusConflict,
	CodeStateConflict:    http.StatusConflict,
	CodeCIDMismatch:      http.StatusConflict,
	CodeCIDNotFound:      http.StatusNotFound,
	CodeNeedsResolve:     http.StatusConflict,
	CodeNotResolvable:    http.StatusConflict,
	CodeOutcomeConflict:  http.StatusConflict,
	CodeMayExist:         http.StatusConflict,
	CodeInvalidCallback:  http.StatusBadRequest,
	CodeInvalidSignature: http.StatusUnauthorized,
	CodeWrongPID:         http.StatusForbidden,
	CodeCregisError:      http.StatusBadGateway,
	CodeUnavailable:      http.StatusServiceUnavailable,
	CodeNotDurable:       http.StatusServiceUnavailable,
	CodeNoEvent:          http.StatusConflict,
	CodeInternal:         http.StatusInternalServerError,
}

// statusCode is the one mapping from an Error to its HTTP status. Codes not
// in the table that name a field are validation errors (422).
func statusCode(e *Error) int {
	if s, ok := codeStatus[e.Code]; ok {
		return s
	}
	if e.Field != "" {
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

// errorFrom turns an error from the tasks or worker packages into an Error.
// Errors it does not know become CodeInternal, with a message that reveals
// nothing of the cause (which the caller logs).
func errorFrom(err error) *Error {
	var e *Error
	var ve *tasks.ValidationError
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &ve):
		return &Error{Code: ve.Code, Message: ve.Message, Field: ve.Field}
	case errors.Is(err, tasks.ErrNotFound):
		return &Error{Code: CodeNotFound, Message: "no payout with this third_party_id"}
	case errors.Is(err, tasks.ErrNotDurable):
		return &Error{Code: CodeNotDurable, Message: "recorded, but not yet confirmed by the Redis replicas; send the same request again (never under a new id)"}
	case errors.Is(err, tasks.ErrConflict):
		return &Error{Code: CodeConflict, Message: "a different payout with this third_party_id exists", Field: "third_party_id"}
	}
	return workerError(err)
}

// workerError maps the worker's sentinels and what is left.
func workerError(err error) *Error {
	var te *tasks.TransitionError
	if e, ok := workerSentinel(err); ok {
		return e
	}
	if errors.Is(err, worker.ErrMayExistAtCregis) { // its text says why; it never holds a secret
		return &Error{Code: CodeMayExist, Message: err.Error()}
	}
	switch {
	case errors.As(err, &te) && te.From.Terminal():
		return &Error{Code: CodeTerminal, Message: "the payout is " + string(te.From) + ", which is terminal"}
	case errors.Is(err, tasks.ErrIllegalTransition):
		return &Error{Code: CodeStateConflict, Message: "the action does not apply to the payout in its current state"}
	case errors.Is(err, tasks.ErrContention), errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: CodeUnavailable, Message: "busy; try again"}
	case cregisFailure(err):
		return &Error{Code: CodeCregisError, Message: "Cregis did not confirm: " + sanitized(err)}
	}
	return &Error{Code: CodeInternal, Message: "internal error; see the server log"}
}

// workerSentinel maps the worker's named errors.
func workerSentinel(err error) (*Error, bool) {
	for _, m := range []struct {
		target error
		e      Error
	}{
		{worker.ErrOutcomeConflict, Error{Code: CodeOutcomeConflict, Message: "the callback contradicts the recorded terminal outcome"}},
		{worker.ErrTerminal, Error{Code: CodeTerminal, Message: "the payout is terminal and never changes again"}},
		{worker.ErrCIDMismatch, Error{Code: CodeCIDMismatch, Message: "the cid does not belong to this payout", Field: "cid"}},
		{worker.ErrNeedsResolve, Error{Code: CodeNeedsResolve, Message: worker.ErrNeedsResolve.Error()}},
		{worker.ErrNotResolvable, Error{Code: CodeNotResolvable, Message: worker.ErrNotResolvable.Error()}},
		{worker.ErrInvalidCID, Error{Code: CodeInvalidCID, Message: worker.ErrInvalidCID.Error(), Field: "cid"}},
		{worker.ErrCIDNotFound, Error{Code: CodeCIDNotFound, Message: "Cregis does not know this cid", Field: "cid"}},
		{worker.ErrNoEvent, Error{Code: CodeNoEvent, Message: "the payout has no webhook event yet (or no destination for one)"}},
	} {
		if errors.Is(err, m.target) {
			e := m.e
			return &e, true
		}
	}
	return nil, false
}

// cregisFailure reports whether err is a failure of a Cregis call.
func cregisFailure(err error) bool {
	var ae *cregis.APIError
	var he *cregis.HTTPError
	var te *cregis.TransportError
	return errors.As(err, &ae) || errors.As(err, &he) || errors.As(err, &te)
}

// sanitized returns the Cregis part of err: the cregis package promises its
// errors carry neither the key nor a sign.
func sanitized(err error) string {
	var ae *cregis.APIError
	if errors.As(err, &ae) {
		return ae.Code + " " + ae.Msg
	}
	var he *cregis.HTTPError
	if errors.As(err, &he) {
		return http.StatusText(he.StatusCode)
	}
	return "no answer"
}
