package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
	"github.com/payoutd/payoutd/internal/metrics"
	"github.com/payoutd/payoutd/internal/redistest"
	"github.com/payoutd/payoutd/tasks"
	"github.com/payoutd/payoutd/worker"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"
)

const apiToken = "api-test-token-0123456789"

// world is a Handler over real parts: a private Redis, the fake Cregis, a
// record store, a producer and a pipeline. No worker runs: these tests look
// at the HTTP layer, and tasks stay queued.
type world struct {
	h       *Handler
	srv     *httptest.Server
	fake    *cregistest.Server
	store   *tasks.Store
	metrics *metrics.Metrics
	reg     *prometheus.Registry
}

func newWorld(t testing.TB, edit func(*Config)) *world {
	t.Helper()
	r := redistest.New(t)
	return newWorldOn(t, r.Client(t), r.Prefix, tasks.StoreConfig{KeyPrefix: r.Prefix},
		MonitorConfig{User: "ops", Password: "monitor-pw", Redis: r.AsynqOpt()}, edit)
}

// newWorldOn is a world over rdb with the store configured by sc.
func newWorldOn(t testing.TB, rdb redis.UniversalClient, prefix string, sc tasks.StoreConfig, mon MonitorConfig, edit func(*Config)) *world {
	t.Helper()
	fake := cregistest.NewServer(t)
	queues := tasks.NewQueues(prefix)
	store := tasks.NewStore(rdb, sc)
	client := asynq.NewClientFromRedisClient(rdb)
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	p, err := worker.NewPipeline(worker.Config{Redis: rdb, Asynq: client, Cregis: fake.Client(), Store: store,
		Queues: queues, KeyPrefix: prefix, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		API: true, Store: store, Pipeline: p, Cregis: fake.Client(), Tokens: []string{apiToken},
		Producer: tasks.NewProducer(tasks.ProducerConfig{Store: store, Client: client, Decimals: tasks.BuiltinDecimals, Queues: queues}),
		Monitor:  mon, Gatherer: reg, Metrics: m,
	}
	if edit != nil {
		edit(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &world{h: h, srv: srv, fake: fake, store: store, metrics: m, reg: reg}
}

// payoutBody is a valid request for id.
func payoutBody(id, amount string) string {
	return fmt.Sprintf(`{"third_party_id":%q,"currency":"195@195","to_address":"T-%s","amount":%q}`, id, id, amount)
}

func TestCreatePayoutAnswers202Then200Then409(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	steps := []struct {
		desc, body string
		want       int
	}{
		{"a new payout is accepted", payoutBody("p-1", "1.5"), http.StatusAccepted},
		{"the same payout again returns the record", payoutBody("p-1", "1.5"), http.StatusOK},
		{"the same id with another amount conflicts", payoutBody("p-1", "2"), http.StatusConflict},
	}
	for _, s := range steps {
		rec := serve(w.h, "POST", "/v1/payouts", apiToken, strings.NewReader(s.body))
		if rec.Code != s.want {
			t.Fatalf("%s: got %d %s want %d", s.desc, rec.Code, rec.Body, s.want)
		}
	}
	rec := serve(w.h, "GET", "/v1/payouts/p-1", apiToken, nil)
	for _, field := range []string{`"third_party_id":"p-1"`, `"state":"queued"`, `"amount":"1.5"`, `"history":[`, `"created_at":`} {
		if !strings.Contains(rec.Body.String(), field) {
			t.Errorf("GET: body lacks %s: %s", field, rec.Body)
		}
	}
}

func TestARecordCarriesEveryContractFieldFromTheStart(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	if rec := serve(w.h, "POST", "/v1/payouts", apiToken, strings.NewReader(payoutBody("p-1", "1.5"))); rec.Code != http.StatusAccepted {
		t.Fatalf("POST: got %d %s", rec.Code, rec.Body)
	}
	rec := serve(w.h, "GET", "/v1/payouts/p-1", apiToken, nil)
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("GET: %v: %s", err, rec.Body)
	}
	// The names of issue 4's record: backends read them, set or not.
	for _, field := range []string{"third_party_id", "state", "cregis_status", "cid", "txid", "block_height",
		"block_time", "currency", "to_address", "amount", "attempts", "last_error", "created_at", "updated_at", "history"} {
		if _, ok := got[field]; !ok {
			t.Errorf("a queued record lacks %q: %s", field, rec.Body)
		}
	}
	if got["cregis_status"] != nil || got["cid"] != "" || got["block_time"] != float64(0) {
		t.Errorf("cregis_status %v, cid %v, block_time %v; want null, \"\" and 0 before Cregis answers", got["cregis_status"], got["cid"], got["block_time"])
	}
}

func TestCreatePayoutRefusesABodyThatIsNotJSON(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	req := httptest.NewRequest("POST", "/v1/payouts", strings.NewReader(payoutBody("m-1", "1")))
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	if e := errorOf(t, rec); rec.Code != http.StatusUnsupportedMediaType || e.Code != CodeUnsupportedMedia {
		t.Errorf("got %d %s want 415 %s", rec.Code, e.Code, CodeUnsupportedMedia)
	}
	if _, err := w.store.Get(context.Background(), "m-1"); !errors.Is(err, tasks.ErrNotFound) {
		t.Errorf("a refused request left a record: %v", err)
	}
}

func TestBearerTokensAreCheckedExactly(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	tests := []struct {
		desc, header string
		want         int
	}{
		{"the token", "Bearer " + apiToken, 200},
		{"the scheme in lower case", "bearer " + apiToken, 200},
		{"no header", "", 401},
		{"a prefix of the token", "Bearer " + apiToken[:10], 401},
		{"the token as basic auth", "Basic " + apiToken, 401},
		{"the bare token", apiToken, 401},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/v1/payouts", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			rec := httptest.NewRecorder()
			w.h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("got %d want %d", rec.Code, tt.want)
			}
			if tt.want == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
		})
	}
}

