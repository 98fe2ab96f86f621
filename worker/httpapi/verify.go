package httpapi

import (
	"io"
	"net/http"
	"strconv"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/worker"
	"github.com/rs/zerolog"
)

// handleVerify receives a Cregis Payout External Verification request (the
// project's verification URL in the Cregis console). It verifies the raw
// body (signature and pid, old timestamps accepted) as for callbacks, and
// answers exactly cregis.VerificationApprove or cregis.VerificationDeny as
// text/plain with HTTP 200, once the decision is persisted (see
// Pipeline.Verify). A request that does not verify gets a JSON error and is
// counted like a refused callback; a failure to persist the decision is
// answered 500 (no decision: Cregis asks again).
func handleVerify(c *cregis.Client, p *worker.Pipeline) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r)
		if err != nil {
			refuseVerification(w, r, err)
			return
		}
		v, err := c.ParseVerification(body)
		if err != nil {
			refuseVerification(w, r, parseError(err))
			return
		}
		log := zerolog.Ctx(r.Context()).With().Str("third_party_id", v.ThirdPartyID).
			Str("cid", strconv.FormatInt(v.CID, 10)).Logger()
		answer, err := p.Verify(log.WithContext(r.Context()), v)
		if err != nil {
			refuseVerification(w, r, err)
			return
		}
		log.Info().Str("answer", answer).Msg("verification answered")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, answer)
	})
}

// refuseVerification logs and answers a request that gets no decision. The
// body is never logged: it carries the sign.
func refuseVerification(w http.ResponseWriter, r *http.Request, err error) {
	zerolog.Ctx(r.Context()).Warn().Str("reason", err.Error()).Msg("verification request refused")
	writeError(w, r, err)
}
