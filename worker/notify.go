package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/tasks"
)

// Webhook events that are not a terminal state's name (succeeded, failed,
// rejected, canceled).
const (
	// EventUnconfirmed: Cregis has the payout (E0009) but its cid is unknown.
	EventUnconfirmed = "unconfirmed"
	// EventHeld: the payout's create was held for an operator or a
	// configuration error, for the first time.
	EventHeld = "held"
)

// WebhookEvents lists every webhook event.
var WebhookEvents = []string{
	string(tasks.StateSucceeded), string(tasks.StateFailed), string(tasks.StateRejected),
	string(tasks.StateCanceled), EventUnconfirmed, EventHeld,
}

// ErrNoEvent: ResendWebhook of a payout that has no webhook event (none
// happened yet, or it has no destination).
var ErrNoEvent = errors.New("the payout has no webhook event")

// WebhookEvent is the JSON body of a webhook, in the Standard Webhooks shape.
type WebhookEvent struct {
	// Type is "payout." and the event: "payout.succeeded", "payout.held", ...
	Type string `json:"type"`
	// Timestamp is when the event happened: the record's UpdatedAt.
	Timestamp time.Time `json:"timestamp"`
	// Data is the record as the event found it; its Version orders the
	// events of one payout.
	Data *tasks.Record `json:"data"`
}

// stateEvent is the event a record's state makes, or "".
func stateEvent(rec *tasks.Record) string {
	if rec.State.Terminal() || rec.State == tasks.StateUnconfirmed {
		return string(rec.State)
	}
	return ""
}

// webhookTarget is where rec's webhooks go: its notify_url, else
// Config.NotifyURL; "" for none.
func (p *Pipeline) webhookTarget(rec *tasks.Record) string {
	return orDefault(rec.NotifyURL, p.cfg.NotifyURL)
}

// ensureNotify ensures the event of rec's state, if it makes one. Handlers
// call it whenever they meet such a record, so a replay repairs a lost
// enqueue.
func (p *Pipeline) ensureNotify(ctx context.Context, rec *tasks.Record) error {
	if ev := stateEvent(rec); ev != "" {
		return p.ensureEvent(ctx, rec, ev)
	}
	return nil
}

// ensureEvent records rec's event (the first record to reach it wins: its
// body never changes) and enqueues the delivery of its current round, unless
// that round is over. A payout without a destination gets no event.
func (p *Pipeline) ensureEvent(ctx context.Context, rec *tasks.Record, event string) error {
	if p.webhookTarget(rec) == "" {
		return nil
	}
	body, err := json.Marshal(WebhookEvent{Type: "payout." + event, Timestamp: rec.UpdatedAt, Data: rec})
	if err != nil {
		return fmt.Errorf("encode webhook: %w", err)
	}
	d, _, err := p.cfg.Store.AddDelivery(ctx, rec.ThirdPartyID, tasks.Delivery{
		Event: event, ID: tasks.WebhookEventID(rec.ThirdPartyID, event),
		Version: rec.Version, At: rec.UpdatedAt, Body: body,
	})
	if err != nil || d.Done() {
		return err
	}
	return p.enqueueNotify(ctx, rec.ThirdPartyID, event, d.Round)
}

func (p *Pipeline) enqueueNotify(ctx context.Context, id, event string, round int) error {
	t, err := tasks.NewNotifyTask(p.cfg.Queues, id, event, round, p.notifyTimeout())
	if err != nil {
		return err
	}
	return p.enqueue(ctx, t)
}

// notifyTimeout is a notify task's timeout (and its lease's TTL): the POST
// and the writes around it.
func (p *Pipeline) notifyTimeout() time.Duration { return p.cfg.WebhookClient.Timeout + 10*time.Second }

// HandleNotify handles tasks.TypeNotify: one attempt of one round of a
// webhook event's delivery. It POSTs the event's body, signed (see
// SignWebhook), under a short lease so that one event is never delivered
// twice at once, and records the attempt with the delivery. Any answer but
// 2xx is retried on the webhook schedule (classify.go); the last attempt of
// a round marks the delivery exhausted. A task of a finished or superseded
// round does nothing.
func (p *Pipeline) HandleNotify(ctx context.Context, t *asynq.Task) error {
	pl, err := tasks.ParseNotify(t)
	if err != nil {
		return err
	}
	return skipIfPermanent(p.notify(ctx, pl))
}

func (p *Pipeline) notify(ctx context.Context, pl tasks.NotifyPayload) error {
	rec, err := p.cfg.Store.Get(ctx, pl.ThirdPartyID)
	if err != nil || pl.Event == "" { // a task from before events: ensure its event
		return errors.Join(err, p.ensureIfFound(ctx, rec))
	}
	target := p.webhookTarget(rec)
	if target == "" {
		p.recLog(ctx, rec).Warn().Str("event", pl.Event).Msg("webhook has no destination any more; not sent")
		return nil
	}
	release, err := p.acquireNotifyLease(ctx, pl.ThirdPartyID, pl.Event)
	if err != nil {
		return err
	}
	defer release()
	d, err := p.cfg.Store.Delivery(ctx, pl.ThirdPartyID, pl.Event) // read under the lease
	if err != nil || d.Round != pl.Round || d.Done() {
		return err
	}
	status, derr := p.deliver(ctx, target, d)
	return p.recordAttempt(ctx, rec, d, status, derr)
}

