package worker

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
	"github.com/payoutd/payoutd/internal/metrics"
	"github.com/payoutd/payoutd/internal/redistest"
	"github.com/payoutd/payoutd/tasks"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// harness is one test's world: a private Redis, a fake Cregis, a record
// store, an asynq client and inspector, and a Pipeline over them.
type harness struct {
	t       testing.TB
	redis   *redistest.Redis
	rdb     *redis.Client
	fake    *cregistest.Server
	store   *tasks.Store
	client  *asynq.Client
	insp    *asynq.Inspector
	queues  tasks.Queues
	metrics *metrics.Metrics
	cfg     Config
	p       *Pipeline
}

// testOption changes the harness's Pipeline config before it is built.
type testOption func(*Config)

// newHarness builds a harness; fakeOpts configure the fake Cregis.
func newHarness(t testing.TB, opts []testOption, fakeOpts ...cregistest.Option) *harness {
	t.Helper()
	r := redistest.New(t)
	h := &harness{t: t, redis: r, rdb: r.Client(t), queues: tasks.NewQueues(r.Prefix)}
	h.fake = cregistest.NewServer(t, fakeOpts...)
	h.store = tasks.NewStore(h.rdb, tasks.StoreConfig{KeyPrefix: r.Prefix})
	h.client = asynq.NewClientFromRedisClient(h.rdb)
	h.insp = asynq.NewInspectorFromRedisClient(h.rdb)
	h.metrics = metrics.New(prometheus.NewRegistry())
	h.cfg = Config{
		Redis: h.rdb, Asynq: h.client, Inspector: h.insp, Cregis: h.cregisClient(2 * time.Second),
		Store: h.store, Queues: h.queues, KeyPrefix: r.Prefix,
		PollMinInterval: 20 * time.Millisecond, PollMaxInterval: 100 * time.Millisecond,
		CregisTimeout: 2 * time.Second, Logger: testLogger(t), Metrics: h.metrics,
	}
	for _, o := range opts {
		o(&h.cfg)
	}
	h.p = h.pipeline(h.cfg)
	return h
}

// pipeline builds another Pipeline from cfg (e.g. a second worker).
func (h *harness) pipeline(cfg Config) *Pipeline {
	h.t.Helper()
	p, err := NewPipeline(cfg)
	if err != nil {
		h.t.Fatalf("NewPipeline: %v", err)
	}
	return p
}

// cregisClient returns a client for the fake with a call timeout.
func (h *harness) cregisClient(timeout time.Duration) *cregis.Client {
	h.t.Helper()
	cfg := h.fake.ClientConfig()
	cfg.Timeout = timeout
	c, err := cregis.New(cfg)
	if err != nil {
		h.t.Fatalf("cregis.New: %v", err)
	}
	return c
}

// testLogger logs to the test's log at warn and above, so failures show
// the worker's view.
func testLogger(t testing.TB) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel).With().Timestamp().Logger()
}

var idSeq atomic.Int64

// newRequest returns a valid request with a fresh third_party_id for a TRX
// payout to address.
func newRequest(address string) tasks.Request {
	return tasks.Request{
		ThirdPartyID: fmt.Sprintf("po-%d-%d", time.Now().UnixNano(), idSeq.Add(1)),
		Currency:     "195@195",
		ToAddress:    address,
		Amount:       "1.5",
		Remark:       "test payout",
	}
}

const goodAddress = "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS"

// create writes a queued record for req.
func (h *harness) create(req tasks.Request) *tasks.Record {
	h.t.Helper()
	rec, _, err := h.store.Create(context.Background(), req)
	if err != nil {
		h.t.Fatalf("Store.Create: %v", err)
	}
	return rec
}

// newPayout creates a queued record to goodAddress and returns its id.
func (h *harness) newPayout() string {
	return h.create(newRequest(goodAddress)).ThirdPartyID
}

func (h *harness) get(id string) *tasks.Record {
	h.t.Helper()
	rec, err := h.store.Get(context.Background(), id)
	if err != nil {
		h.t.Fatalf("Store.Get(%s): %v", id, err)
	}
	return rec
}

// submit runs the submit handler once for id.
func (h *harness) submit(id string) error {
	return h.submitWith(h.p, id)
}

func (h *harness) submitWith(p *Pipeline, id string) error {
	t, err := tasks.NewSubmitTask(h.queues, id, time.Minute)
	if err != nil {
		h.t.Fatalf("NewSubmitTask: %v", err)
	}
	return p.HandleSubmit(context.Background(), t)
}

// poll runs the poll handler once for id with the record's current PollSeq.
func (h *harness) poll(id string) error {
	h.t.Helper()
	return h.pollSeq(id, h.get(id).PollSeq)
}

func (h *harness) pollSeq(id string, seq int64) error {
	t, err := tasks.NewPollTask(h.queues, id, seq, 0, time.Minute)
	if err != nil {
		h.t.Fatalf("NewPollTask: %v", err)
	}
	return h.p.HandlePoll(context.Background(), t)
}

// pollUntilTerminal runs the poll handler until the record is terminal.
func (h *harness) pollUntilTerminal(id string) *tasks.Record {
	h.t.Helper()
	var rec *tasks.Record
	eventually(h.t, 10*time.Second, func() bool {
		if err := h.poll(id); err != nil && !isWaiting(err) {
			h.t.Fatalf("poll %s: %v", id, err)
		}
		rec = h.get(id)
		return rec.State.Terminal()
	}, "payout %s did not reach a terminal state", id)
	return rec
}

