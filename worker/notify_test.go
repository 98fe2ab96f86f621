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
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Two Standard Webhooks secrets, as during a rotation.
const (
	testSecret     = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	testNextSecret = "whsec_dGhlIG5leHQgc2VjcmV0LCBkdXJpbmcgYSByb3RhdGlvbg=="
)

// delivery is one webhook request a webhookReceiver got.
type delivery struct {
	header http.Header
	body   []byte
	status int // what the receiver answered
}

// webhookReceiver records the webhooks it gets. It answers the statuses
// queued by answer in turn, then status; it also tracks how many requests
// of one webhook-id were in flight at once.
type webhookReceiver struct {
	mu       sync.Mutex
	status   int
	script   []int
	hold     time.Duration
	got      []delivery
	inFlight map[string]int
	maxAtOne int
	url      string
}

func newWebhookReceiver(t testing.TB, status int) *webhookReceiver {
	w := &webhookReceiver{status: status, inFlight: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(srv.Close)
	w.url = srv.URL + "/hooks/payouts?token=abc"
	return w
}

func (w *webhookReceiver) serve(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get(WebhookIDHeader)
	w.mu.Lock()
	w.inFlight[id]++
	w.maxAtOne = max(w.maxAtOne, w.inFlight[id])
	status, hold := w.status, w.hold
	if len(w.script) > 0 {
		status, w.script = w.script[0], w.script[1:]
	}
	w.mu.Unlock()
	time.Sleep(hold) // a slow receiver: widens the window for overlaps
	w.mu.Lock()
	w.inFlight[id]--
	w.got = append(w.got, delivery{header: r.Header.Clone(), body: body, status: status})
	w.mu.Unlock()
	rw.WriteHeader(status)
}

// answer queues statuses for the next requests.
func (w *webhookReceiver) answer(statuses ...int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.script = append(w.script, statuses...)
}

func (w *webhookReceiver) setStatus(status int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.status = status
}

// deliveries returns the webhooks received so far.
func (w *webhookReceiver) deliveries() []delivery {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]delivery(nil), w.got...)
}

func (w *webhookReceiver) maxConcurrent() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.maxAtOne
}

// notifyTaskID is the TaskID of the first round of payout id's event.
func notifyTaskID(id, event string) string {
	return tasks.NotifyTaskID(tasks.WebhookEventID(id, event), 0)
}

// notify runs one attempt of round 0 of payout id's event, as asynq would
// outside a retry.
func (h *harness) notify(id, event string) error {
	task, _ := tasks.NewNotifyTask(h.queues, id, event, 0, time.Minute)
	return h.p.HandleNotify(context.Background(), task)
}

// settled takes a new payout with notify_url target to succeeded.
func (h *harness) settled(target string) string {
	h.t.Helper()
	req := newRequest(goodAddress)
	req.NotifyURL = target
	id := h.create(req).ThirdPartyID
	_ = h.submit(id)
	h.pollUntilTerminal(id)
	return id
}

// delivery returns payout id's delivery of event; a zero one while there is
// none.
func (h *harness) delivery(id, event string) *tasks.Delivery {
	h.t.Helper()
	d, err := h.store.Delivery(context.Background(), id, event)
	if errors.Is(err, tasks.ErrNotFound) {
		return &tasks.Delivery{}
	}
	if err != nil {
		h.t.Fatalf("delivery %s %s: %v", id, event, err)
	}
	return d
}

// webhookRun runs a Server whose retry delays are scaled down, so the
// webhook schedule (about 24h) takes about a second.
func (h *harness) webhookRun() {
	h.runServer(h.p, ServerConfig{TaskCheckInterval: 10 * time.Millisecond, retryScale: 1e-5})
}

// decodeEvent decodes a webhook body into its envelope and record.
func decodeEvent(t testing.TB, body []byte) (string, time.Time, *tasks.Record) {
	t.Helper()
	var ev WebhookEvent
	if err := json.Unmarshal(body, &ev); err != nil || ev.Data == nil {
		t.Fatalf("body %s: %v", body, err)
	}
	return ev.Type, ev.Timestamp, ev.Data
}

