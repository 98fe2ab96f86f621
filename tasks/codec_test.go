package tasks

import (
	"encoding/json"
	"testing"
	"time"
)

// realisticRecord is a submitted payout as the worker leaves it: remark,
// notify_url, metadata, a cid, three history entries (the shape
// BenchmarkStoreBytesPerPayout stores).
func realisticRecord() *Record {
	req := validRequest("pay-00000001-7f3a9c")
	req.Remark = "withdrawal 2026-01-02 user 48213"
	req.NotifyURL = "https://backend.example.com/payouts/notify"
	req.Metadata = json.RawMessage(`{"user_id":48213,"invoice":"INV-2026-000123"}`)
	at := time.Date(2026, 1, 2, 3, 4, 5, 123000000, time.UTC)
	r := newRecord(req, at)
	r.State, r.Attempts, r.QueryEndpoint = StateSubmitted, 1, "/api/v1/payout/query"
	r.CID, r.PollSeq, r.Version = "1382626461605888", 1, 3
	r.UpdatedAt = at.Add(900 * time.Millisecond)
	r.History = append(r.History,
		Transition{At: at.Add(400 * time.Millisecond), From: StateQueued, To: StateSubmitting, Reason: "create call started"},
		Transition{At: r.UpdatedAt, From: StateSubmitting, To: StateSubmitted, Reason: "cregis accepted the payout"})
	return r
}

func BenchmarkRecordEncode(b *testing.B) {
	r := realisticRecord()
	b.ReportAllocs()
	for b.Loop() {
		r.encode()
	}
	b.ReportMetric(float64(len(r.encode())), "bytes")
}

func BenchmarkRecordDecode(b *testing.B) {
	raw := realisticRecord().encode()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeRecord("pay-00000001-7f3a9c", raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApply is one update's work in process (no Redis): a poll's
// same-state write, and an update that changes nothing.
func BenchmarkApply(b *testing.B) {
	s := NewStore(nil, StoreConfig{})
	raw := realisticRecord().encode()
	b.Run("Write", func(b *testing.B) {
		c := change{reason: "poll", fn: func(r *Record) error { r.PollSeq++; return nil }}
		b.ReportAllocs()
		for b.Loop() {
			if _, next, err := s.apply("pay-00000001-7f3a9c", raw, c); err != nil || next == nil {
				b.Fatalf("got %v, %v; want a record to write", next, err)
			}
		}
	})
	b.Run("NoChange", func(b *testing.B) {
		c := change{reason: "poll", fn: func(r *Record) error { return nil }}
		b.ReportAllocs()
		for b.Loop() {
			if _, next, err := s.apply("pay-00000001-7f3a9c", raw, c); err != nil || next != nil {
				b.Fatalf("got %v, %v; want nothing to write", next, err)
			}
		}
	})
}