func (p *Pipeline) ensureIfFound(ctx context.Context, rec *tasks.Record) error {
	if rec == nil {
		return nil
	}
	return p.ensureNotify(ctx, rec)
}

// recordAttempt writes an attempt's outcome to the delivery, counts and logs
// it, and returns the error for asynq. A delivered event whose delivery
// could not be written is not retried (a retry would deliver it again).
func (p *Pipeline) recordAttempt(ctx context.Context, rec *tasks.Record, d *tasks.Delivery, status int, derr error) error {
	now, last := p.now().UTC(), derr != nil && lastAttempt(ctx, derr)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	_, err := p.cfg.Store.UpdateDelivery(wctx, rec.ThirdPartyID, d.Event, func(x *tasks.Delivery) error {
		x.Attempts, x.LastStatus, x.LastAttemptAt, x.LastError = x.Attempts+1, status, &now, ""
		if derr == nil {
			x.DeliveredAt = &now
		} else {
			x.Exhausted, x.LastError = last, derr.Error()
		}
		return nil
	})
	p.countDelivery(d.Event, derr, last)
	p.logAttempt(ctx, rec, d, status, derr, last, err)
	return derr
}

// logAttempt logs a webhook attempt; werr is the failure to record it.
func (p *Pipeline) logAttempt(ctx context.Context, rec *tasks.Record, d *tasks.Delivery, status int, derr error, last bool, werr error) {
	log := p.recLog(ctx, rec).With().Str("event", d.Event).Str("webhook_id", d.ID).Int("status", status).Logger()
	if werr != nil {
		log.Warn().Err(werr).Msg("could not record the webhook attempt")
	}
	switch {
	case derr == nil:
		log.Info().Msg("webhook delivered")
	case last:
		log.Error().Err(derr).Msg("webhook exhausted its attempts; re-send it with POST /v1/payouts/{id}/webhook")
	default:
		log.Warn().Err(derr).Msg("webhook not delivered; retrying")
	}
}

// lastAttempt reports whether a failed attempt was the round's last: asynq
// archives the task after it.
func lastAttempt(ctx context.Context, err error) bool {
	retried, ok1 := asynq.GetRetryCount(ctx)
	maxRetry, ok2 := asynq.GetMaxRetry(ctx)
	return ok1 && ok2 && classify(err).Failure && retried >= maxRetry
}

// deliver POSTs d's body to target with the Standard Webhooks headers and
// returns the answer's status (0: none). Errors name the target's host only:
// a notify_url may carry a token in its path or query.
func (p *Pipeline) deliver(ctx context.Context, target string, d *tasks.Delivery) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(d.Body))
	if err != nil {
		return 0, fmt.Errorf("%w: webhook: invalid notify_url", asynq.SkipRetry)
	}
	p.setWebhookHeaders(req.Header, d)
	resp, err := p.cfg.WebhookClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, fmt.Errorf("webhook to %s: %w", req.URL.Host, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, &notDeliveredError{status: resp.StatusCode}
	}
	return resp.StatusCode, nil
}

func (p *Pipeline) setWebhookHeaders(h http.Header, d *tasks.Delivery) {
	now := p.now()
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "payoutd")
	h.Set(WebhookIDHeader, d.ID)
	h.Set(WebhookTimestampHeader, strconv.FormatInt(now.Unix(), 10))
	if len(p.cfg.WebhookSecrets) > 0 {
		h.Set(WebhookSignatureHeader, SignWebhook(p.cfg.WebhookSecrets, d.ID, now, d.Body))
	}
}

// ResendWebhook re-sends the payout's latest event (the one with the highest
// Version) in a new round: a fresh schedule of attempts, the same
// webhook-id and body. A round still in progress is left to finish (nothing
// changes). It returns the delivery without its body; ErrNotFound for no
// such payout, ErrNoEvent for a payout without an event.
func (p *Pipeline) ResendWebhook(ctx context.Context, id string) (*tasks.Delivery, error) {
	if _, err := p.cfg.Store.Get(ctx, id); err != nil {
		return nil, err
	}
	all, err := p.cfg.Store.Deliveries(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, ErrNoEvent
	}
	latest := all[len(all)-1]
	over := latest.Done() || p.roundArchived(latest)
	d, err := p.cfg.Store.UpdateDelivery(ctx, id, latest.Event, func(x *tasks.Delivery) error {
		if x.Done() || over && x.Round == latest.Round {
			x.Round, x.DeliveredAt, x.Exhausted = x.Round+1, nil, false
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := p.enqueueNotify(ctx, id, d.Event, d.Round); err != nil {
		return nil, err
	}
	d.Body = nil
	return d, nil
}

// roundArchived reports whether the task of d's current round is archived
// although d is not marked over: its last attempt could not be recorded, or
// the task failed before it reached the receiver.
func (p *Pipeline) roundArchived(d *tasks.Delivery) bool {
	info, err := p.cfg.Inspector.GetTaskInfo(p.cfg.Queues.Notify, tasks.NotifyTaskID(d.ID, d.Round))
	return err == nil && info.State == asynq.TaskStateArchived
}
