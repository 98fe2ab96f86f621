package cregistest_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
)

func TestRequestsRecordWhatArrivedAndWhatWasAnswered(t *testing.T) {
	s, clock := newClocked(t)
	create(t, s, cregis.PathPayout, payoutFields("seen"))
	call(t, s, cregis.PathPayout, payoutFields("seen"))
	reqs := s.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	first := reqs[0]
	if first.Path != cregis.PathPayout || first.Code != "00000" || first.HTTPStatus != 200 || !first.Time.Equal(clock.Now()) {
		t.Errorf("first = %+v, want the create answered 00000 at the clock's time", first)
	}
	if first.Fields["third_party_id"] != "seen" || first.Fields["pid"] != json.Number(fmt.Sprint(s.PID)) {
		t.Errorf("fields = %v, want the body as received", first.Fields)
	}
	if _, ok := first.Fields["sign"]; ok {
		t.Error("the recorded fields hold sign, want it left out")
	}
	if reqs[1].Code != "E0009" {
		t.Errorf("second code = %s, want E0009", reqs[1].Code)
	}
	t.Run("SnapshotsAreCopies", func(t *testing.T) {
		reqs[0].Fields["third_party_id"] = "changed"
		if got := s.Requests()[0].Fields["third_party_id"]; got != "seen" {
			t.Errorf("after changing a snapshot, third_party_id = %v, want seen", got)
		}
	})
	t.Run("RequestsToFiltersByPath", func(t *testing.T) {
		if n := len(s.RequestsTo(cregis.PathCoins)); n != 0 {
			t.Errorf("%d requests to coins, want 0", n)
		}
		if n := s.Calls(cregis.PathPayout); n != 2 {
			t.Errorf("Calls(payout) = %d, want 2", n)
		}
	})
}

func TestRequestLogKeepsTheLatest(t *testing.T) {
	s := cregistest.NewServer(t, func(c *cregistest.Config) { c.RequestLogSize = 3 })
	for i := range 7 {
		call(t, s, cregis.PathAddressLegal, map[string]any{"chain_id": "195", "address": fmt.Sprint("T", i)})
	}
	reqs := s.Requests()
	if len(reqs) != 3 || reqs[2].Fields["address"] != "T6" || reqs[0].Fields["address"] != "T4" {
		t.Errorf("%d requests, last %v; want the 3 latest, T4 to T6", len(reqs), reqs[len(reqs)-1].Fields["address"])
	}
	if n := s.Calls(cregis.PathAddressLegal); n != 7 {
		t.Errorf("Calls = %d, want 7: counts are not trimmed", n)
	}
}

func TestRateIsCallsPerSecondOverTheWindow(t *testing.T) {
	s, clock := newClocked(t)
	for range 4 {
		call(t, s, cregis.PathCoins, nil)
	}
	clock.Advance(1500 * time.Millisecond)
	for range 6 {
		call(t, s, cregis.PathCoins, nil)
	}
	cases := []struct {
		desc   string
		window time.Duration
		want   float64
	}{
		{"the last second holds the last 6 calls", time.Second, 6},
		{"the last 2 seconds hold all 10", 2 * time.Second, 5},
		{"a zero window is no rate", 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			if got := s.Rate(tc.window); got != tc.want {
				t.Errorf("Rate(%v) = %v, want %v", tc.window, got, tc.want)
			}
		})
	}
}

func TestPayoutSnapshots(t *testing.T) {
	s, _ := newClocked(t)
	cid := create(t, s, cregis.PathPayout, with(payoutFields("snap"), map[string]any{"remark": "r", "wallet_id": int64(7)}))
	p, ok := s.Payout(cid)
	want := cregistest.Payout{CID: cid, Path: cregis.PathPayout, WalletID: 7, Currency: "195@195", ChainID: "195", TokenID: "195",
		CoinName: "TRX", FromAddress: "cregistest-payout-wallet-195", ToAddress: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS",
		Amount: "1.5", ThirdPartyID: "snap", Remark: "r", Fate: cregis.StatusSucceeded}
	p.CreatedAt, p.History = time.Time{}, nil
	if !ok || fmt.Sprint(p) != fmt.Sprint(want) {
		t.Errorf("Payout = %+v\nwant %+v", p, want)
	}
	t.Run("HistoryIsACopy", func(t *testing.T) {
		p, _ := s.Payout(cid)
		p.History[0].Status = 9
		if q, _ := s.Payout(cid); q.History[0].Status != 0 {
			t.Errorf("history[0] = %v after changing a snapshot, want 0", q.History[0].Status)
		}
	})
	t.Run("UnknownPayoutsAreNotFound", func(t *testing.T) {
		if _, ok := s.Payout(cid + 1); ok {
			t.Error("Payout(unknown) found one")
		}
		if _, ok := s.PayoutByThirdPartyID("nope"); ok {
			t.Error("PayoutByThirdPartyID(unknown) found one")
		}
	})
}
