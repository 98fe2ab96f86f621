// Package httpapi is payoutd's HTTP surface: the /v1 payout API, the Cregis
// callback receiver, the Asynq web UI, Prometheus metrics and health checks.
// routes.go lists the whole surface.
package httpapi
