package httpapi

import (
	"context"
	"net/http"
	"slices"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/tasks"
)

// statsBody is the body of GET /v1/stats.
type statsBody struct {
	// States counts records per non-terminal state (from the indexes).
	States map[tasks.State]int64 `json:"states"`
	// Open counts non-terminal records.
	Open int64 `json:"open"`
	// Unconfirmed counts records in state unconfirmed (they need an operator or a callback).
	Unconfirmed int64 `json:"unconfirmed"`
	// Held counts submit tasks waiting in the retry set: payouts held for a
	// configuration error or an operator, or backing off after a transient error.
	Held int `json:"held"`
	// OldestOpenID is the oldest open record ("" when none is open).
	OldestOpenID string `json:"oldest_open_id"`
	// OldestOpenAgeSeconds is its age (0 when none is open).
	OldestOpenAgeSeconds float64 `json:"oldest_open_age_seconds"`
	// Queues are asynq's sizes per queue; absent when no Inspector is configured.
	Queues []queueSizes `json:"queues"`
}

// queueSizes are one asynq queue's task counts.
type queueSizes struct {
	Name      string  `json:"name"`
	Size      int     `json:"size"` // all tasks but completed ones
	Pending   int     `json:"pending"`
	Active    int     `json:"active"`
	Scheduled int     `json:"scheduled"`
	Retry     int     `json:"retry"`
	Archived  int     `json:"archived"`
	Latency   float64 `json:"latency_seconds"` // age of the oldest pending task
	Paused    bool    `json:"paused"`
}

// handleStats answers GET /v1/stats: one read of the indexes and of asynq's queues.
func handleStats(s *tasks.Store, insp *asynq.Inspector, q tasks.Queues) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readStats(r.Context(), s, insp, q)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, body)
	})
}

func readStats(ctx context.Context, s *tasks.Store, insp *asynq.Inspector, q tasks.Queues) (*statsBody, error) {
	st, err := s.Stats(ctx)
	if err != nil {
		return nil, err
	}
	body := &statsBody{States: st.States, Open: st.Open, Unconfirmed: st.States[tasks.StateUnconfirmed],
		OldestOpenID: st.OldestOpenID, OldestOpenAgeSeconds: st.OldestOpenAge.Seconds(), Queues: []queueSizes{}}
	if insp == nil {
		return body, nil
	}
	existing, err := insp.Queues()
	if err != nil {
		return nil, err
	}
	for _, name := range []string{q.Submit, q.Poll, q.Notify, q.Maintenance} {
		if !slices.Contains(existing, name) {
			continue // a queue that never had a task
		}
		qs, err := queueInfo(insp, name)
		if err != nil {
			return nil, err
		}
		body.Queues = append(body.Queues, qs)
		if name == q.Submit {
			body.Held = qs.Retry
		}
	}
	return body, nil
}

// queueInfo reads one queue's sizes.
func queueInfo(insp *asynq.Inspector, name string) (queueSizes, error) {
	info, err := insp.GetQueueInfo(name)
	if err != nil {
		return queueSizes{}, err
	}
	return queueSizes{Name: name, Size: info.Size, Pending: info.Pending, Active: info.Active,
		Scheduled: info.Scheduled, Retry: info.Retry, Archived: info.Archived,
		Latency: info.Latency.Seconds(), Paused: info.Paused}, nil
}
