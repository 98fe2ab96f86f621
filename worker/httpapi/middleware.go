package httpapi

import (
	"net/http"
	"regexp"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"github.com/rs/zerolog/hlog"
)

// RequestIDHeader carries a request's id: echoed when the client sends a
// well-formed one, generated otherwise.
const RequestIDHeader = "X-Request-Id"

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// withLogging gives every request a logger carrying its request id, echoes
// the id, and writes one access log line per request. Headers (among them
// Authorization) are never logged.
func withLogging(log zerolog.Logger, next http.Handler) http.Handler {
	h := hlog.AccessHandler(accessLog)(next)
	h = withRequestID(h)
	return hlog.NewHandler(log)(h)
}

// withRequestID sets the request id header and logger field.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !requestIDPattern.MatchString(id) {
			id = uuid.NewString()
		}
		w.Header().Set(RequestIDHeader, id)
		zerolog.Ctx(r.Context()).UpdateContext(func(c zerolog.Context) zerolog.Context {
			return c.Str("request_id", id)
		})
		next.ServeHTTP(w, r)
	})
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
