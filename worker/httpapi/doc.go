// Package httpapi is payoutd's HTTP surface: the /v1 payout API, the Cregis
// callback receiver, the Asynq web UI, Prometheus metrics and health checks.
// routes.go lists the whole surface; openapi.json describes it (a test keeps
// the two in step) and is served at /v1/openapi.json.
//
// Every handler is a handleX(deps) http.Handler. JSON is written in one
// place (respond.go) and every failure is one Error, {"error": {"code",
// "message", "field"}}, mapped to its HTTP status by one function
// (errors.go). Each request gets an X-Request-Id and one access log line;
// headers are never logged.
package httpapi
