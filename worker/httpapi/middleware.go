package httpapi

import (
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"github.com/rs/zerolog/hlog"
)

// RequestIDHeader carries a request's id: echoed when the client sends a
// well-formed one, generated otherwise.
const RequestIDHeader = "X-Request-Id"

// maxRequestIDLen is the longest request id echoed.
const maxRequestIDLen = 64

// withLogging gives every request a logger carrying its request id, echoes
// the id, and writes one access log line per request. Headers (among them
// Authorization) are never logged.
func withLogging(log zerolog.Logger, next http.Handler) http.Handler {
	return withRequestLogger(log, hlog.AccessHandler(accessLog)(next))
}

// withRequestLogger sets the request id header and puts log, with the id as
// its request_id field, in the request's context: one logger built per
// request.
func withRequestLogger(log zerolog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = uuid.NewString()
		}
		w.Header().Set(RequestIDHeader, id)
		l := log.With().Str("request_id", id).Logger()
		next.ServeHTTP(w, r.WithContext(l.WithContext(r.Context())))
	})
}

// validRequestID reports whether a client's request id is worth echoing:
// 1 to 64 characters of [A-Za-z0-9._:-].
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > maxRequestIDLen {
		return false
	}
	for i := range len(id) {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// quietPaths are polled by machines; their access lines are debug-level.
var quietPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// accessLog writes the access log line of one request.
func accessLog(r *http.Request, status, size int, d time.Duration) {
	level := zerolog.InfoLevel
	if quietPaths[r.URL.Path] {
		level = zerolog.DebugLevel
	}
	zerolog.Ctx(r.Context()).WithLevel(level).
		Str("method", r.Method).
		Str("path", r.URL.Path).
		Int("status", status).
		Int("bytes", size).
		Dur("duration", d).
		Str("remote", r.RemoteAddr).
		Msg("http request")
}

// withRecover answers a panicking handler with a JSON 500 and logs it.
func withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				zerolog.Ctx(r.Context()).Error().Interface("panic", v).Msg("handler panicked")
				writeError(w, r, &Error{Code: CodeInternal, Message: "internal error; see the server log"})
			}
		}()
		next.ServeHTTP(w, r)
	})
}
