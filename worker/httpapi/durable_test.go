package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/internal/redistest"
	"github.com/payoutd/payoutd/tasks"
	"github.com/redis/go-redis/v9"
)

// durableStore is the store configuration of these tests: one replica must
// confirm, within the default WAIT (short ones fail on a loaded machine).
func durableStore(prefix string) tasks.StoreConfig {
	return tasks.StoreConfig{KeyPrefix: prefix, MinReplicas: 1, WaitTimeout: time.Second}
}

func TestAPayoutTheReplicasDidNotConfirmIs503UntilTheSameRequestFindsItConfirmed(t *testing.T) {
	primary := redistest.NewPrimary(t)
	replica := redistest.NewReplica(t, primary)
	w := newWorldOn(t, primary.Client(t), primary.Prefix, durableStore(primary.Prefix), MonitorConfig{}, nil)
	replica.Pause(t)
	rec := serve(w.h, "POST", "/v1/payouts", apiToken, strings.NewReader(payoutBody("nd-1", "1")))
	if rec.Code != http.StatusServiceUnavailable || errorOf(t, rec).Code != CodeNotDurable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("without the replica: got %d %s (Retry-After %q), want 503 not_durable with Retry-After",
			rec.Code, rec.Body, rec.Header().Get("Retry-After"))
	}
	rec = serve(w.h, "POST", "/v1/payouts", apiToken, strings.NewReader(payoutBody("nd-1", "1")))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("the same request, still without the replica: got %d %s, want 503", rec.Code, rec.Body)
	}
	replica.Resume(t)
	rec = serve(w.h, "POST", "/v1/payouts", apiToken, strings.NewReader(payoutBody("nd-1", "1")))
	if rec.Code != http.StatusOK {
		t.Fatalf("the same request with the replica back: got %d %s, want 200", rec.Code, rec.Body)
	}
}

func TestACallbackTheReplicasDidNotConfirmIsNotAcknowledged(t *testing.T) {
	primary := redistest.NewPrimary(t)
	replica := redistest.NewReplica(t, primary)
	w := newWorldOn(t, primary.Client(t), primary.Prefix, durableStore(primary.Prefix), MonitorConfig{}, nil)
	if rec := serve(w.h, "POST", "/v1/payouts", apiToken, strings.NewReader(payoutBody("nd-cb", "1"))); rec.Code != http.StatusAccepted {
		t.Fatalf("intake: got %d %s", rec.Code, rec.Body)
	}
	cid, err := w.fake.Client().Payout(context.Background(), cregis.PayoutRequest{
		Currency: "195@195", ToAddress: "T-nd-cb", Amount: "1", ThirdPartyID: "nd-cb", CallbackURL: w.srv.URL + "/cregis/callback"})
	if err != nil {
		t.Fatal(err)
	}
	w.store.Update(context.Background(), "nd-cb", "test: create made by hand", func(r *tasks.Record) error {
		r.State = tasks.StateSubmitting
		return nil
	})
	awaitStatus(t, w.fake, cid, cregis.StatusSucceeded)
	replica.Pause(t)
	if d, err := w.fake.PushCallback(cid); err != nil || d.Acked || d.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("callback without the replica: got HTTP %d %q (%v), want 503 and no acknowledgement", d.StatusCode, d.Response, err)
	}
	replica.Resume(t)
	if d, err := w.fake.PushCallback(cid); err != nil || !d.Acked {
		t.Fatalf("the callback again with the replica back: got HTTP %d %q (%v), want it acknowledged", d.StatusCode, d.Response, err)
	}
}

// TestEveryPayoutAnswered2xxSurvivesAFailoverToAStaleReplica: the replica
// falls behind (SIGSTOP, dropped by the primary), payouts are sent, the
// primary dies and the stale replica is promoted. Every payout answered 2xx
// must be on the new primary; the others were answered 503 and their retry
// (once the new primary has a replica of its own) is accepted.
func TestEveryPayoutAnswered2xxSurvivesAFailoverToAStaleReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("a sentinel failover takes seconds")
	}
	g := redistest.NewReplicated(t)
	const prefix = "fo:"
	w := newWorldOn(t, g.FailoverClient(t), prefix, durableStore(prefix), MonitorConfig{}, nil)
	answered := map[string]int{}
	send := func(id string) {
		rec := serve(w.h, "POST", "/v1/payouts", apiToken, strings.NewReader(payoutBody(id, "1")))
		answered[id] = rec.Code
	}
	sendUntil2xx := func(id string) {
		deadline := time.Now().Add(30 * time.Second)
		for send(id); answered[id]/100 != 2 && time.Now().Before(deadline); send(id) {
			time.Sleep(100 * time.Millisecond) // a slow WAIT, or the client finding the new primary
		}
		if answered[id]/100 != 2 {
			t.Errorf("%s: answered %d until the deadline, want 2xx", id, answered[id])
		}
	}
	for i := range 5 {
		sendUntil2xx(fmt.Sprintf("before-%d", i)) // as a client does after a 503
	}
	g.Replica.Pause(t)
	g.Primary.AwaitInfo(t, "connected_slaves", "0")
	for i := range 5 {
		send(fmt.Sprintf("stale-%d", i))
	}
	g.Primary.Kill(t)
	g.Replica.Resume(t)
	promoted := g.AwaitPromoted(t, g.Primary.Addr)
	onPromoted := tasks.NewStore(redis.NewClient(&redis.Options{Addr: promoted}), tasks.StoreConfig{KeyPrefix: prefix})
	for id, code := range answered {
		_, err := onPromoted.Get(context.Background(), id)
		switch {
		case code/100 == 2 && err != nil:
			t.Errorf("%s was answered %d but is not on the promoted replica: %v", id, code, err)
		case code/100 != 2 && code != http.StatusServiceUnavailable:
			t.Errorf("%s was answered %d, want 2xx or 503", id, code)
		}
	}
	if answered["stale-0"] != http.StatusServiceUnavailable {
		t.Errorf("answered %d with the replica dropped, want 503", answered["stale-0"])
	}
	redistest.NewReplica(t, g.Replica) // with MinReplicas 1 nothing is confirmed without one
	for id, code := range answered {
		if code/100 == 2 {
			continue
		}
		sendUntil2xx(id)
	}
}
