package worker

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
	"github.com/redis/go-redis/v9"
)

// errRedisDown is what a command fails with while redisFaults is armed.
var errRedisDown = errors.New("injected fault: redis is unreachable")

// redisFaults is a go-redis hook that makes the next n commands of a client
// to the test's real Redis fail before they reach the server, as they would
// while Redis fails over. Commands after those go through untouched.
type redisFaults struct{ left atomic.Int64 }

// failNext makes the next n commands (a pipeline counts as one) fail.
func (f *redisFaults) failNext(n int) { f.left.Store(int64(n)) }

func (f *redisFaults) take() bool {
	for {
		n := f.left.Load()
		if n <= 0 {
			return false
		}
		if f.left.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

func (f *redisFaults) DialHook(next redis.DialHook) redis.DialHook { return next }

func (f *redisFaults) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if f.take() {
			cmd.SetErr(errRedisDown)
			return errRedisDown
		}
		return next(ctx, cmd)
	}
}

func (f *redisFaults) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if f.take() {
			for _, c := range cmds {
				c.SetErr(errRedisDown)
			}
			return errRedisDown
		}
		return next(ctx, cmds)
	}
}

// afterCreates runs hook once the answer to a create call has arrived, before
// the Cregis client reads it: the moment only the worker knows the outcome.
type afterCreates struct {
	next http.RoundTripper
	hook func()
}

func (a *afterCreates) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := a.next.RoundTrip(r)
	if err == nil && (r.URL.Path == cregis.PathPayout || r.URL.Path == cregis.PathSubAddressWithdrawal) {
		a.hook()
	}
	return resp, err
}

// faultyPipeline returns a second worker on h's Redis and fake Cregis whose
// record store, lease and rate limit go through a client with redisFaults,
// and which runs afterCreate each time a create call's answer arrives. Its
// asynq client is h's own.
func (h *harness) faultyPipeline(afterCreate func(f *redisFaults)) (*Pipeline, *redisFaults) {
	h.t.Helper()
	f := &redisFaults{}
	rdb := h.redis.Client(h.t)
	rdb.AddHook(f)
	cc := h.fake.ClientConfig()
	cc.Timeout = 2 * time.Second
	cc.HTTPClient = &http.Client{Transport: &afterCreates{next: http.DefaultTransport, hook: func() { afterCreate(f) }}}
	client, err := cregis.New(cc)
	if err != nil {
		h.t.Fatalf("cregis.New: %v", err)
	}
	cfg := h.cfg
	cfg.Redis, cfg.Cregis = rdb, client
	cfg.Store = tasks.NewStore(rdb, tasks.StoreConfig{KeyPrefix: h.redis.Prefix})
	return h.pipeline(cfg), f
}