func TestMonitoringNeedsItsPasswordAndIsReadOnly(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	tests := []struct {
		desc, method, path, user, password string
		want                               int
	}{
		{"the UI without credentials", "GET", "/monitoring/", "", "", 401},
		{"the UI with a wrong password", "GET", "/monitoring/", "ops", "wrong", 401},
		{"the UI with a wrong user", "GET", "/monitoring/", "root", "monitor-pw", 401},
		{"the UI", "GET", "/monitoring/", "ops", "monitor-pw", 200},
		{"the queues API", "GET", "/monitoring/api/queues", "ops", "monitor-pw", 200},
		{"pausing a queue", "POST", "/monitoring/api/queues/q:pause", "ops", "monitor-pw", 405},
		{"deleting a queue", "DELETE", "/monitoring/api/queues/q", "ops", "monitor-pw", 405},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, w.srv.URL+tt.path, nil)
			if tt.user != "" {
				req.SetBasicAuth(tt.user, tt.password)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("got %d want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

func TestMonitoringCanBeMadeWritable(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(c *Config) { c.Monitor.Writable = true })
	serve(w.h, "POST", "/v1/payouts", apiToken, strings.NewReader(payoutBody("w-1", "1"))) // creates the queue
	queue := ""
	for _, q := range w.queuesOf(t) {
		if strings.HasSuffix(q, "payout_submit") {
			queue = q
		}
	}
	req := httptest.NewRequest("POST", "/monitoring/api/queues/"+queue+":pause", nil)
	req.SetBasicAuth("ops", "monitor-pw")
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		t.Errorf("pause %q with a writable UI: got %d %s want 2xx", queue, rec.Code, rec.Body)
	}
}

// queuesOf lists the asynq queues through the monitoring API.
func (w *world) queuesOf(t *testing.T) []string {
	req := httptest.NewRequest("GET", "/monitoring/api/queues", nil)
	req.SetBasicAuth("ops", "monitor-pw")
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	var names []string
	for _, part := range strings.Split(rec.Body.String(), `"queue":"`)[1:] {
		names = append(names, part[:strings.IndexByte(part, '"')])
	}
	return names
}

func TestReadyzReportsTheReadyFunc(t *testing.T) {
	t.Parallel()
	down := errors.New("redis: connection refused")
	ready := error(nil)
	w := newWorld(t, func(c *Config) { c.ReadyFunc = func(context.Context) error { return ready } })
	if rec := serve(w.h, "GET", "/readyz", "", nil); rec.Code != http.StatusOK {
		t.Errorf("ready: got %d want 200", rec.Code)
	}
	ready = down
	rec := serve(w.h, "GET", "/readyz", "", nil)
	if e := errorOf(t, rec); rec.Code != http.StatusServiceUnavailable || e.Code != CodeUnavailable {
		t.Errorf("not ready: got %d %s want 503 unavailable", rec.Code, e.Code)
	}
}

func TestMetricsServeTheRegistry(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	w.metrics.Callbacks.WithLabelValues("applied").Inc()
	rec := serve(w.h, "GET", "/metrics", "", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `payoutd_callbacks_total{result="applied"} 1`) {
		t.Errorf("GET /metrics: got %d, want the registry's collectors:\n%s", rec.Code, rec.Body)
	}
}

func TestACallbackIsAcknowledgedOnlyOnceItsHintIsRecorded(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	serve(w.h, "POST", "/v1/payouts", apiToken, strings.NewReader(payoutBody("cb-1", "1")))
	cid, err := w.fake.Client().Payout(context.Background(), cregis.PayoutRequest{
		Currency: "195@195", ToAddress: "T-cb-1", Amount: "1", ThirdPartyID: "cb-1", CallbackURL: w.srv.URL + "/cregis/callback"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.Update(context.Background(), "cb-1", "test: create made by hand", func(r *tasks.Record) error {
		r.State = tasks.StateSubmitting
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	awaitStatus(t, w.fake, cid, cregis.StatusSucceeded)
	d, err := w.fake.PushCallback(cid)
	if err != nil || !d.Acked || d.Response != cregis.CallbackAck {
		t.Fatalf("callback: got HTTP %d %q (%v), want 200 %q", d.StatusCode, d.Response, err, cregis.CallbackAck)
	}
	// A callback is a claim: recorded as a hint, to be confirmed by a query
	// (the worker's confirm task), and nothing else changes.
	rec, err := w.store.Get(context.Background(), "cb-1")
	if err != nil || rec.State != tasks.StateSubmitting || rec.CID != "" || rec.PendingHint(fmt.Sprint(cid)) == nil {
		t.Errorf("record: got %+v (%v), want submitting, no cid, a pending hint about cid %d", rec, err, cid)
	}
}

func TestTheVerificationEndpointAnswersOkOrDenyAsPlainText(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	serve(w.h, "POST", "/v1/payouts", apiToken, strings.NewReader(payoutBody("vf-1", "1")))
	if _, err := w.store.Update(context.Background(), "vf-1", "test: create about to be made", func(r *tasks.Record) error {
		r.State = tasks.StateSubmitting
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	fields := map[string]any{"pid": w.fake.PID, "cid": int64(9007199254740993), "third_party_id": "vf-1",
		"chain_id": "195", "token_id": "195", "from_address": "", "to_address": "T-vf-1", "amount": "1.0"}
	tests := []struct {
		desc   string
		edit   func(map[string]any)
		sign   bool
		status int
		body   string
	}{
		{"a request for the payout payoutd is creating", nil, true, 200, cregis.VerificationApprove},
		{"the same request again", nil, true, 200, cregis.VerificationApprove},
		{"the same cid with another amount", func(f map[string]any) { f["amount"] = "2" }, true, 200, cregis.VerificationDeny},
		{"a second cid for the payout", func(f map[string]any) { f["cid"] = int64(9007199254740995) }, true, 200, cregis.VerificationDeny},
		{"a payout payoutd never made", func(f map[string]any) { f["third_party_id"] = "vf-unknown" }, true, 200, cregis.VerificationDeny},
		{"a forged sign", func(f map[string]any) { f["sign"] = "00000000000000000000000000000000" }, false, 401, ""},
	}
	for _, tt := range tests {
		f := maps.Clone(fields)
		if tt.edit != nil {
			tt.edit(f)
		}
		d := w.fake.SendVerification(w.srv.URL+"/cregis/verify", f, tt.sign)
		if d.StatusCode != tt.status || (tt.body != "" && d.Response != tt.body) {
			t.Errorf("%s: got %d %q, want %d %q", tt.desc, d.StatusCode, d.Response, tt.status, tt.body)
		}
	}
	if got := counterValue(w.metrics.Verifications.WithLabelValues(cregis.VerificationDeny)); got != 3 {
		t.Errorf("denies counted: %v, want 3", got)
	}
}

func TestRefusedCallbacksAreCounted(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	tests := []struct {
		desc, body, result string
		want               int
	}{
		{"not JSON", `sign=abc`, callbackMalformed, http.StatusBadRequest},
		{"a forged sign", signedCallback(w.fake.PID, w.fake.APIKey+"-not"), callbackSignature, http.StatusUnauthorized},
		{"another project's callback", signedCallback(w.fake.PID+1, w.fake.APIKey), callbackPID, http.StatusForbidden},
		{"a body over 64 KiB", `{"x":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, callbackMalformed, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			rec := serve(w.h, "POST", "/cregis/callback", "", strings.NewReader(tt.body))
			if rec.Body.String() == cregis.CallbackAck || rec.Code == http.StatusOK {
				t.Fatalf("got %d %q, want a refusal", rec.Code, rec.Body)
			}
			if tt.want != 0 && rec.Code != tt.want {
				t.Errorf("status: got %d want %d", rec.Code, tt.want)
			}
			errorOf(t, rec)
		})
	}
	want := map[string]float64{callbackMalformed: 2, callbackSignature: 1, callbackPID: 1, "applied": 0}
	for result, n := range want {
		if got := counterValue(w.metrics.Callbacks.WithLabelValues(result)); got != n {
			t.Errorf("payoutd_callbacks_total{result=%q} = %v, want %v", result, got, n)
		}
	}
}

// signedCallback is a callback body for pid signed with key.
func signedCallback(pid int64, key string) string {
	fields := map[string]any{"pid": pid, "cid": int64(2), "third_party_id": "x", "status": 6, "nonce": "abcdef", "timestamp": int64(1)}
	fields["sign"] = cregis.Sign(key, fields)
	b, _ := json.Marshal(fields)
	return string(b)
}

// awaitStatus waits until the fake's payout reaches want.
func awaitStatus(t *testing.T, fake *cregistest.Server, cid int64, want cregis.Status) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if p, ok := fake.Payout(cid); ok && p.Status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("payout %d did not reach status %d", cid, want)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition
	}
}

// counterValue reads a counter.
func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	_ = c.Write(&m)
	return m.GetCounter().GetValue()
}

func TestCancelAnswers200ThenTheCanceledRecordAnd409WhenItMayExist(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	for _, id := range []string{"c-1", "c-2"} {
		if rec := serve(w.h, "POST", "/v1/payouts", apiToken, strings.NewReader(payoutBody(id, "1.5"))); rec.Code != http.StatusAccepted {
			t.Fatalf("enqueue %s: %d %s", id, rec.Code, rec.Body)
		}
	}
	for i, want := range []int{http.StatusOK, http.StatusOK} {
		rec := serve(w.h, "POST", "/v1/payouts/c-1/cancel", apiToken, nil)
		if rec.Code != want || !strings.Contains(rec.Body.String(), `"state":"canceled"`) {
			t.Fatalf("cancel #%d: got %d %s, want %d and the canceled record", i+1, rec.Code, rec.Body, want)
		}
	}
	for _, st := range []tasks.State{tasks.StateSubmitting, tasks.StateSubmitted} {
		_, err := w.store.Update(context.Background(), "c-2", "test", func(r *tasks.Record) error {
			r.State, r.CID = st, "1382688606330880"
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	rec := serve(w.h, "POST", "/v1/payouts/c-2/cancel", apiToken, nil)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), `"code":"may_exist_at_cregis"`) ||
		!strings.Contains(rec.Body.String(), "submitted") {
		t.Fatalf("cancel of a submitted payout: got %d %s, want 409 may_exist_at_cregis saying why", rec.Code, rec.Body)
	}
	if got, _ := w.store.Get(context.Background(), "c-2"); got.State != tasks.StateSubmitted {
		t.Errorf("state %s after a refused cancel, want submitted", got.State)
	}
	if rec := serve(w.h, "POST", "/v1/payouts/nope/cancel", apiToken, nil); rec.Code != http.StatusNotFound {
		t.Errorf("cancel of an unknown payout: got %d, want 404", rec.Code)
	}
}

func TestRefusedCallbackResultsAreKnownAtStartUp(t *testing.T) {
	for _, r := range []string{callbackMalformed, callbackSignature, callbackPID} {
		if !slices.Contains(metrics.CallbackResults, r) {
			t.Errorf("callback result %s is counted but not in metrics.CallbackResults", r)
		}
	}
}

func TestAPayoutShowsItsWebhooksAndResendStartsANewRound(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	ctx := context.Background()
	hooked := `{"third_party_id":"w-1","currency":"195@195","to_address":"T-w-1","amount":"1","notify_url":"https://backend.example/hook?token=t0k"}`
	for _, body := range []string{hooked, payoutBody("w-2", "1")} {
		if rec := serve(w.h, "POST", "/v1/payouts", apiToken, strings.NewReader(body)); rec.Code != http.StatusAccepted {
			t.Fatalf("enqueue: %d %s", rec.Code, rec.Body)
		}
	}
	if rec := serve(w.h, "POST", "/v1/payouts/w-2/webhook", apiToken, nil); rec.Code != http.StatusConflict || errorOf(t, rec).Code != CodeNoEvent {
		t.Fatalf("resend without an event: got %d %s, want 409 no_event", rec.Code, rec.Body)
	}
	if rec := serve(w.h, "POST", "/v1/payouts/w-1/cancel", apiToken, nil); rec.Code != http.StatusOK {
		t.Fatalf("cancel: %d %s", rec.Code, rec.Body)
	}
	var view struct {
		State    string           `json:"state"`
		Version  int64            `json:"version"`
		Webhooks []map[string]any `json:"webhooks"`
	}
	rec := serve(w.h, "GET", "/v1/payouts/w-1", apiToken, nil)
	if err := json.Unmarshal(rec.Body.Bytes(), &view); err != nil {
		t.Fatal(err)
	}
	if view.State != "canceled" || view.Version < 2 || len(view.Webhooks) != 1 || view.Webhooks[0]["event"] != "canceled" ||
		view.Webhooks[0]["id"] != tasks.WebhookEventID("w-1", "canceled") || view.Webhooks[0]["body"] != nil {
		t.Fatalf("GET: %s; want the canceled record, its version and one canceled delivery without its body", rec.Body)
	}
	if rec := serve(w.h, "GET", "/v1/payouts/w-2", apiToken, nil); !strings.Contains(rec.Body.String(), `"webhooks":[]`) {
		t.Errorf("GET of a payout without events: %s; want an empty webhooks list", rec.Body)
	}
	rec = serve(w.h, "POST", "/v1/payouts/w-1/webhook", apiToken, nil)
	if rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), `"round":0`) {
		t.Fatalf("resend while the first round runs: got %d %s, want 202 and round 0 unchanged", rec.Code, rec.Body)
	}
	if _, err := w.store.UpdateDelivery(ctx, "w-1", "canceled", func(d *tasks.Delivery) error {
		d.Attempts, d.Exhausted, d.LastStatus = 16, true, 500
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rec = serve(w.h, "POST", "/v1/payouts/w-1/webhook", apiToken, strings.NewReader(`{}`))
	if rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), `"round":1`) || strings.Contains(rec.Body.String(), `"exhausted"`) {
		t.Fatalf("resend of an exhausted event: got %d %s, want 202 and round 1", rec.Code, rec.Body)
	}
	if rec := serve(w.h, "POST", "/v1/payouts/nope/webhook", apiToken, nil); rec.Code != http.StatusNotFound {
		t.Errorf("resend for an unknown payout: got %d, want 404", rec.Code)
	}
	if rec := serve(w.h, "POST", "/v1/payouts/w-1/webhook", "", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("resend without a token: got %d, want 401", rec.Code)
	}
}