func TestWebhookDelivery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("AnEventVerifiesWithTheReferenceLibraryUnderBothRotationSecrets", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, []testOption{func(c *Config) { c.WebhookSecrets = []string{testSecret, testNextSecret} }})
		recv := newWebhookReceiver(t, http.StatusNoContent)
		req := newRequest(goodAddress)
		req.NotifyURL, req.Metadata = recv.url, json.RawMessage(`{"order":"A-17"}`)
		id := h.create(req).ThirdPartyID
		_ = h.submit(id)
		h.pollUntilTerminal(id)
		if st := h.taskState(h.queues.Notify, notifyTaskID(id, "succeeded")); st != asynq.TaskStatePending {
			t.Fatalf("notify task state %v, want pending", st)
		}
		if err := h.notify(id, "succeeded"); err != nil {
			t.Fatalf("notify: %v", err)
		}
		got := recv.deliveries()
		if len(got) != 1 {
			t.Fatalf("received %d webhooks, want 1", len(got))
		}
		d := got[0]
		for _, secret := range []string{testSecret, testNextSecret} {
			wh, err := standardwebhooks.NewWebhook(secret)
			if err != nil {
				t.Fatal(err)
			}
			if err := wh.Verify(d.body, d.header); err != nil {
				t.Errorf("the reference library refuses the delivery: %v", err)
			}
			if err := VerifyWebhook(secret, d.header, d.body, time.Now(), time.Minute); err != nil {
				t.Errorf("VerifyWebhook refuses the delivery: %v", err)
			}
		}
		if sigs := strings.Fields(d.header.Get(WebhookSignatureHeader)); len(sigs) != 2 {
			t.Errorf("signatures %q; want two, one per secret", sigs)
		}
		other, _ := standardwebhooks.NewWebhook("whsec_b3RoZXIgc2VjcmV0")
		if other.Verify(d.body, d.header) == nil {
			t.Error("a third secret verifies the delivery")
		}
		typ, ts, rec := decodeEvent(t, d.body)
		if typ != "payout.succeeded" || rec.ThirdPartyID != id || string(rec.Metadata) != `{"order":"A-17"}` ||
			!ts.Equal(h.get(id).UpdatedAt) || rec.Version != h.get(id).Version {
			t.Errorf("event %s at %v for %s, metadata %s, version %d; want payout.succeeded at the record's time, with its metadata and version",
				typ, ts, rec.ThirdPartyID, rec.Metadata, rec.Version)
		}
		if d.header.Get(WebhookIDHeader) != tasks.WebhookEventID(id, "succeeded") {
			t.Errorf("webhook-id %q, want the event's id", d.header.Get(WebhookIDHeader))
		}
		dl := h.delivery(id, "succeeded")
		if dl.Attempts != 1 || dl.LastStatus != http.StatusNoContent || dl.DeliveredAt == nil {
			t.Errorf("delivery %+v; want 1 attempt, 204, delivered", dl)
		}
	})

	t.Run("AReceiverFailingTwiceGetsOneSuccessfulDeliveryWithOneWebhookID", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, []testOption{func(c *Config) { c.WebhookSecrets = []string{testSecret} }})
		recv := newWebhookReceiver(t, http.StatusOK)
		recv.answer(http.StatusInternalServerError, http.StatusInternalServerError)
		id := h.settled(recv.url)
		h.webhookRun()
		eventually(t, 10*time.Second, func() bool {
			return h.delivery(id, "succeeded").DeliveredAt != nil &&
				h.taskState(h.queues.Notify, notifyTaskID(id, "succeeded")) == 0
		}, "the webhook was never delivered")
		got := recv.deliveries()
		ok := 0
		for _, d := range got {
			if d.header.Get(WebhookIDHeader) != got[0].header.Get(WebhookIDHeader) || string(d.body) != string(got[0].body) {
				t.Errorf("attempts differ in webhook-id or body: %q vs %q", d.header.Get(WebhookIDHeader), got[0].header.Get(WebhookIDHeader))
			}
			if d.status == http.StatusOK {
				ok++
			}
		}
		if len(got) != 3 || ok != 1 {
			t.Fatalf("received %d attempts, %d acknowledged; want 3 and 1", len(got), ok)
		}
		dl := h.delivery(id, "succeeded")
		if dl.Attempts != 3 || dl.LastStatus != http.StatusOK || dl.Exhausted {
			t.Errorf("delivery %+v; want 3 attempts, last 200", dl)
		}
		if f, d := metricValue(t, h.metrics.Webhooks.WithLabelValues("succeeded", "failed")),
			metricValue(t, h.metrics.Webhooks.WithLabelValues("succeeded", "delivered")); f != 2 || d != 1 {
			t.Errorf("metrics: failed %v, delivered %v; want 2 and 1", f, d)
		}
	})

	t.Run("ConcurrentRunsNeverDeliverOneEventTwiceAtOnce", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		recv := newWebhookReceiver(t, http.StatusOK)
		recv.hold = 50 * time.Millisecond
		id := h.settled(recv.url)
		var wg sync.WaitGroup
		for range 8 { // asynq running the task twice, replays ensuring it again
			wg.Add(2)
			go func() { defer wg.Done(); _ = h.notify(id, "succeeded") }()
			go func() { defer wg.Done(); _ = h.p.ensureNotify(ctx, h.get(id)) }()
		}
		wg.Wait()
		if n, m := len(recv.deliveries()), recv.maxConcurrent(); n != 1 || m != 1 {
			t.Fatalf("received %d deliveries, %d at once; want exactly one", n, m)
		}
	})

	t.Run("ConcurrentCallbacksSettlingAPayoutDeliverItsEventOnce", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		recv := newWebhookReceiver(t, http.StatusOK)
		recv.hold = 20 * time.Millisecond
		req := newRequest(goodAddress)
		req.NotifyURL = recv.url
		id := h.create(req).ThirdPartyID
		h.fake.SetFate(id, cregis.StatusSucceeded)
		if err := h.submit(id); err != nil {
			t.Fatal(err)
		}
		cid := cidOf(t, h.get(id))
		eventually(t, 5*time.Second, func() bool {
			fp, _ := h.fake.Payout(cid)
			return fp.Status == cregis.StatusSucceeded
		}, "the fake's payout never succeeded")
		h.webhookRun()
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = h.p.ApplyCallback(ctx, &cregis.Callback{ThirdPartyID: id, CID: cid, Status: cregis.StatusSucceeded})
			}()
		}
		wg.Wait()
		eventually(t, 10*time.Second, func() bool { return h.delivery(id, "succeeded").DeliveredAt != nil }, "never delivered")
		if n, m := len(recv.deliveries()), recv.maxConcurrent(); n != 1 || m != 1 {
			t.Fatalf("received %d deliveries, %d at once; want exactly one", n, m)
		}
		h.assertCreatedOnce(id)
	})

	t.Run("VersionsStrictlyIncreaseAcrossAPayoutsEvents", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		recv := newWebhookReceiver(t, http.StatusOK)
		req := newRequest(goodAddress)
		req.NotifyURL = recv.url
		id := h.create(req).ThirdPartyID
		h.fake.SetErrorStorm("E0001") // a configuration error: held
		if err := h.submit(id); !errors.As(err, new(*heldError)) {
			t.Fatalf("submit: %v, want held", err)
		}
		_ = h.submit(id) // held again: no second held event
		h.fake.ClearErrorStorm()
		h.fake.SetFate(id, cregis.StatusSucceeded)
		if err := h.submit(id); err != nil {
			t.Fatal(err)
		}
		h.pollUntilTerminal(id)
		h.webhookRun()
		eventually(t, 10*time.Second, func() bool { return len(recv.deliveries()) == 2 }, "want the held and the succeeded events")
		versions := map[string]int64{}
		for _, d := range recv.deliveries() { // in any order: the version orders them
			typ, _, rec := decodeEvent(t, d.body)
			versions[typ] = rec.Version
		}
		if versions["payout.held"] == 0 || versions["payout.held"] >= versions["payout.succeeded"] {
			t.Errorf("versions %v; want held's below succeeded's", versions)
		}
		all, _ := h.store.Deliveries(ctx, id)
		if len(all) != 2 || all[0].Event != EventHeld || all[1].Event != "succeeded" || all[0].Version >= all[1].Version {
			t.Errorf("deliveries %+v; want held then succeeded, in version order", all)
		}
		typ, _, rec := decodeEvent(t, all[0].Body)
		if typ != "payout.held" || rec.State != tasks.StateSubmitting || !strings.Contains(rec.LastError, "E0001") {
			t.Errorf("held event %s of a %s record (%q); want payout.held of the held record", typ, rec.State, rec.LastError)
		}
	})

	t.Run("AnUnconfirmedPayoutSendsItsEvent", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		recv := newWebhookReceiver(t, http.StatusOK)
		req := newRequest(goodAddress)
		req.NotifyURL = recv.url
		id := h.create(req).ThirdPartyID
		h.unknownToUs(id, cregis.StatusSucceeded) // the create was applied, its answer lost
		if err := h.submit(id); err != nil {      // E0009: unconfirmed
			t.Fatal(err)
		}
		if st := h.get(id).State; st != tasks.StateUnconfirmed {
			t.Fatalf("state %s, want unconfirmed", st)
		}
		if err := h.notify(id, EventUnconfirmed); err != nil {
			t.Fatal(err)
		}
		if got := recv.deliveries(); len(got) != 1 {
			t.Fatalf("received %d, want the unconfirmed event", len(got))
		} else if typ, _, _ := decodeEvent(t, got[0].body); typ != "payout.unconfirmed" {
			t.Errorf("type %s, want payout.unconfirmed", typ)
		}
	})

	t.Run("NotifyURLIsTheDefaultDestination", func(t *testing.T) {
		t.Parallel()
		def, own := newWebhookReceiver(t, http.StatusOK), newWebhookReceiver(t, http.StatusOK)
		h := newHarness(t, []testOption{func(c *Config) { c.NotifyURL = def.url }})
		plain := h.newPayout()
		_ = h.submit(plain)
		h.pollUntilTerminal(plain)
		mine := h.settled(own.url)
		for _, id := range []string{plain, mine} {
			if err := h.notify(id, "succeeded"); err != nil {
				t.Fatal(err)
			}
		}
		d, o := def.deliveries(), own.deliveries()
		if len(d) != 1 || len(o) != 1 {
			t.Fatalf("default got %d, own got %d; want one each", len(d), len(o))
		}
		if _, _, rec := decodeEvent(t, d[0].body); rec.ThirdPartyID != plain {
			t.Errorf("the default destination got %s, want %s", rec.ThirdPartyID, plain)
		}
	})

	t.Run("WithoutADestinationThereIsNoEvent", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		_ = h.submit(id)
		h.pollUntilTerminal(id)
		if st := h.taskState(h.queues.Notify, notifyTaskID(id, "succeeded")); st != 0 {
			t.Errorf("notify task state %v, want none", st)
		}
		if _, err := h.p.ResendWebhook(ctx, id); !errors.Is(err, ErrNoEvent) {
			t.Errorf("resend: %v, want ErrNoEvent", err)
		}
		if _, err := h.p.ResendWebhook(ctx, "no-such-payout"); !errors.Is(err, tasks.ErrNotFound) {
			t.Errorf("resend of an unknown payout: %v, want ErrNotFound", err)
		}
	})

	t.Run("AnExhaustedEventIsVisibleAndCanBeResent", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		recv := newWebhookReceiver(t, http.StatusServiceUnavailable)
		id := h.settled(recv.url)
		h.webhookRun()
		eventually(t, 20*time.Second, func() bool { return h.delivery(id, "succeeded").Exhausted }, "never exhausted")
		if st := h.taskState(h.queues.Notify, notifyTaskID(id, "succeeded")); st != asynq.TaskStateArchived {
			t.Errorf("task state %v, want archived", st)
		}
		dl := h.delivery(id, "succeeded")
		if dl.Attempts != tasks.NotifyMaxRetry+1 || dl.LastStatus != http.StatusServiceUnavailable || !strings.Contains(dl.LastError, "503") {
			t.Errorf("delivery %+v; want 16 attempts, last 503", dl)
		}
		if e := metricValue(t, h.metrics.Webhooks.WithLabelValues("succeeded", "exhausted")); e != 1 {
			t.Errorf("exhausted counted %v, want 1", e)
		}
		recv.setStatus(http.StatusOK)
		re, err := h.p.ResendWebhook(ctx, id)
		if err != nil || re.Round != 1 || re.Exhausted || re.Body != nil {
			t.Fatalf("resend: %+v, %v; want round 1, not exhausted, no body", re, err)
		}
		eventually(t, 10*time.Second, func() bool { return h.delivery(id, "succeeded").DeliveredAt != nil }, "the resend was never delivered")
		got := recv.deliveries()
		if len(got) != tasks.NotifyMaxRetry+2 || got[len(got)-1].header.Get(WebhookIDHeader) != got[0].header.Get(WebhookIDHeader) {
			t.Errorf("received %d attempts; want 17 with one webhook-id", len(got))
		}
		if _, err := h.p.ResendWebhook(ctx, id); err != nil {
			t.Fatalf("a second resend: %v", err)
		}
		eventually(t, 10*time.Second, func() bool { return len(recv.deliveries()) == tasks.NotifyMaxRetry+3 }, "a delivered event is re-sent on request too")
	})

	t.Run("AnArchivedRoundNotMarkedOverCanStillBeResent", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		recv := newWebhookReceiver(t, http.StatusOK)
		id := h.settled(recv.url) // its round 0 task is pending
		if err := h.insp.ArchiveTask(h.queues.Notify, notifyTaskID(id, "succeeded")); err != nil {
			t.Fatal(err) // as if its last attempt could not be recorded
		}
		re, err := h.p.ResendWebhook(ctx, id)
		if err != nil || re.Round != 1 {
			t.Fatalf("resend: %+v, %v; want round 1", re, err)
		}
		task, _ := tasks.NewNotifyTask(h.queues, id, "succeeded", 1, time.Minute)
		if err := h.p.HandleNotify(ctx, task); err != nil {
			t.Fatal(err)
		}
		if len(recv.deliveries()) != 1 || h.delivery(id, "succeeded").DeliveredAt == nil {
			t.Error("the resent round was not delivered")
		}
	})

	t.Run("ATaskFromBeforeEventsEnsuresItsEvent", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		recv := newWebhookReceiver(t, http.StatusOK)
		id := h.settled(recv.url)
		if err := h.insp.DeleteTask(h.queues.Notify, notifyTaskID(id, "succeeded")); err != nil {
			t.Fatal(err)
		}
		old := asynq.NewTask(tasks.TypeNotify, []byte(`{"third_party_id":"`+id+`"}`))
		if err := h.p.HandleNotify(ctx, old); err != nil {
			t.Fatal(err)
		}
		if st := h.taskState(h.queues.Notify, notifyTaskID(id, "succeeded")); st != asynq.TaskStatePending {
			t.Errorf("task state %v, want the event's task pending", st)
		}
	})

	t.Run("ANon2xxAnswerIsAFailureAndAnErrorNamesTheHostOnly", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		recv := newWebhookReceiver(t, http.StatusBadGateway)
		id := h.settled(recv.url)
		err := h.notify(id, "succeeded")
		var nd *notDeliveredError
		if !errors.As(err, &nd) || !isFailure(err) {
			t.Fatalf("notify: got %v, want a not-delivered failure", err)
		}
		if got := recv.deliveries(); len(got) != 1 || got[0].header.Get(WebhookSignatureHeader) != "" {
			t.Errorf("want one delivery, unsigned without a secret")
		}
		down := h.settled("http://127.0.0.1:1/hook?token=secret-token")
		err = h.notify(down, "succeeded")
		if err == nil || strings.Contains(err.Error(), "secret-token") || strings.Contains(h.delivery(down, "succeeded").LastError, "secret-token") {
			t.Errorf("notify: got %v, want an error without the token", err)
		}
	})
}

func TestWebhookScheduleIsAbout16AttemptsOver24Hours(t *testing.T) {
	var total time.Duration
	for n := range tasks.NotifyMaxRetry {
		total += retryDelay(n, &notDeliveredError{status: 500}, asynq.NewTask(tasks.TypeNotify, nil))
	}
	if total < 23*time.Hour || total > 28*time.Hour {
		t.Errorf("%d retries wait %v in all, want about 24h", tasks.NotifyMaxRetry, total)
	}
	if d := retryDelay(0, errBusy, asynq.NewTask(tasks.TypeNotify, nil)); d > 3*time.Second {
		t.Errorf("a busy lease waits %v, want the short busy delay", d)
	}
}
