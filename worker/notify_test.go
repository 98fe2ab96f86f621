package worker

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/tasks"
)

// webhookReceiver records the webhooks it gets, answering status.
type webhookReceiver struct {
	mu     sync.Mutex
	status int
	bodies [][]byte
	sigs   []string
	url    string
}

func newWebhookReceiver(t testing.TB, status int) *webhookReceiver {
	w := &webhookReceiver{status: status}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		w.bodies, w.sigs = append(w.bodies, body), append(w.sigs, r.Header.Get(WebhookSignatureHeader))
		status := w.status
		w.mu.Unlock()
		rw.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	w.url = srv.URL + "/hooks/payouts?token=abc"
	return w
}

// got returns the webhooks received so far: bodies and signatures.
func (w *webhookReceiver) got() ([][]byte, []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bodies, w.sigs
}

func (h *harness) notify(id string) error {
	task, _ := tasks.NewNotifyTask(h.queues, id, time.Minute)
	return h.p.HandleNotify(context.Background(), task)
}

func TestNotify(t *testing.T) {
	t.Parallel()
	const secret = "whsec-test"

	t.Run("ATerminalPayoutIsDeliveredSignedWithItsMetadata", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, []testOption{func(c *Config) { c.WebhookSecret = secret }})
		recv := newWebhookReceiver(t, http.StatusNoContent)
		req := newRequest(goodAddress)
		req.NotifyURL, req.Metadata = recv.url, json.RawMessage(`{"order":"A-17"}`)
		id := h.create(req).ThirdPartyID
		_ = h.submit(id)
		h.pollUntilTerminal(id)
		if st := h.taskState(h.queues.Notify, tasks.NotifyTaskID(id)); st != asynq.TaskStatePending {
			t.Fatalf("notify task state %v, want pending", st)
		}
		if err := h.notify(id); err != nil {
			t.Fatalf("notify: %v", err)
		}
		bodies, sigs := recv.got()
		if len(bodies) != 1 {
			t.Fatalf("received %d webhooks, want 1", len(bodies))
		}
		if err := VerifyWebhook(secret, sigs[0], bodies[0], time.Now(), time.Minute); err != nil {
			t.Errorf("signature %q does not verify: %v", sigs[0], err)
		}
		var ev struct {
			Event  string
			Payout struct {
				ThirdPartyID string          `json:"third_party_id"`
				State        string          `json:"state"`
				Metadata     json.RawMessage `json:"metadata"`
			}
		}
		if err := json.Unmarshal(bodies[0], &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Event != "payout.succeeded" || ev.Payout.ThirdPartyID != id || string(ev.Payout.Metadata) != `{"order":"A-17"}` {
			t.Errorf("event %q for %q with metadata %s; want payout.succeeded for %s with the metadata", ev.Event, ev.Payout.ThirdPartyID, ev.Payout.Metadata, id)
		}
	})

	t.Run("ARejectedPayoutIsNotifiedToo", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		addr := "TNotifyRejected0000000000000000000"
		h.fake.MarkAddressInvalid(addr)
		req := newRequest(addr)
		req.NotifyURL = "https://example.invalid/hook"
		id := h.create(req).ThirdPartyID
		_ = h.submit(id)
		if st := h.taskState(h.queues.Notify, tasks.NotifyTaskID(id)); st != asynq.TaskStatePending {
			t.Errorf("notify task state %v, want pending", st)
		}
	})

	t.Run("APayoutWithoutNotifyURLGetsNoTask", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		_ = h.submit(id)
		h.pollUntilTerminal(id)
		if st := h.taskState(h.queues.Notify, tasks.NotifyTaskID(id)); st != 0 {
			t.Errorf("notify task state %v, want none", st)
		}
	})

	t.Run("ANon2xxAnswerIsRetriedAsAFailure", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		recv := newWebhookReceiver(t, http.StatusBadGateway)
		req := newRequest(goodAddress)
		req.NotifyURL = recv.url
		id := h.create(req).ThirdPartyID
		_ = h.submit(id)
		h.pollUntilTerminal(id)
		err := h.notify(id)
		var nd *notDeliveredError
		if !errors.As(err, &nd) || !isFailure(err) {
			t.Fatalf("notify: got %v, want a not-delivered failure", err)
		}
		if _, sigs := recv.got(); len(sigs) != 1 || sigs[0] != "" {
			t.Errorf("signatures %q; want one delivery, unsigned without a secret", sigs)
		}
	})

	t.Run("AnErrorNamesTheHostOnlyNeverTheURLsToken", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		req := newRequest(goodAddress)
		req.NotifyURL = "http://127.0.0.1:1/hook?token=secret-token"
		id := h.create(req).ThirdPartyID
		_ = h.submit(id)
		h.pollUntilTerminal(id)
		err := h.notify(id)
		if err == nil || strings.Contains(err.Error(), "secret-token") {
			t.Errorf("notify: got %v, want an error without the token", err)
		}
	})
}
