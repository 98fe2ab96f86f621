// Package worker runs payouts: the asynq task handlers (submit, poll, notify,
// sweep), the one place that classifies errors into retry policy, the
// operator actions (retry, resolve) and the Cregis callback path, the asynq
// server assembly, and payoutd's HTTP surface.
package worker
