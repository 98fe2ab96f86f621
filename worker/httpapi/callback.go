package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/internal/metrics"
	"github.com/payoutd/payoutd/worker"
	"github.com/rs/zerolog"
)

// Results of callbacks refused before they reach the pipeline, the values
// of payoutd_callbacks_total{result}; Pipeline.ApplyCallback counts the
// others (applied, unknown_payout, conflict, ...).
const (
	callbackMalformed = "malformed"
	callbackSignature = "bad_signature"
	callbackPID       = "wrong_pid"
)

// handleCallback receives a Cregis payout callback. It verifies the raw
// body (signature and pid), applies the outcome, and answers exactly
// cregis.CallbackAck only once the outcome is durably recorded (or was
// already, identically). Anything else gets a JSON error, changes nothing,
// and is logged and counted. Old timestamps are accepted: Cregis re-pushes
// by hand with the original one, and applying an outcome is idempotent.
func handleCallback(c *cregis.Client, p *worker.Pipeline, m *metrics.Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r)
		if err != nil {
			count(m, callbackMalformed)
			refuseCallback(w, r, err)
			return
		}
		cb, err := c.ParseCallback(body)
		if err != nil {
			count(m, parseResult(err))
			refuseCallback(w, r, parseError(err))
			return
		}
		log := zerolog.Ctx(r.Context()).With().Str("third_party_id", cb.ThirdPartyID).
			Str("cid", strconv.FormatInt(cb.CID, 10)).Int("cregis_status", int(cb.Status)).Logger()
		r = r.WithContext(log.WithContext(r.Context()))
		rec, err := p.ApplyCallback(r.Context(), cb)
		if err != nil {
			refuseCallback(w, r, err)
			return
		}
		log.Info().Str("state", string(rec.State)).Msg("callback applied")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, cregis.CallbackAck)
	})
}

// refuseCallback logs and answers a callback that is not acknowledged. The
// body is never logged: it carries the sign.
func refuseCallback(w http.ResponseWriter, r *http.Request, err error) {
	zerolog.Ctx(r.Context()).Warn().Str("reason", err.Error()).Msg("callback refused")
	writeError(w, r, err)
}

func count(m *metrics.Metrics, result string) {
	if m != nil {
		m.Callbacks.WithLabelValues(result).Inc()
	}
}

// parseResult and parseError classify a ParseCallback error.
func parseResult(err error) string {
	switch {
	case errors.Is(err, cregis.ErrCallbackSignature):
		return callbackSignature
	case errors.Is(err, cregis.ErrCallbackPID):
		return callbackPID
	}
	return callbackMalformed
}

func parseError(err error) error {
	switch {
	case errors.Is(err, cregis.ErrCallbackSignature):
		return &Error{Code: CodeInvalidSignature, Message: "the callback's sign does not verify"}
	case errors.Is(err, cregis.ErrCallbackPID):
		return &Error{Code: CodeWrongPID, Message: "the callback is for another project"}
	}
	return &Error{Code: CodeInvalidCallback, Message: "not a Cregis payout callback"}
}
