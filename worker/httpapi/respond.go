package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/payoutd/payoutd/tasks"
	"github.com/rs/zerolog"
)

// retryAfter is the Retry-After of a 503, in seconds.
const retryAfter = "1"

// MaxBodyBytes bounds every request body the API reads.
const MaxBodyBytes = 64 << 10

// maxPooledBuffer is the largest buffer kept for reuse: a large list page
// is not worth holding on to.
const maxPooledBuffer = 64 << 10

// buffers holds the *bytes.Buffer of request and response bodies.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// getBuffer returns an empty buffer; putBuffer gives it back.
func getBuffer() *bytes.Buffer { return buffers.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		b.Reset()
		buffers.Put(b)
	}
}

// writeJSON writes v as the JSON body of a response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := getBuffer()
	defer putBuffer(buf)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":{"code":"internal","message":"cannot encode the response"}}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeError answers with err as an Error. Errors that are not already an
// *Error are logged with the request's logger (they may say more than a
// client should see) and answered by their mapping.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := errorFrom(err)
	status := statusCode(e)
	if status >= 500 {
		zerolog.Ctx(r.Context()).Error().Err(err).Str("code", e.Code).Msg("request failed")
	}
	if e.Code == CodeNotDurable || e.Code == CodeUnavailable {
		w.Header().Set("Retry-After", retryAfter)
	}
	if e.Code == CodeUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="payoutd"`)
	}
	writeJSON(w, status, struct {
		Error *Error `json:"error"`
	}{e})
}

// maxDrainBytes is how much of an over-large body is read and discarded
// before its 413: a client still sending then reads the answer instead of a
// reset connection. A larger body gets the 413 and a closed connection.
const maxDrainBytes = 8 << 20

// readBody reads the request body, at most MaxBodyBytes of it.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	return checkBody(w, r, b, err)
}

// readBodyInto is readBody into buf (which the caller owns): the bytes
// returned are buf's.
func readBodyInto(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer) ([]byte, error) {
	_, err := buf.ReadFrom(io.LimitReader(r.Body, MaxBodyBytes+1))
	return checkBody(w, r, buf.Bytes(), err)
}

// checkBody answers what was read of a body: b, or the error of a body too
// large or unreadable.
func checkBody(w http.ResponseWriter, r *http.Request, b []byte, err error) ([]byte, error) {
	if err == nil && len(b) > MaxBodyBytes {
		w.Header().Set("Connection", "close")
		_, _ = io.CopyN(io.Discard, r.Body, maxDrainBytes)
		return nil, &Error{Code: CodeBodyTooLarge, Message: fmt.Sprintf("the body exceeds %d bytes", MaxBodyBytes)}
	}
	if err != nil {
		return nil, &Error{Code: CodeInvalidJSON, Message: "cannot read the body"}
	}
	return b, nil
}

// decodeJSON decodes the request body, one JSON object with only known
// fields, into v. An empty body is allowed when emptyOK (v is left as is).
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, emptyOK bool) error {
	if err := checkContentType(r); err != nil {
		return err
	}
	buf := getBuffer()
	defer putBuffer(buf)
	b, err := readBodyInto(w, r, buf)
	if err != nil {
		return err
	}
	if emptyOK && len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	return decodeObject(b, v)
}

// decodeObject decodes b, which must hold exactly one JSON object whose
// fields v knows.
func decodeObject(b []byte, v any) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return &Error{Code: CodeInvalidJSON, Message: "the body must be a JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return &Error{Code: CodeInvalidJSON, Message: "the body must hold one JSON object only"}
	}
	return nil
}

// decodeError names the field a JSON decoding error is about, when it can.
func decodeError(err error) error {
	var ve *tasks.ValidationError
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &ve):
		return ve
	case errors.As(err, &te) && te.Field != "":
		return &Error{Code: CodeInvalidType, Field: te.Field, Message: "must be a JSON " + jsonType(te.Type.Kind().String())}
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Code: CodeInvalidJSON, Message: "the body is not valid JSON"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &Error{Code: CodeUnknownField, Field: name, Message: "unknown field"}
	}
	return &Error{Code: CodeInvalidJSON, Message: "the body does not decode: " + err.Error()}
}

// jsonType names a Go kind the way a JSON client thinks of it.
func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	case "bool":
		return "boolean"
	}
	return "number or string of the documented form"
}

// checkContentType refuses a body declared as something other than JSON.
// A missing Content-Type is accepted.
func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" || ct == "application/json" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && mt == "application/json" {
		return nil
	}
	return &Error{Code: CodeUnsupportedMedia, Message: "the body must be application/json"}
}
