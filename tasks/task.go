package tasks

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
)

// Task types.
const (
	TypeSubmit = "payout:submit" // create the payout at Cregis
	TypePoll   = "payout:poll"   // query the payout's status at Cregis
	TypeNotify = "payout:notify" // deliver the outcome to the producer's notify_url
	TypeSweep  = "payout:sweep"  // re-drive records that lost their task
	// TypeConfirm queries Cregis about a hint's cid (a claim from outside)
	// and applies the answer.
	TypeConfirm = "payout:confirm"
	// TypeTradeScan looks for the cids of unconfirmed payouts in Cregis's
	// transaction records.
	TypeTradeScan = "payout:trade_scan"
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

// ConfirmPayload is the payload of a TypeConfirm task.
type ConfirmPayload struct {
	ThirdPartyID string `json:"third_party_id"`
	CID          string `json:"cid"` // the hint's cid, a decimal string
}

// NotifyPayload is the payload of a TypeNotify task: one round of one
// webhook event's delivery. Tasks enqueued before events existed carry the
// id alone (Event "").
type NotifyPayload struct {
	ThirdPartyID string `json:"third_party_id"`
	Event        string `json:"event,omitempty"` // see Delivery.Event
	Round        int    `json:"round,omitempty"` // see Delivery.Round
}

// Retry budgets of the task types. asynq counts a retry only when the
// handler's error is a failure (the worker's IsFailure decides), so errors
// that mean "not yet" (a held payout, a rate limit) consume nothing.
const (
	// SubmitMaxRetry is high on purpose: a submit whose outcome is unknown
	// must be retried with the same third_party_id until the payout is
	// settled, and a Cregis outage can last hours. With a retry delay capped
	// at a few minutes, 25 retries (asynq's default) would archive submits
	// within an hour or two of an outage; 1000 covers days, and the sweeper
	// re-drives a record whose task was archived anyway.
	SubmitMaxRetry = 1000
	// PollMaxRetry: a poll continues until the payout is terminal, for the
	// same reasons as a submit.
	PollMaxRetry = 1000
	// NotifyMaxRetry bounds the retries of one round of a webhook delivery:
	// 16 attempts over about 24 hours (the schedule is the worker's). A
	// receiver is not ours to wait on forever; an exhausted event can be
	// re-sent.
	NotifyMaxRetry = 15
)

// NewSubmitTask returns a submit task with its default options: queue, a
// TaskID derived from the id (so an enqueue is idempotent), timeout.
// MaxRetry is SubmitMaxRetry; Retention is 0, so once the task completes the
// TaskID is free for a re-drive.
func NewSubmitTask(q Queues, id string, timeout time.Duration) (*asynq.Task, error) {
	return newTask(TypeSubmit, id, SubmitPayload{ThirdPartyID: id},
		asynq.Queue(q.Submit), asynq.TaskID(SubmitTaskID(id)), asynq.Timeout(timeout),
		asynq.MaxRetry(SubmitMaxRetry), asynq.Retention(0))
}

// NewPollTask returns a poll task for sequence seq, due after delay. Its
// TaskID includes seq, so each scheduled poll is enqueued once; the handler
// ignores a poll whose seq is not the record's PollSeq.
func NewPollTask(q Queues, id string, seq int64, delay, timeout time.Duration) (*asynq.Task, error) {
	return newTask(TypePoll, id, PollPayload{ThirdPartyID: id, Seq: seq},
		asynq.Queue(q.Poll), asynq.TaskID(PollTaskID(id, seq)), asynq.ProcessIn(delay),
		asynq.Timeout(timeout), asynq.MaxRetry(PollMaxRetry), asynq.Retention(0))
}

// NewNotifyTask returns a task that delivers round round of payout id's
// webhook event, with TaskID NotifyTaskID(WebhookEventID(id, event), round):
// one task per event and round.
func NewNotifyTask(q Queues, id, event string, round int, timeout time.Duration) (*asynq.Task, error) {
	if event == "" {
		return nil, fmt.Errorf("tasks: new %s task: no event", TypeNotify)
	}
	return newTask(TypeNotify, id, NotifyPayload{ThirdPartyID: id, Event: event, Round: round},
		asynq.Queue(q.Notify), asynq.TaskID(NotifyTaskID(WebhookEventID(id, event), round)),
		asynq.Timeout(timeout), asynq.MaxRetry(NotifyMaxRetry), asynq.Retention(0))
}

// NewConfirmTask returns a task that queries the cid a hint names, on the
// Poll queue (it is a status query like a poll), with TaskID
// "confirm:<id>:<cid>": one per hint at a time.
func NewConfirmTask(q Queues, id, cid string, delay, timeout time.Duration) (*asynq.Task, error) {
	if _, err := strconv.ParseInt(cid, 10, 64); err != nil {
		return nil, fmt.Errorf("tasks: new %s task: invalid cid %q", TypeConfirm, cid)
	}
	return newTask(TypeConfirm, id, ConfirmPayload{ThirdPartyID: id, CID: cid},
		asynq.Queue(q.Poll), asynq.TaskID(ConfirmTaskID(id, cid)), asynq.ProcessIn(delay),
		asynq.Timeout(timeout), asynq.MaxRetry(PollMaxRetry), asynq.Retention(0))
}

// NewTradeScanTask returns the trade scan's task on the Maintenance queue,
// Unique for unique as the sweep is, so a fleet scans once a period.
func NewTradeScanTask(q Queues, timeout, unique time.Duration) *asynq.Task {
	return asynq.NewTask(TypeTradeScan, nil, asynq.Queue(q.Maintenance), asynq.Timeout(timeout),
		asynq.Unique(max(unique, time.Second)), asynq.MaxRetry(0), asynq.Retention(0))
}

// NewSweepTask returns the sweeper's task on the Maintenance queue. It has no
// payload and is Unique for unique (at least a second; use the sweep
// interval), so the schedulers of a fleet enqueue one sweep per period. Unique
// rather than a fixed TaskID: an archived sweep would hold a TaskID for
// months, while the uniqueness lock expires. It is not retried: the next
// period sweeps again.
func NewSweepTask(q Queues, timeout, unique time.Duration) *asynq.Task {
	return asynq.NewTask(TypeSweep, nil, asynq.Queue(q.Maintenance), asynq.Timeout(timeout),
		asynq.Unique(max(unique, time.Second)), asynq.MaxRetry(0), asynq.Retention(0))
}

// SubmitTaskID is the TaskID of a payout's submit task.
func SubmitTaskID(id string) string { return "submit:" + id }

// PollTaskID is the TaskID of a payout's poll task with sequence seq.
func PollTaskID(id string, seq int64) string { return "poll:" + id + ":" + strconv.FormatInt(seq, 10) }

// ConfirmTaskID is the TaskID of the confirm task of a hint about cid.
func ConfirmTaskID(id, cid string) string { return "confirm:" + id + ":" + cid }

// NotifyTaskID is the TaskID of round round of a webhook event's delivery.
func NotifyTaskID(eventID string, round int) string {
	return "notify:" + eventID + ":" + strconv.Itoa(round)
}

func newTask(typ, id string, payload any, opts ...asynq.Option) (*asynq.Task, error) {
	if !validThirdPartyID(id) {
		return nil, fmt.Errorf("tasks: new %s task: invalid third_party_id %q", typ, id)
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("tasks: new %s task: %w", typ, err)
	}
	return asynq.NewTask(typ, b, opts...), nil
}

// ParseSubmit decodes a submit payload; one that cannot be decoded is wrapped
// with asynq.SkipRetry.
func ParseSubmit(t *asynq.Task) (SubmitPayload, error) {
	var p SubmitPayload
	return p, parsePayload(t, &p, &p.ThirdPartyID)
}

// ParsePoll decodes a poll payload, wrapping asynq.SkipRetry on failure.
func ParsePoll(t *asynq.Task) (PollPayload, error) {
	var p PollPayload
	return p, parsePayload(t, &p, &p.ThirdPartyID)
}

// ParseConfirm decodes a confirm payload, wrapping asynq.SkipRetry on failure.
func ParseConfirm(t *asynq.Task) (ConfirmPayload, error) {
	var p ConfirmPayload
	if err := parsePayload(t, &p, &p.ThirdPartyID); err != nil {
		return p, err
	}
	if n, err := strconv.ParseInt(p.CID, 10, 64); err != nil || n <= 0 {
		return p, fmt.Errorf("%w: %s payload: invalid cid", asynq.SkipRetry, t.Type())
	}
	return p, nil
}

// ParseNotify decodes a notify payload, wrapping asynq.SkipRetry on failure.
func ParseNotify(t *asynq.Task) (NotifyPayload, error) {
	var p NotifyPayload
	return p, parsePayload(t, &p, &p.ThirdPartyID)
}

// parsePayload decodes t's payload into p and checks the id it holds. A
// payload that cannot be decoded will never decode: the error wraps
// asynq.SkipRetry so the task is archived at once.
func parsePayload(t *asynq.Task, p any, id *string) error {
	if err := json.Unmarshal(t.Payload(), p); err != nil {
		return fmt.Errorf("%w: %s payload: %v", asynq.SkipRetry, t.Type(), err)
	}
	if !validThirdPartyID(*id) {
		return fmt.Errorf("%w: %s payload: missing or invalid third_party_id", asynq.SkipRetry, t.Type())
	}
	return nil
}
