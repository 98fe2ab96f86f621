package cregistest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/payoutd/payoutd/cregis"
)

// maxBodyBytes bounds a request body.
const maxBodyBytes = 1 << 20

// decodeBody decodes a request body as one JSON object, numbers kept as
// json.Number so that integers above 2^53 stay exact.
func decodeBody(body []byte) (map[string]any, *apiError) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return nil, paramError("the body must be a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, paramError("the body must hold one JSON object")
	}
	return fields, nil
}

// verify checks what every call carries: pid, nonce, timestamp and sign.
func (s *Server) verify(fields map[string]any) *apiError {
	r := fieldReader{fields: fields}
	pid := r.integer("pid", true)
	r.nonce()
	r.integer("timestamp", true)
	if r.err != nil {
		return r.err
	}
	if pid != s.PID {
		return fail("E0003")
	}
	sign, ok := fields["sign"].(string)
	if !ok || !cregis.Verify(s.APIKey, fields, sign) {
		return fail("B0001")
	}
	return nil
}

// fieldReader reads typed fields from a decoded body and keeps the first
// parameter error.
type fieldReader struct {
	fields map[string]any
	err    *apiError
}

// str reads a string field. Absent, null and "" all count as missing.
func (r *fieldReader) str(name string, required bool) string {
	v, ok := r.present(name, required)
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		r.fail(paramError("%s must be a string", name))
		return ""
	}
	if s == "" {
		r.absent(name, required)
	}
	return s
}

// integer reads a field that must be a positive JSON integer.
func (r *fieldReader) integer(name string, required bool) int64 {
	v, ok := r.present(name, required)
	if !ok {
		return 0
	}
	n, ok := v.(json.Number)
	if !ok {
		r.fail(paramError("%s must be a JSON integer", name))
		return 0
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil || i <= 0 {
		r.fail(paramError("%s must be a positive JSON integer, got %s", name, n))
		return 0
	}
	return i
}

// nonce reads the nonce, which must be 6 characters.
func (r *fieldReader) nonce() {
	n := r.str("nonce", true)
	if n != "" && utf8.RuneCountInString(n) != 6 {
		r.fail(paramError("nonce must be 6 characters"))
	}
}

// present returns a field that is there and not null.
func (r *fieldReader) present(name string, required bool) (any, bool) {
	v, ok := r.fields[name]
	if ok && v != nil {
		return v, true
	}
	r.absent(name, required)
	return nil, false
}

func (r *fieldReader) absent(name string, required bool) {
	if required {
		r.fail(paramError("%s is required", name))
	}
}

// fail keeps the first error.
func (r *fieldReader) fail(e *apiError) {
	if r.err == nil {
		r.err = e
	}
}
