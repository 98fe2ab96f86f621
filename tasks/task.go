package tasks

import (
	"time"

	"github.com/hibiken/asynq"
)

// Task types.
const (
	TypeSubmit = "payout:submit" // create the payout at Cregis
	TypePoll   = "payout:poll"   // query the payout's status at Cregis
	TypeNotify = "payout:notify" // deliver the outcome to the producer's notify_url
	TypeSweep  = "payout:sweep"  // re-drive records that lost their task
)

// Queues names the asynq queues. Prefix lets tests and several deployments
// share one Redis.
type Queues struct {
	Submit, Poll, Notify, Maintenance string
}

// NewQueues returns the queue names with prefix ("" in production).
func NewQueues(prefix string) Queues {
	return Queues{
		Submit:      prefix + "payout_submit",
		Poll:        prefix + "payout_poll",
		Notify:      prefix + "payout_notify",
		Maintenance: prefix + "payout_maintenance",
	}
}

// Priorities maps the queues to asynq priorities: submits first.
func (q Queues) Priorities() map[string]int {
	return map[string]int{q.Submit: 6, q.Poll: 3, q.Notify: 2, q.Maintenance: 1}
}

// SubmitPayload is the payload of a TypeSubmit task. Our own schema, never a
// Cregis wire struct; it changes only additively.
type SubmitPayload struct {
	ThirdPartyID string `json:"third_party_id"`
}

// PollPayload is the payload of a TypePoll task.
type PollPayload struct {
	ThirdPartyID string `json:"third_party_id"`
	Seq          int64  `json:"seq"` // the record's PollSeq this poll belongs to
}

// NotifyPayload is the payload of a TypeNotify task.
type NotifyPayload struct {
	ThirdPartyID string `json:"third_party_id"`
}

// NewSubmitTask returns a submit task with its default options: queue, a
// TaskID derived from the id (so an enqueue is idempotent), timeout.
func NewSubmitTask(q Queues, id string, timeout time.Duration) (*asynq.Task, error) {
	panic("unimplemented")
}

// NewPollTask returns a poll task for sequence seq, due after delay.
func NewPollTask(q Queues, id string, seq int64, delay, timeout time.Duration) (*asynq.Task, error) {
	panic("unimplemented")
}

// ParseSubmit decodes a submit payload; one that cannot be decoded is wrapped
// with asynq.SkipRetry.
func ParseSubmit(t *asynq.Task) (SubmitPayload, error) { panic("unimplemented") }

// ParsePoll decodes a poll payload, wrapping asynq.SkipRetry on failure.
func ParsePoll(t *asynq.Task) (PollPayload, error) { panic("unimplemented") }