// isWaiting reports an error that only asks to come back later.
func isWaiting(err error) bool { return !classify(err).Failure && !classify(err).Skip }

// taskState returns the state of a task, or 0 when it does not exist.
func (h *harness) taskState(queue, taskID string) asynq.TaskState {
	info, err := h.insp.GetTaskInfo(queue, taskID)
	if err != nil {
		return 0
	}
	return info.State
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf(format, args...)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition; there is no event to await
	}
}

// enableCallbacks starts a callback receiver and rebuilds the Pipeline with
// its URL as CallbackURL, so the fake's callbacks reach ApplyCallback.
func (h *harness) enableCallbacks() {
	h.cfg.CallbackURL = h.callbackReceiver()
	h.p = h.pipeline(h.cfg)
}

// callbackReceiver serves a callback URL the way the HTTP surface does:
// verify, apply with the harness's current Pipeline, then acknowledge.
func (h *harness) callbackReceiver() string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		cb, err := h.cfg.Cregis.ParseCallback(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if _, err := h.p.ApplyCallback(r.Context(), cb); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		_, _ = io.WriteString(w, cregis.CallbackAck)
	}))
	h.t.Cleanup(srv.Close)
	return srv.URL
}

// cidOf returns the record's cid as an int64.
func cidOf(t testing.TB, rec *tasks.Record) int64 {
	t.Helper()
	var cid int64
	if _, err := fmt.Sscan(rec.CID, &cid); err != nil || cid <= 0 {
		t.Fatalf("record %s has no valid cid: %q", rec.ThirdPartyID, rec.CID)
	}
	return cid
}

// metricValue reads a counter's or gauge's value.
func metricValue(t testing.TB, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatalf("read metric: %v", err)
	}
	if c := out.GetCounter(); c != nil {
		return c.GetValue()
	}
	return out.GetGauge().GetValue()
}

// confirm runs the confirm handler once for the hint about cid on id.
func (h *harness) confirm(id, cid string) error {
	t, err := tasks.NewConfirmTask(h.queues, id, cid, 0, time.Minute)
	if err != nil {
		h.t.Fatalf("NewConfirmTask: %v", err)
	}
	return h.p.HandleConfirm(context.Background(), t)
}

// settleHints runs the confirm handler for every pending hint of id once,
// as the worker would; a waiting answer (a create in flight, a cid not
// found yet) is left for the next call.
func (h *harness) settleHints(id string) {
	h.t.Helper()
	for _, cid := range h.get(id).PendingHints() {
		if err := h.confirm(id, cid); err != nil && !isWaiting(err) {
			h.t.Fatalf("confirm %s cid %s: %v", id, cid, err)
		}
	}
}

// awaitSettled runs settleHints until the record is in state.
func (h *harness) awaitSettled(id string, state tasks.State) *tasks.Record {
	h.t.Helper()
	var rec *tasks.Record
	eventually(h.t, 10*time.Second, func() bool {
		h.settleHints(id)
		rec = h.get(id)
		return rec.State == state
	}, "payout %s never reached %s", id, state)
	return rec
}

// enableVerification serves a verification URL the way the HTTP surface
// does (verify the request, decide with the harness's current Pipeline,
// answer the decision) and points the fake's verification requests at it.
func (h *harness) enableVerification() string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		v, err := h.cfg.Cregis.ParseVerification(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		answer, err := h.p.Verify(r.Context(), v)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, answer)
	}))
	h.t.Cleanup(srv.Close)
	h.fake.SetVerificationURL(srv.URL)
	return srv.URL
}

// assertCreatedOnce checks every payout the fake holds, under any
// third_party_id, against the records: each must be one of ids, and each of
// ids held exactly once with the record's cid (when it has one). The fake
// deduplicates by third_party_id, so asking it about one id cannot see a
// second create under another id; this can.
func (h *harness) assertCreatedOnce(ids ...string) {
	h.t.Helper()
	for _, p := range h.createdOnceProblems(ids) {
		h.t.Error(p)
	}
}

// createdOnce is assertCreatedOnce as a condition.
func (h *harness) createdOnce(ids ...string) bool { return len(h.createdOnceProblems(ids)) == 0 }

func (h *harness) createdOnceProblems(ids []string) []string {
	var out []string
	held := map[string]int{}
	for _, fp := range h.fake.Payouts() {
		held[fp.ThirdPartyID]++
		rec, err := h.store.Get(context.Background(), fp.ThirdPartyID)
		switch {
		case err != nil:
			out = append(out, fmt.Sprintf("the fake holds payout %s (cid %d), which has no record: %v", fp.ThirdPartyID, fp.CID, err))
		case rec.CID != "" && rec.CID != fmt.Sprint(fp.CID):
			out = append(out, fmt.Sprintf("payout %s: the fake's cid %d, the record's %s", fp.ThirdPartyID, fp.CID, rec.CID))
		}
	}
	for _, id := range ids {
		if held[id] != 1 {
			out = append(out, fmt.Sprintf("the fake holds payout %s %d times, want once", id, held[id]))
		}
	}
	if len(held) != len(ids) {
		out = append(out, fmt.Sprintf("the fake holds %d payouts (%v), want exactly %d", len(held), held, len(ids)))
	}
	return out
}

// assertNothingCreated checks that the fake holds no payout at all.
func (h *harness) assertNothingCreated() {
	h.t.Helper()
	if ps := h.fake.Payouts(); len(ps) != 0 {
		h.t.Errorf("the fake holds %d payouts, want none: %+v", len(ps), ps)
	}
}
