package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis/cregistest"
	"github.com/payoutd/payoutd/internal/redistest"
	"github.com/payoutd/payoutd/tasks"
	"github.com/payoutd/payoutd/worker"
	"github.com/payoutd/payoutd/worker/httpapi"
)

const liveToken = "live-test-token-0123456789"

// live is payoutd's real HTTP surface over a private Redis (no worker runs,
// so accepted payouts stay queued).
type live struct {
	url   string
	store *tasks.Store
	posts atomic.Int64 // POST /v1/payouts received
	// onPost, if set, runs before each POST /v1/payouts is served (requests
	// of an interrupted run may still be served while a test replaces it).
	onPost atomic.Pointer[func(n int64)]
}

func newLive(t *testing.T) *live {
	t.Helper()
	r := redistest.New(t)
	rdb := r.Client(t)
	fake := cregistest.NewServer(t)
	queues := tasks.NewQueues(r.Prefix)
	store := tasks.NewStore(rdb, tasks.StoreConfig{KeyPrefix: r.Prefix})
	client := asynq.NewClientFromRedisClient(rdb)
	p, err := worker.NewPipeline(worker.Config{Redis: rdb, Asynq: client, Cregis: fake.Client(), Store: store,
		Queues: queues, KeyPrefix: r.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(httpapi.Config{API: true, Store: store, Pipeline: p, Cregis: fake.Client(),
		Tokens: []string{liveToken}, Inspector: asynq.NewInspectorFromRedisClient(rdb), Queues: queues,
		Producer: tasks.NewProducer(tasks.ProducerConfig{Store: store, Client: client, Decimals: tasks.BuiltinDecimals, Queues: queues})})
	if err != nil {
		t.Fatal(err)
	}
	l := &live{store: store}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/payouts" {
			if n, f := l.posts.Add(1), l.onPost.Load(); f != nil {
				(*f)(n)
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	l.url = srv.URL
	return l
}

// cli runs payoutctl against l with ctx.
func (l *live) cli(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	env := environment{
		args:   args,
		getenv: func(k string) string { return envMap{"PAYOUTD_URL": l.url, "PAYOUTD_TOKEN": liveToken}[k] },
		stdin:  strings.NewReader(""), stdout: &out, stderr: &errOut,
	}
	return run(ctx, env), out.String(), errOut.String()
}

// open counts the records payoutd holds (all are open: no worker runs).
func (l *live) open(t *testing.T) int64 {
	t.Helper()
	st, err := l.store.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Open
}
