package cregistest

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/payoutd/payoutd/cregis"
)

// Codes the fake answers besides those named in the cregis package.
const codeParameter = "A0001" // a parameter error; the message names the field

// messages are the envelope messages of the codes the fake answers.
var messages = map[string]string{
	cregis.CodeOK: "ok",
	codeParameter: "parameter error",
	"B0001":       "signature error",
	"E0001":       "IP is not in the whitelist",
	"E0002":       "remark is too long",
	"E0003":       "project does not exist or is abnormal",
	"E0004":       "project setting is not enabled",
	"E0005":       "coin is not supported",
	"E0006":       "amount must be greater than 0",
	"E0007":       "amount precision error",
	"E0008":       "invalid address",
	"E0009":       "third_party_id already exists",
	"E0010":       "wallet does not exist",
	"E0014":       "order not found",
	"E0015":       "order does not exist",
	"E0016":       "amount error",
	"E0032":       "invalid memo/tag",
	"E0034":       "withdrawal count quota exhausted",
	"T0062":       "subscription quota exhausted",
}

// apiError is an answer with a code other than "00000".
type apiError struct {
	code string
	msg  string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

// fail returns the API error for code with its standard message.
func fail(code string) *apiError {
	msg, ok := messages[code]
	if !ok {
		msg = "error"
	}
	return &apiError{code: code, msg: msg}
}

// paramError returns an A0001 whose message names the field.
func paramError(format string, args ...any) *apiError {
	return &apiError{code: codeParameter, msg: "parameter error: " + fmt.Sprintf(format, args...)}
}

// envelope is every answer of the API.
type envelope struct {
	Code string `json:"code"`
	Msg  string `json:"msg"`
	Data any    `json:"data"`
}

// newEnvelope turns a handler's result into the envelope.
func newEnvelope(data any, e *apiError) envelope {
	if e == nil {
		return envelope{Code: cregis.CodeOK, Msg: messages[cregis.CodeOK], Data: data}
	}
	return envelope{Code: e.code, Msg: e.msg}
}

// writeEnvelope writes env with HTTP 200, as Cregis does for API errors too.
func writeEnvelope(w http.ResponseWriter, env envelope) {
	b, err := json.Marshal(env)
	if err != nil {
		b, _ = json.Marshal(envelope{Code: "E0003", Msg: "internal error"})
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
