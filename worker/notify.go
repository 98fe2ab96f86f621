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
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/tasks"
)

// notifyRetention keeps a delivered notify task's TaskID ("notify:<id>")
// reserved for a day, so that the handlers that ensure it again (they do
// whenever they meet a terminal record) do not deliver twice.
const notifyRetention = 24 * time.Hour

// WebhookEvent is the JSON body POSTed to a payout's notify_url once it is
// terminal.
type WebhookEvent struct {
	// Event is "payout.succeeded", "payout.failed", "payout.rejected" or
	// "payout.canceled".
	Event string `json:"event"`
	// Payout is the record, the request's metadata included.
	Payout *tasks.Record `json:"payout"`
}

// ensureNotify enqueues the notify task of a terminal record that asked for
// one.
func (p *Pipeline) ensureNotify(ctx context.Context, rec *tasks.Record) error {
	if rec.NotifyURL == "" || !rec.State.Terminal() {
		return nil
	}
	t, err := tasks.NewNotifyTask(p.cfg.Queues, rec.ThirdPartyID, p.cfg.WebhookClient.Timeout+10*time.Second)
	if err != nil {
		return err
	}
	return p.enqueue(ctx, t, asynq.Retention(notifyRetention))
}

// HandleNotify handles tasks.TypeNotify: it POSTs a WebhookEvent to the
// payout's notify_url, signed (see SignWebhook) when Config.WebhookSecret is
// set. Any answer but 2xx is retried with backoff.
func (p *Pipeline) HandleNotify(ctx context.Context, t *asynq.Task) error {
	pl, err := tasks.ParseNotify(t)
	if err != nil {
		return err
	}
	return skipIfPermanent(p.notify(ctx, pl.ThirdPartyID))
}

func (p *Pipeline) notify(ctx context.Context, id string) error {
	rec, err := p.cfg.Store.Get(ctx, id)
	if err != nil {
		return err
	}
	if rec.NotifyURL == "" || !rec.State.Terminal() {
		return nil
	}
	body, err := json.Marshal(WebhookEvent{Event: "payout." + string(rec.State), Payout: rec})
	if err != nil {
		return fmt.Errorf("%w: encode webhook: %v", asynq.SkipRetry, err)
	}
	if err := p.deliver(ctx, rec.NotifyURL, body); err != nil {
		p.recLog(ctx, rec).Warn().Err(err).Msg("webhook not delivered; retrying")
		return err
	}
	p.recLog(ctx, rec).Info().Msg("webhook delivered")
	return nil
}

// deliver POSTs body to target. Errors name the target's host only: a
// notify_url may carry a token in its path or query.
func (p *Pipeline) deliver(ctx context.Context, target string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: webhook: invalid notify_url", asynq.SkipRetry)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "payoutd")
	if p.cfg.WebhookSecret != "" {
		req.Header.Set(WebhookSignatureHeader, SignWebhook(p.cfg.WebhookSecret, p.now(), body))
	}
	resp, err := p.cfg.WebhookClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("webhook to %s: %w", req.URL.Host, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return &notDeliveredError{status: resp.StatusCode}
	}
	return nil
}
