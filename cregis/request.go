package cregis

import "unicode/utf8"

// request collects the business fields of one request body, validating them
// at the edge. The first invalid field is kept as err; the call then refuses
// to send. Empty optional fields stay out of the body, and so out of the
// signature.
type request struct {
	op     string
	fields map[string]any
	err    error
}

func newRequest(op string) *request {
	return &request{op: op, fields: make(map[string]any)}
}

// required adds a string field that must not be empty.
func (r *request) required(key, val string) {
	if val == "" {
		r.fail(key, "is required")
		return
	}
	r.optional(key, val)
}

// optional adds a string field unless it is empty.
func (r *request) optional(key, val string) {
	switch {
	case val == "":
	case !utf8.ValidString(val):
		r.fail(key, "is not valid UTF-8")
	default:
		r.fields[key] = val
	}
}

// id adds an integer id that must be positive.
func (r *request) id(key string, val int64) {
	if val <= 0 {
		r.fail(key, "must be positive")
		return
	}
	r.fields[key] = val
}

// optionalID adds an integer id unless it is 0.
func (r *request) optionalID(key string, val int64) {
	if val != 0 {
		r.id(key, val)
	}
}

func (r *request) fail(field, reason string) {
	if r.err == nil {
		r.err = &RequestError{Op: r.op, Field: field, Reason: reason}
	}
}
