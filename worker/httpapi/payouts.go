package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/payoutd/payoutd/tasks"
	"github.com/payoutd/payoutd/worker"
	"github.com/rs/zerolog"
)

// List limits of GET /v1/payouts.
const (
	defaultListLimit = 50
	maxListLimit     = 500
)

// payoutPage is the body of GET /v1/payouts.
type payoutPage struct {
	Payouts    []*tasks.Record `json:"payouts"`
	NextCursor string          `json:"next_cursor"` // "" on the last page
}

// resolveRequest is the body of POST /v1/payouts/{third_party_id}/resolve.
type resolveRequest struct {
	CID string `json:"cid"` // decimal string: cids exceed 2^53
}

// handleCreatePayout enqueues a payout: 202 with the new record, 200 with
// the current record for the same request again.
func handleCreatePayout(p *tasks.Producer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req tasks.Request
		if err := decodeJSON(w, r, &req, false); err != nil {
			writeError(w, r, err)
			return
		}
		rec, created, err := p.Enqueue(r.Context(), req)
		if err != nil {
			logRefusal(r, req.ThirdPartyID, err)
			writeError(w, r, err)
			return
		}
		status := http.StatusOK
		if created {
			status = http.StatusAccepted
			zerolog.Ctx(r.Context()).Info().Str("third_party_id", rec.ThirdPartyID).
				Str("state", string(rec.State)).Msg("payout accepted")
		}
		writeJSON(w, status, rec)
	})
}

// logRefusal logs why an intake was refused (validation and conflicts at
// info: they are the client's mistakes).
func logRefusal(r *http.Request, id string, err error) {
	var ve *tasks.ValidationError
	if errors.As(err, &ve) || errors.Is(err, tasks.ErrConflict) {
		zerolog.Ctx(r.Context()).Info().Str("third_party_id", id).Str("reason", err.Error()).Msg("payout refused")
	}
}

// payoutView is the body of GET /v1/payouts/{third_party_id}: the record
// and its webhook deliveries (without their bodies).
type payoutView struct {
	*tasks.Record
	Webhooks []*tasks.Delivery `json:"webhooks"`
}

// handleGetPayout answers one record with its deliveries.
func handleGetPayout(s *tasks.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("third_party_id")
		rec, err := s.Get(r.Context(), id)
		if err != nil {
			writeError(w, r, err)
			return
		}
		hooks, err := s.Deliveries(r.Context(), id)
		if err != nil {
			writeError(w, r, err)
			return
		}
		for _, d := range hooks {
			d.Body = nil
		}
		writeJSON(w, http.StatusOK, payoutView{Record: rec, Webhooks: hooks})
	})
}

// handleResendWebhook re-sends a payout's latest webhook event. The body,
// if any, must be an empty JSON object.
func handleResendWebhook(p *worker.Pipeline) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var empty struct{}
		if err := decodeJSON(w, r, &empty, true); err != nil {
			writeError(w, r, err)
			return
		}
		id := r.PathValue("third_party_id")
		d, err := p.ResendWebhook(r.Context(), id)
		if err != nil {
			writeError(w, r, err)
			return
		}
		zerolog.Ctx(r.Context()).Info().Str("third_party_id", id).Str("event", d.Event).Int("round", d.Round).Msg("webhook resend")
		writeJSON(w, http.StatusAccepted, d)
	})
}

// handleListPayouts answers a page of records, newest first.
func handleListPayouts(s *tasks.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		opt, err := listOptions(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		recs, next, err := s.List(r.Context(), opt)
		if errors.Is(err, tasks.ErrInvalidCursor) {
			err = &Error{Code: CodeInvalidParameter, Field: "cursor", Message: "not a cursor this API returned"}
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		if recs == nil {
			recs = []*tasks.Record{}
		}
		writeJSON(w, http.StatusOK, payoutPage{Payouts: recs, NextCursor: next})
	})
}

// listOptions reads state, limit and cursor from the query.
func listOptions(r *http.Request) (tasks.ListOptions, error) {
	q := r.URL.Query()
	opt := tasks.ListOptions{State: tasks.State(q.Get("state")), Limit: defaultListLimit, Cursor: q.Get("cursor")}
	if opt.State != "" && !opt.State.Valid() {
		return opt, &Error{Code: CodeInvalidParameter, Field: "state", Message: "not a payout state"}
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxListLimit {
			return opt, &Error{Code: CodeInvalidParameter, Field: "limit", Message: "must be an integer from 1 to 500"}
		}
		opt.Limit = n
	}
	return opt, nil
}

// handleAction serves an operator action on one payout (retry, cancel):
// the body, if any, must be an empty JSON object; the answer is the record.
// done names the action in the access log's companion line.
func handleAction(done string, act func(ctx context.Context, id string) (*tasks.Record, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var empty struct{}
		if err := decodeJSON(w, r, &empty, true); err != nil {
			writeError(w, r, err)
			return
		}
		id := r.PathValue("third_party_id")
		rec, err := act(r.Context(), id)
		if err != nil {
			writeError(w, r, err)
			return
		}
		zerolog.Ctx(r.Context()).Info().Str("third_party_id", id).Str("state", string(rec.State)).Msg(done)
		writeJSON(w, http.StatusOK, rec)
	})
}

// handleRetryPayout re-drives a non-terminal payout now.
func handleRetryPayout(p *worker.Pipeline) http.Handler {
	return handleAction("operator retry", p.Retry)
}

// handleCancelPayout withdraws a payout that provably never reached Cregis.
func handleCancelPayout(p *worker.Pipeline) http.Handler {
	return handleAction("payout canceled", p.Cancel)
}

// handleResolvePayout settles an unconfirmed payout with the cid an
// operator found in the Cregis client.
func handleResolvePayout(p *worker.Pipeline) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req resolveRequest
		err := decodeJSON(w, r, &req, false)
		if err == nil {
			err = validCID(req.CID)
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		id := r.PathValue("third_party_id")
		rec, err := p.Resolve(r.Context(), id, req.CID)
		if err != nil {
			writeError(w, r, err)
			return
		}
		zerolog.Ctx(r.Context()).Info().Str("third_party_id", id).Str("cid", req.CID).
			Str("state", string(rec.State)).Msg("operator resolve")
		writeJSON(w, http.StatusOK, rec)
	})
}

// validCID checks that cid is a positive int64 in base 10.
func validCID(cid string) error {
	if cid == "" {
		return &Error{Code: tasks.CodeRequired, Field: "cid", Message: "required"}
	}
	n, err := strconv.ParseInt(cid, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != cid {
		return &Error{Code: CodeInvalidCID, Field: "cid", Message: "must be the payout's cid: a positive integer, as a string"}
	}
	return nil
}
