package httpapi

import (
	"net/http"
	"slices"
	"strings"
)

// access says who may call a route.
type access int

const (
	public access = iota // anyone (health, metrics, the API document, the signed Cregis callback)
	token                // Authorization: Bearer <one of Config.Tokens>
	basic                // the monitoring user and password
)

// route is one entry of the HTTP surface. An empty method serves every
// method of a subtree (path ends in "/").
type route struct {
	method, path string
	access       access
	handler      http.Handler
}

// routes lists payoutd's whole HTTP surface.
func (h *Handler) routes() []route {
	c := h.cfg
	rs := []route{
		{"GET", "/healthz", public, handleHealthz()},
		{"GET", "/readyz", public, handleReadyz(c.ReadyFunc)},
		{"GET", "/metrics", public, handleMetrics(c.Gatherer)},
		{"GET", "/v1/openapi.json", public, handleOpenAPI()},
	}
	if c.API {
		rs = append(rs,
			route{"POST", "/v1/payouts", token, handleCreatePayout(c.Producer)},
			route{"GET", "/v1/payouts", token, handleListPayouts(c.Store)},
			route{"GET", "/v1/stats", token, handleStats(c.Store, c.Inspector, c.Queues)},
			route{"GET", "/v1/payouts/{third_party_id}", token, handleGetPayout(c.Store)},
			route{"POST", "/v1/payouts/{third_party_id}/retry", token, handleRetryPayout(c.Pipeline)},
			route{"POST", "/v1/payouts/{third_party_id}/resolve", token, handleResolvePayout(c.Pipeline)},
			route{"POST", "/v1/payouts/{third_party_id}/cancel", token, handleCancelPayout(c.Pipeline)},
			route{"POST", "/v1/payouts/{third_party_id}/webhook", token, handleResendWebhook(c.Pipeline)},
			route{"POST", "/cregis/callback", public, handleCallback(c.Cregis, c.Pipeline, c.Metrics)},
			route{"POST", "/cregis/verify", public, handleVerify(c.Cregis, c.Pipeline)},
		)
	}
	if c.Monitor.enabled() {
		rs = append(rs, route{"", monitoringRoot + "/", basic, h.handleMonitoring()})
	}
	return rs
}

// addRoutes registers the routes on mux with their access checks, answers
// other methods on a known path with 405 and unknown paths with 404, all
// in the API's JSON error shape.
func (h *Handler) addRoutes(mux *http.ServeMux) {
	allowed := map[string][]string{}
	for _, rt := range h.routes() {
		mux.Handle(strings.TrimSpace(rt.method+" "+rt.path), h.guard(rt))
		if rt.method != "" {
			allowed[rt.path] = append(allowed[rt.path], rt.method)
		}
	}
	for path, methods := range allowed {
		mux.Handle(path, handleMethodNotAllowed(methods))
	}
	mux.Handle("/", handleNotFound())
}

// guard wraps a route's handler in its access check.
func (h *Handler) guard(rt route) http.Handler {
	switch rt.access {
	case token:
		return requireToken(h.cfg.Tokens, rt.handler)
	case basic:
		return requireBasic(h.cfg.Monitor.User, h.cfg.Monitor.Password, rt.handler)
	}
	return rt.handler
}

func handleNotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, &Error{Code: CodeNotFound, Message: "no such route"})
	})
}

func handleMethodNotAllowed(methods []string) http.Handler {
	if slices.Contains(methods, "GET") {
		methods = append(methods, "HEAD")
	}
	slices.Sort(methods)
	allow := strings.Join(methods, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, r, &Error{Code: CodeMethodNotAllowed, Message: "use " + allow})
	})
}
