package cregis

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxExcerpt bounds HTTPError.Body and the fields of an APIError.
const maxExcerpt = 256

// envelope is the frame of every Cregis response. Unknown fields (such as
// the "ok" of old responses) are ignored.
type envelope struct {
	Code *string         `json:"code"`
	Msg  wireString      `json:"msg"`
	Data json.RawMessage `json:"data"`
}

// decodeEnvelope checks one HTTP response and returns the data of a "00000"
// envelope. secrets (the API key, the request's sign) are redacted from
// whatever the returned error carries.
func decodeEnvelope(op string, status int, body []byte, secrets ...string) (json.RawMessage, error) {
	if status < 200 || status > 299 {
		return nil, newHTTPError(op, status, body, secrets)
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil || env.Code == nil || *env.Code == "" {
		return nil, newHTTPError(op, status, body, secrets)
	}
	if *env.Code != CodeOK {
		return nil, &APIError{Op: op, Code: excerpt(*env.Code, secrets), Msg: excerpt(string(env.Msg), secrets)}
	}
	return env.Data, nil
}

// isJSONObject reports whether data is a JSON object (what every endpoint's
// data is).
func isJSONObject(data json.RawMessage) bool {
	return bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{"))
}

// newHTTPError reports a response that is not a usable envelope.
func newHTTPError(op string, status int, body []byte, secrets []string) *HTTPError {
	return &HTTPError{Op: op, StatusCode: status, Body: excerpt(string(body), secrets)}
}

// excerpt makes server-supplied text safe to put in an error: secrets
// redacted, control characters and invalid UTF-8 replaced, at most maxExcerpt
// bytes.
func excerpt(s string, secrets []string) string {
	s = redact(s, secrets) // before sanitising, so no replacement can split a secret
	s = redact(sanitize(s), secrets)
	return truncate(s, maxExcerpt)
}

// redact replaces every occurrence of each non-empty secret.
func redact(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// sanitize replaces invalid UTF-8 and non-printable runes with '?', and
// whitespace with a space.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case r == utf8.RuneError || !unicode.IsPrint(r):
			return '?'
		}
		return r
	}, s)
}

// truncate cuts s to at most n bytes without splitting a rune.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
