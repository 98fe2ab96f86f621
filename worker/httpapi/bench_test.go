package httpapi

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
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
