package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/internal/redistest"
	"github.com/payoutd/payoutd/tasks"
)

func TestStatsCountOpenPayoutsAndTheSubmitQueue(t *testing.T) {
	t.Parallel()
	r := redistest.New(t)
	rdb := r.Client(t)
	w := newWorldOn(t, rdb, r.Prefix, tasks.StoreConfig{KeyPrefix: r.Prefix}, MonitorConfig{}, func(c *Config) {
		c.Inspector = asynq.NewInspectorFromRedisClient(rdb)
		c.Queues = tasks.NewQueues(r.Prefix)
	})
	if rec := serve(w.h, "GET", "/v1/stats", "", nil); rec.Code != http.StatusUnauthorized {
		t.Fatalf("without a token: got %d want 401", rec.Code)
	}
	for _, id := range []string{"s-1", "s-2", "s-3"} {
		if rec := serve(w.h, "POST", "/v1/payouts", apiToken, strings.NewReader(payoutBody(id, "1"))); rec.Code != http.StatusAccepted {
			t.Fatalf("enqueue %s: got %d %s", id, rec.Code, rec.Body)
		}
	}
	rec := serve(w.h, "GET", "/v1/stats", apiToken, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("stats: got %d %s want 200", rec.Code, rec.Body)
	}
	var got statsBody
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Open != 3 || got.States[tasks.StateQueued] != 3 || got.OldestOpenID != "s-1" || got.Unconfirmed != 0 {
		t.Errorf("stats: got open %d queued %d oldest %q unconfirmed %d, want 3, 3, s-1, 0", got.Open, got.States[tasks.StateQueued], got.OldestOpenID, got.Unconfirmed)
	}
	if len(got.Queues) != 1 || got.Queues[0].Name != r.Prefix+"payout_submit" || got.Queues[0].Pending != 3 {
		t.Errorf("queues: got %+v want the submit queue with 3 pending", got.Queues)
	}
}
