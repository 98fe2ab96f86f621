// Package tasks is the contract between payout producers and the worker: the
// payout request and its validation, the payout record kept in Redis (the
// source of truth), the asynq task types and payloads, and the producer API
// (Producer.Enqueue) a Go backend calls directly.
package tasks
