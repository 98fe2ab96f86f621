package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/tasks"
)

// intakeWorkers is the concurrency of every intake figure: HTTP
// connections, or goroutines calling Enqueue.
const intakeWorkers = 16

// intakeWarmup requests go first, untimed: connections, scripts, the coin list.
const intakeWarmup = 64

// timed runs fn(i) for i in [0, m) on intakeWorkers goroutines and times
// it, with the CPU it took.
func (b *bench) timed(ctx context.Context, m int, counter *callCounter, fn func(i int) error) (rateResult, error) {
	counter.take()
	cpu := b.cpuNow(ctx)
	began := time.Now()
	err := parallel(ctx, intakeWorkers, m, fn)
	took := time.Since(began)
	return rateResult{m: m, took: took, calls: counter.take(), cpu: b.cpuNow(ctx).sub(cpu)}, err
}

// intakeHTTP posts m distinct valid payouts to POST /v1/payouts on
// loopback, with payoutd's real middleware and auth, from a client with
// intakeWorkers connections.
func (b *bench) intakeHTTP(ctx context.Context, m int) (rateResult, error) {
	fake, st, err := b.freshStack(stackConfig{})
	if err != nil {
		return rateResult{}, err
	}
	defer fake.Close()
	defer st.close()
	url, stop, err := b.serveAPI(st)
	if err != nil {
		return rateResult{}, err
	}
	defer stop()
	res, err := b.postPayouts(ctx, url+"/v1/payouts", "http", m, st.calls)
	if err != nil {
		return res, fmt.Errorf("HTTP intake: %w", err)
	}
	return res, nil
}

// postPayouts posts intakeWarmup untimed payouts to url, then m timed ones
// with ids from prefix, from a client with intakeWorkers connections, each
// answer wanted 202.
func (b *bench) postPayouts(ctx context.Context, url, prefix string, m int, counter *callCounter) (rateResult, error) {
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: intakeWorkers, MaxIdleConnsPerHost: intakeWorkers}}
	defer client.CloseIdleConnections()
	post := func(body []byte) error { return postPayout(ctx, client, url, body) }
	warm := bodies("warm", intakeWarmup)
	if err := parallel(ctx, intakeWorkers, len(warm), func(i int) error { return post(warm[i]) }); err != nil {
		return rateResult{}, err
	}
	all := bodies(prefix, m)
	return b.timed(ctx, m, counter, func(i int) error { return post(all[i]) })
}

// newHTTPServer is an http.Server for h with cmd/payoutd's timeouts.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
}

// bodies returns the JSON bodies of n distinct payouts.
func bodies(prefix string, n int) [][]byte {
	out := make([][]byte, n)
	for i, r := range newRequests(prefix, n) {
		out[i], _ = json.Marshal(r)
	}
	return out
}

// postPayout posts one payout and wants 202 Accepted.
func postPayout(ctx context.Context, c *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("POST /v1/payouts: %d %s, want 202", resp.StatusCode, answer)
	}
	return nil
}

// serveAPI serves the stack's HTTP surface on loopback, with cmd/payoutd's
// server timeouts, and returns its base URL and its stop.
func (b *bench) serveAPI(st *stack) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	return b.serveAPIOn(ln, st)
}

// serveAPIOn is serveAPI on a listener the caller opened.
func (b *bench) serveAPIOn(ln net.Listener, st *stack) (string, func(), error) {
	h, err := st.handler(b)
	if err != nil {
		ln.Close()
		return "", nil, err
	}
	srv := newHTTPServer(h)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	stop := func() {
		_ = srv.Close()
		<-done
		_ = h.Close()
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// intakeProducer calls Producer.Enqueue for m distinct payouts from
// intakeWorkers goroutines.
func (b *bench) intakeProducer(ctx context.Context, m int) (rateResult, error) {
	fake, st, err := b.freshStack(stackConfig{})
	if err != nil {
		return rateResult{}, err
	}
	defer fake.Close()
	defer st.close()
	if err := st.enqueueAll(ctx, newRequests("warm", intakeWarmup), intakeWorkers); err != nil {
		return rateResult{}, err
	}
	reqs := newRequests("prod", m)
	res, err := b.timed(ctx, m, st.calls, func(i int) error { return st.enqueueAll(ctx, reqs[i:i+1], 1) })
	if err != nil {
		return res, fmt.Errorf("Producer.Enqueue: %w", err)
	}
	return res, nil
}

// intakeAsynq enqueues m submit tasks with bare asynq from intakeWorkers
// goroutines: tasks.NewSubmitTask's task (type, payload, TaskID, options),
// without a record.
func (b *bench) intakeAsynq(ctx context.Context, m int) (rateResult, error) {
	if err := b.redis.flush(ctx); err != nil {
		return rateResult{}, err
	}
	counter := &callCounter{}
	rdb := b.redis.client(counter)
	defer rdb.Close()
	client := asynq.NewClientFromRedisClient(rdb)
	q := tasks.NewQueues("")
	enqueue := func(id string) error {
		t, err := tasks.NewSubmitTask(q, id, time.Minute)
		if err == nil {
			_, err = client.EnqueueContext(ctx, t)
		}
		return err
	}
	warm, all := ids(newRequests("warm", intakeWarmup)), ids(newRequests("asynq", m))
	if err := parallel(ctx, intakeWorkers, len(warm), func(i int) error { return enqueue(warm[i]) }); err != nil {
		return rateResult{}, err
	}
	res, err := b.timed(ctx, m, counter, func(i int) error { return enqueue(all[i]) })
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		err = fmt.Errorf("bare asynq enqueue: a TaskID was taken: %w", err)
	}
	return res, err
}

// floorAnswerBytes is the size of the HTTP floor's answer: about that of
// payoutd's 202 (the new record).
const floorAnswerBytes = 640

// intakeNetHTTP is the HTTP floor: the same client, bodies and server
// timeouts as intakeHTTP, against a handler that reads the body and answers
// 202 with floorAnswerBytes of JSON, touching nothing else. It is net/http's
// own cost a request on this machine, client and server together.
func (b *bench) intakeNetHTTP(ctx context.Context, m int) (rateResult, error) {
	answer := append(append([]byte(`{"pad":"`), bytes.Repeat([]byte("x"), floorAnswerBytes-11)...), `"}`+"\n"...)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write(answer)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return rateResult{}, err
	}
	srv := newHTTPServer(h)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	return b.postPayouts(ctx, "http://"+ln.Addr().String()+"/v1/payouts", "floor", m, &callCounter{})
}
