package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/rs/zerolog"
)

// readyTimeout bounds one readiness check.
const readyTimeout = 2 * time.Second

// handleHealthz answers 200 while the process serves HTTP.
func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// handleReadyz answers 200 when ready() passes, 503 with its reason
// otherwise.
func handleReadyz(ready func(context.Context) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
			defer cancel()
			if err := ready(ctx); err != nil {
				zerolog.Ctx(r.Context()).Warn().Err(err).Msg("not ready")
				writeError(w, r, &Error{Code: CodeUnavailable, Message: "not ready: " + err.Error()})
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}
