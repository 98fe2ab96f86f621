package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
	"github.com/rs/zerolog"
)

// BenchmarkVerify measures the answer time of POST /cregis/verify over
// loopback HTTP with a real Redis: the signed request, the record read,
// the persisted decision and the hint. Each request is the first for its
// payout (the costly path). It reports the p99.
func BenchmarkVerify(b *testing.B) {
	w := newWorld(b, nil)
	ctx := context.Background()
	fields := make([]map[string]any, b.N)
	for i := range fields {
		id := fmt.Sprintf("bench-vf-%d", i)
		req := tasks.Request{ThirdPartyID: id, Currency: "195@195", ToAddress: "T-" + id, Amount: "1"}
		if _, _, err := w.store.Create(ctx, req); err != nil {
			b.Fatal(err)
		}
		if _, err := w.store.Update(ctx, id, "bench: create about to be made", func(r *tasks.Record) error {
			r.State = tasks.StateSubmitting
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		fields[i] = map[string]any{"pid": w.fake.PID, "cid": int64(9007199254740993 + 2*i), "third_party_id": id,
			"chain_id": "195", "token_id": "195", "to_address": req.ToAddress, "amount": req.Amount}
	}
	took := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		d := w.fake.SendVerification(w.srv.URL+"/cregis/verify", fields[i], true)
		took[i] = time.Since(start)
		if d.Response != cregis.VerificationApprove {
			b.Fatalf("answer %d %q, want ok", d.StatusCode, d.Response)
		}
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}

// benchConns is how many connections (and goroutines) drive the intake.
const benchConns = 16

// BenchmarkIntake measures POST /v1/payouts of distinct valid payouts over
// loopback HTTP from a Go client with benchConns connections, through the
// real middleware, auth and a production-like logger (JSON, info, with a
// timestamp, to io.Discard) (HTTP), and its reference: Producer.Enqueue of
// the same payouts from benchConns goroutines (Producer). Each runs on a
// world (Redis) of its own and reports ops/s. Ratio runs both in alternating
// slices of the same b.N, so that a change in the machine's load touches
// both alike, and reports their rates and http/enqueue, issue 9's figure.
func BenchmarkIntake(b *testing.B) {
	b.Run("HTTP", func(b *testing.B) {
		post := newIntakeBench(b).http
		b.ResetTimer()
		b.ReportMetric(float64(b.N)/timeSlices(b, b.N, post).Seconds(), "ops/s")
	})
	b.Run("Producer", func(b *testing.B) {
		enqueue := newIntakeBench(b).producer
		b.ResetTimer()
		b.ReportMetric(float64(b.N)/timeSlices(b, b.N, enqueue).Seconds(), "ops/s")
	})
	b.Run("Handler", func(b *testing.B) {
		w := newIntakeWorld(b)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			id := fmt.Sprintf("bench-%d", i)
			req := httptest.NewRequest("POST", "/v1/payouts", strings.NewReader(payoutBody(id, "1.5")))
			req.Header.Set("Authorization", "Bearer "+apiToken)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			w.h.ServeHTTP(rec, req)
			if rec.Code != http.StatusAccepted {
				b.Fatalf("POST %s: %d %s", id, rec.Code, rec.Body)
			}
		}
	})
	b.Run("Ratio", func(b *testing.B) {
		post, enqueue := newIntakeBench(b).http, newIntakeBench(b).producer
		b.ResetTimer()
		const slice = 500
		var tookHTTP, tookProducer time.Duration
		for from := 0; from < b.N; from += slice {
			n := min(slice, b.N-from)
			tookHTTP += timeSlices(b, n, func(i int) error { return post(from + i) })
			tookProducer += timeSlices(b, n, func(i int) error { return enqueue(from + i) })
		}
		httpRate, producerRate := float64(b.N)/tookHTTP.Seconds(), float64(b.N)/tookProducer.Seconds()
		b.ReportMetric(httpRate, "http-req/s")
		b.ReportMetric(producerRate, "enqueue/s")
		b.ReportMetric(httpRate/producerRate, "http/enqueue")
	})
}

// intakeBench sends payout i through the HTTP intake or the Producer of a
// world of its own.
type intakeBench struct {
	http, producer func(i int) error
}

func newIntakeBench(b *testing.B) intakeBench {
	w := newIntakeWorld(b)
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: benchConns, MaxIdleConnsPerHost: benchConns}}
	b.Cleanup(client.CloseIdleConnections)
	ctx := context.Background()
	return intakeBench{
		http: func(i int) error { return postPayout(client, w.srv.URL, fmt.Sprintf("bench-%d", i)) },
		producer: func(i int) error {
			id := fmt.Sprintf("bench-%d", i)
			_, _, err := w.h.cfg.Producer.Enqueue(ctx, tasks.Request{ThirdPartyID: id, Currency: "195@195", ToAddress: "T-" + id, Amount: "1.5"})
			return err
		},
	}
}

// newIntakeWorld is a world whose logger is like payoutd's: JSON at info,
// with a timestamp, to io.Discard.
func newIntakeWorld(b *testing.B) *world {
	return newWorld(b, func(c *Config) {
		c.Logger = zerolog.New(zerolog.SyncWriter(io.Discard)).Level(zerolog.InfoLevel).With().Timestamp().Logger()
	})
}

// postPayout sends one new payout and checks that it was accepted.
func postPayout(c *http.Client, base, id string) error {
	req, err := http.NewRequest("POST", base+"/v1/payouts", strings.NewReader(payoutBody(id, "1.5")))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode != http.StatusAccepted {
		err = fmt.Errorf("POST %s: %d %s", id, res.StatusCode, body)
	}
	return err
}

// timeSlices calls op with 0 to n-1 from benchConns goroutines and returns
// how long that took.
func timeSlices(b *testing.B, n int, op func(i int) error) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range benchConns {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := op(i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}
