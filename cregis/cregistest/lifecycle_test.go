package cregistest_test

import (
	"slices"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
)

// dwell is the time each non-terminal status lasts in these tests.
const dwell = time.Second

// newClocked starts a fake whose time moves only by clock.Advance.
func newClocked(t *testing.T, opts ...cregistest.Option) (*cregistest.Server, *cregistest.Clock) {
	clock := cregistest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	opts = append([]cregistest.Option{
		cregistest.WithNowFunc(clock.Now),
		cregistest.WithDwell(cregistest.Dwell{PendingApproval: dwell, PendingSignature: dwell, OnChain: dwell}),
	}, opts...)
	return cregistest.NewServer(t, opts...), clock
}

// statusPath polls cid once per dwell until it stops changing, and returns
// every status seen.
func statusPath(t *testing.T, s *cregistest.Server, clock *cregistest.Clock, cid int64) []cregis.Status {
	t.Helper()
	var seen []cregis.Status
	for range 6 {
		st := cregis.Status(integer(t, statusOf(t, s, cregis.PathSubAddressWithdrawalInfo, cid), "status"))
		if len(seen) == 0 || seen[len(seen)-1] != st {
			seen = append(seen, st)
		}
		clock.Advance(dwell)
	}
	return seen
}

func TestEachFateFollowsItsPath(t *testing.T) {
	cases := []struct {
		desc    string
		fate    cregis.Status // set with SetFate; 0 means none
		address string
		want    []cregis.Status
	}{
		{"by default a payout succeeds through 0, 5 and 1", 0, "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", []cregis.Status{0, 5, 1, 6}},
		{"SetFate 7 fails on chain after 1", 7, "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", []cregis.Status{0, 5, 1, 7}},
		{"SetFate 2 is rejected at signature after 5", 2, "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", []cregis.Status{0, 5, 2}},
		{"SetFate 4 is rejected at review from 0", 4, "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", []cregis.Status{0, 4}},
		{"SetFate 3 is cancelled from 0", 3, "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", []cregis.Status{0, 3}},
		{"SetFate 6 wins over an address marker", 6, "Tfail7", []cregis.Status{0, 5, 1, 6}},
		{"the marker fail7 ends 7", 0, "Tfail7xx", []cregis.Status{0, 5, 1, 7}},
		{"the marker reject4 ends 4", 0, "Treject4xx", []cregis.Status{0, 4}},
		{"the marker cancel3 ends 3", 0, "Tcancel3xx", []cregis.Status{0, 3}},
		{"the marker sigreject2 ends 2", 0, "Tsigreject2xx", []cregis.Status{0, 5, 2}},
		{"the marker hold0 stays 0", 0, "Thold0xx", []cregis.Status{0}},
		{"the marker hold5 stays 5", 0, "Thold5xx", []cregis.Status{0, 5}},
		{"the marker hold1 stays 1", 0, "Thold1xx", []cregis.Status{0, 5, 1}},
		{"an unknown fate is reached from 1 and held", 9, "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", []cregis.Status{0, 5, 1, 9}},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			s, clock := newClocked(t)
			if tc.fate != 0 {
				s.SetFate("fate", tc.fate)
			}
			cid := create(t, s, cregis.PathPayout, with(payoutFields("fate"), map[string]any{"to_address": tc.address}))
			if got := statusPath(t, s, clock, cid); !slices.Equal(got, tc.want) {
				t.Errorf("statuses seen = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestChainFieldsAppearOnceOnChain(t *testing.T) {
	s, clock := newClocked(t)
	cid := create(t, s, cregis.PathPayout, payoutFields("chain"))
	t.Run("TheyAreEmptyWhilePending", func(t *testing.T) {
		for range 2 {
			d := statusOf(t, s, cregis.PathPayoutQuery, cid)
			if d["txid"] != "" || d["block_height"] != "" || integer(t, d, "block_time") != 0 {
				t.Fatalf("status %v: txid %q, block_height %q, block_time %v; want empty until on chain",
					d["status"], d["txid"], d["block_height"], d["block_time"])
			}
			clock.Advance(dwell)
		}
	})
	onChain := statusOf(t, s, cregis.PathPayoutQuery, cid)
	t.Run("TheyAreSetAtStatus1", func(t *testing.T) {
		if integer(t, onChain, "status") != 1 {
			t.Fatalf("status = %v, want 1", onChain["status"])
		}
		if len(onChain["txid"].(string)) != 64 || onChain["block_height"] == "" {
			t.Errorf("txid %q, block_height %q; want a 64-hex txid and a height", onChain["txid"], onChain["block_height"])
		}
		if got, want := integer(t, onChain, "block_time"), clock.Now().UnixMilli(); got != want {
			t.Errorf("block_time = %d, want %d (when it entered 1)", got, want)
		}
	})
	t.Run("TheyDoNotChangeAtTerminal", func(t *testing.T) {
		clock.Advance(dwell)
		final := statusOf(t, s, cregis.PathPayoutQuery, cid)
		for _, k := range []string{"txid", "block_height", "block_time"} {
			if final[k] != onChain[k] {
				t.Errorf("%s = %v at 6, want %v as at 1", k, final[k], onChain[k])
			}
		}
	})
}

func TestSetStatus(t *testing.T) {
	t.Run("ANonTerminalStatusPinsThePayout", func(t *testing.T) {
		s, clock := newClocked(t)
		cid := create(t, s, cregis.PathPayout, payoutFields("pin"))
		if err := s.SetStatus(cid, cregis.StatusPendingSignature); err != nil {
			t.Fatal(err)
		}
		clock.Advance(10 * dwell)
		if p, _ := s.Payout(cid); p.Status != cregis.StatusPendingSignature || !p.Pinned {
			t.Errorf("status = %v, pinned = %v; want 5 and pinned", p.Status, p.Pinned)
		}
	})
	t.Run("ATerminalStatusIsFinalAndOnChainFieldsAreSet", func(t *testing.T) {
		s, clock := newClocked(t)
		cid := create(t, s, cregis.PathPayout, payoutFields("force6"))
		if err := s.SetStatus(cid, cregis.StatusSucceeded); err != nil {
			t.Fatal(err)
		}
		clock.Advance(10 * dwell)
		p, _ := s.Payout(cid)
		if p.Status != cregis.StatusSucceeded || p.TxID == "" || p.BlockTime != p.CreatedAt.UnixMilli() {
			t.Errorf("status %v, txid %q, block_time %d; want 6 with chain fields set at the time forced", p.Status, p.TxID, p.BlockTime)
		}
	})
	t.Run("ATerminalPayoutCanBeForcedElsewhereForNegativeTests", func(t *testing.T) {
		s, _ := newClocked(t)
		cid := create(t, s, cregis.PathPayout, payoutFields("flip"))
		_ = s.SetStatus(cid, cregis.StatusSucceeded)
		_ = s.SetStatus(cid, cregis.StatusFailed)
		if p, _ := s.Payout(cid); p.Status != cregis.StatusFailed {
			t.Errorf("status = %v, want 7", p.Status)
		}
	})
	t.Run("AnUnknownCidIsAnError", func(t *testing.T) {
		s, _ := newClocked(t)
		if err := s.SetStatus(42, cregis.StatusSucceeded); err == nil {
			t.Error("SetStatus(42) = nil, want an error")
		}
	})
}

func TestSetFateAfterCreationRedirectsAPendingPayout(t *testing.T) {
	s, clock := newClocked(t)
	cid := create(t, s, cregis.PathPayout, payoutFields("late"))
	s.SetFate("late", cregis.StatusReviewRejected)
	clock.Advance(dwell)
	if p, _ := s.Payout(cid); p.Status != cregis.StatusReviewRejected {
		t.Errorf("status = %v, want 4", p.Status)
	}
}

// documentedStep reports whether Cregis can move a payout from one status to
// the next: 0 -> 5, 3 or 4; 5 -> 1 or 2; 1 -> 6 or 7.
func documentedStep(from, to cregis.Status) bool {
	next := map[cregis.Status][]cregis.Status{0: {5, 3, 4}, 5: {1, 2}, 1: {6, 7}}
	return slices.Contains(next[from], to)
}

func TestALateSetFateNeverBreaksTheDocumentedOrder(t *testing.T) {
	cases := []struct {
		desc   string
		dwells int           // dwells before SetFate: 1 reaches 5, 2 reaches 1
		fate   cregis.Status // set after those dwells
		want   cregis.Status // where the payout stays
	}{
		{"a payout at 5 cannot be rejected in review any more", 1, 4, 5},
		{"a payout at 5 cannot be cancelled any more", 1, 3, 5},
		{"a payout at 5 does not go back to 0", 1, 0, 5},
		{"a payout at 1 cannot be rejected at signature any more", 2, 2, 1},
		{"a payout at 1 does not go back to 5", 2, 5, 1},
		{"a payout at 5 can still be rejected at signature", 1, 2, 2},
		{"a payout at 1 can still fail on chain", 2, 7, 7},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			s, clock := newClocked(t)
			cid := create(t, s, cregis.PathPayout, payoutFields("late"))
			clock.Advance(time.Duration(tc.dwells) * dwell)
			_, _ = s.Payout(cid)
			s.SetFate("late", tc.fate)
			clock.Advance(10 * dwell)
			p, _ := s.Payout(cid)
			for i := 1; i < len(p.History); i++ {
				if from, to := p.History[i-1].Status, p.History[i].Status; !documentedStep(from, to) {
					t.Errorf("history %v moves %d -> %d, which Cregis never does", p.History, from, to)
				}
			}
			if p.Status != tc.want {
				t.Errorf("status = %v, want %v", p.Status, tc.want)
			}
		})
	}
}

func TestHistoryRecordsEachStatusAndWhen(t *testing.T) {
	s, clock := newClocked(t)
	start := clock.Now()
	cid := create(t, s, cregis.PathPayout, payoutFields("history"))
	clock.Advance(10 * dwell)
	p, _ := s.Payout(cid)
	want := []cregistest.StatusChange{
		{Status: 0, At: start}, {Status: 5, At: start.Add(dwell)},
		{Status: 1, At: start.Add(2 * dwell)}, {Status: 6, At: start.Add(3 * dwell)},
	}
	if !slices.EqualFunc(p.History, want, func(a, b cregistest.StatusChange) bool { return a.Status == b.Status && a.At.Equal(b.At) }) {
		t.Errorf("history = %v, want %v", p.History, want)
	}
}

func TestStatusesMoveOnInRealTimeByDefault(t *testing.T) {
	s := cregistest.NewServer(t) // 20ms per status
	cid := create(t, s, cregis.PathPayout, payoutFields("real"))
	waitFor(t, "status 6", func() bool {
		return integer(t, statusOf(t, s, cregis.PathPayoutQuery, cid), "status") == 6
	})
}
