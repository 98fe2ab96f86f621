package tasks

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestVersionIncreasesOnEveryWriteAndOnlyThen(t *testing.T) {
	f := newStoreFixture(t)
	if rec := f.create(t, validRequest("v-1")); rec.Version != 1 {
		t.Fatalf("created record has version %d, want 1", rec.Version)
	}
	steps := []struct {
		fn   func(r *Record) error
		want int64
	}{
		{func(r *Record) error { r.State = StateSubmitting; return nil }, 2},
		{func(r *Record) error { r.LastError = "x"; return nil }, 3},
		{func(r *Record) error { return nil }, 3}, // no change: no write
		{func(r *Record) error { r.State = StateSucceeded; return nil }, 4},
	}
	for i, st := range steps {
		got, err := f.Update(f.ctx, "v-1", "step", st.fn)
		if err != nil {
			t.Fatal(err)
		}
		stored, _ := f.Get(f.ctx, "v-1")
		if got.Version != st.want || stored.Version != st.want {
			t.Fatalf("step %d: returned version %d, stored %d; want %d", i, got.Version, stored.Version, st.want)
		}
	}
	if _, err := f.Note(f.ctx, "v-1", "after the end"); err == nil {
		t.Fatal("a terminal record took a note")
	}
	if stored, _ := f.Get(f.ctx, "v-1"); stored.Version != 4 {
		t.Fatalf("a refused write moved the version to %d", stored.Version)
	}
}

func TestARecordWithoutVersionDecodesAsZero(t *testing.T) {
	r, err := decodeRecord("old", []byte(`{"third_party_id":"old","state":"queued"}`))
	if err != nil || r.Version != 0 {
		t.Fatalf("got %v, %v; want version 0", r, err)
	}
}

func TestConcurrentUpdatesGiveDistinctVersions(t *testing.T) {
	f := newStoreFixture(t)
	f.create(t, validRequest("v-2"))
	const n = 20
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = map[int64]bool{}
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec, err := f.Update(f.ctx, "v-2", "", func(r *Record) error { r.Attempts = i + 1; r.LastError = string(rune('a' + i)); return nil })
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			seen[rec.Version] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("%d writes returned %d distinct versions", n, len(seen))
	}
}

func TestDeliveries(t *testing.T) {
	f := newStoreFixture(t)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := Delivery{Event: "held", ID: WebhookEventID("d-1", "held"), Version: 3, At: at, Body: json.RawMessage(`{"a":1}`)}
	got, added, err := f.AddDelivery(f.ctx, "d-1", d)
	if err != nil || !added || got.ID != d.ID {
		t.Fatalf("AddDelivery: %v %v %v", got, added, err)
	}
	second := d
	second.Version, second.Body = 9, json.RawMessage(`{"b":2}`)
	got, added, err = f.AddDelivery(f.ctx, "d-1", second)
	if err != nil || added || got.Version != 3 || string(got.Body) != `{"a":1}` {
		t.Fatalf("a second add of one event: got %+v added %v err %v; want the first kept", got, added, err)
	}
	if _, _, err := f.AddDelivery(f.ctx, "d-1", Delivery{Event: "succeeded", Version: 5, At: at}); err != nil {
		t.Fatal(err)
	}
	upd, err := f.UpdateDelivery(f.ctx, "d-1", "held", func(d *Delivery) error {
		d.Attempts, d.LastStatus, d.Version, d.Body = 2, 500, 100, nil
		return nil
	})
	if err != nil || upd.Attempts != 2 || upd.Version != 3 || string(upd.Body) != `{"a":1}` {
		t.Fatalf("UpdateDelivery: %+v %v; want attempts 2 and the fixed fields kept", upd, err)
	}
	all, err := f.Deliveries(f.ctx, "d-1")
	if err != nil || len(all) != 2 || all[0].Event != "held" || all[1].Event != "succeeded" || all[0].LastStatus != 500 {
		t.Fatalf("Deliveries: %+v %v", all, err)
	}
	if _, err := f.Delivery(f.ctx, "d-1", "failed"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delivery of a missing event: %v, want ErrNotFound", err)
	}
	if _, err := f.UpdateDelivery(f.ctx, "d-1", "failed", func(*Delivery) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("UpdateDelivery of a missing event: %v, want ErrNotFound", err)
	}
}

func TestWebhookEventIDIsStableAndHeaderSafe(t *testing.T) {
	a, b := WebhookEventID("order-1", "succeeded"), WebhookEventID("order-1", "succeeded")
	if a != b || a == WebhookEventID("order-1", "failed") || a == WebhookEventID("order-2", "succeeded") {
		t.Fatalf("ids not deterministic and distinct: %s %s", a, b)
	}
	if len(a) != 36 || strings.Trim(a[4:], "0123456789abcdef") != "" || !strings.HasPrefix(a, "evt_") {
		t.Fatalf("id %q is not evt_ and 32 hex digits", a)
	}
}
