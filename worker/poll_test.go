package worker

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
	"github.com/payoutd/payoutd/tasks"
)

func TestPoll(t *testing.T) {
	t.Parallel()

	t.Run("EachFateEndsInItsTerminalState", func(t *testing.T) {
		t.Parallel()
		cases := []struct {
			desc  string
			fate  cregis.Status
			state tasks.State
			onTx  bool // the payout reached the chain: a txid is reported
		}{
			{"status 6 succeeds", cregis.StatusSucceeded, tasks.StateSucceeded, true},
			{"status 7 fails on chain", cregis.StatusFailed, tasks.StateFailed, true},
			{"status 4 fails in review", cregis.StatusReviewRejected, tasks.StateFailed, false},
			{"status 3 fails as cancelled", cregis.StatusApprovalCancelled, tasks.StateFailed, false},
			{"status 2 fails as signature rejected", cregis.StatusSignatureRejected, tasks.StateFailed, false},
		}
		h := newHarness(t, nil)
		for _, c := range cases {
			id := h.newPayout()
			h.fake.SetFate(id, c.fate)
			if err := h.submit(id); err != nil {
				t.Fatalf("%s: submit: %v", c.desc, err)
			}
			rec := h.pollUntilTerminal(id)
			if rec.State != c.state || rec.CregisStatus == nil || *rec.CregisStatus != c.fate || (rec.TxID != "") != c.onTx {
				t.Errorf("%s: state %s, cregis_status %v, txid %q; want %s, %d, txid %v", c.desc, rec.State, rec.CregisStatus, rec.TxID, c.state, c.fate, c.onTx)
			}
			if rec.State == tasks.StateFailed && !strings.Contains(rec.LastError, "Cregis status") {
				t.Errorf("%s: last_error %q, want the Cregis status", c.desc, rec.LastError)
			}
		}
	})

	t.Run("EachPollSchedulesTheNextAndAdvancesPollSeq", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		h.fake.SetFate(id, cregis.StatusPendingApproval)
		_ = h.submit(id)
		for seq := int64(1); seq <= 3; seq++ {
			if err := h.pollSeq(id, seq); err != nil {
				t.Fatalf("poll %d: %v", seq, err)
			}
			rec := h.get(id)
			if rec.PollSeq != seq+1 || h.taskState(h.queues.Poll, tasks.PollTaskID(id, seq+1)) == 0 {
				t.Fatalf("after poll %d: poll_seq %d, next task present %v; want %d, true", seq, rec.PollSeq,
					h.taskState(h.queues.Poll, tasks.PollTaskID(id, seq+1)) != 0, seq+1)
			}
		}
		if rec := h.get(id); rec.CregisStatus == nil || *rec.CregisStatus != cregis.StatusPendingApproval {
			t.Errorf("cregis_status %v, want 0", rec.CregisStatus)
		}
	})

	t.Run("ASupersededPollIsDroppedWithoutAQuery", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		h.fake.SetFate(id, cregis.StatusPendingApproval)
		_ = h.submit(id)
		_ = h.pollSeq(id, 1)
		_ = h.pollSeq(id, 2)
		cid := cidOf(t, h.get(id))
		before := h.fake.Queries(cid)
		if err := h.pollSeq(id, 1); err != nil {
			t.Fatalf("stale poll: %v", err)
		}
		if got := h.fake.Queries(cid); got != before {
			t.Errorf("queries %d after a stale poll, want %d", got, before)
		}
	})

	t.Run("AWalletPayoutFallsBackToPayoutQueryAndRemembersIt", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil, cregistest.WithQueryMode(cregistest.QueryPayoutQueryOnly))
		id := h.newPayout()
		h.fake.SetFate(id, cregis.StatusPendingApproval)
		_ = h.submit(id)
		if err := h.poll(id); err != nil {
			t.Fatalf("poll: %v", err)
		}
		rec := h.get(id)
		if rec.QueryEndpoint != cregis.PathPayoutQuery || rec.CregisStatus == nil {
			t.Fatalf("query_endpoint %q, cregis_status %v; want %s and a status", rec.QueryEndpoint, rec.CregisStatus, cregis.PathPayoutQuery)
		}
		info := h.fake.Calls(cregis.PathSubAddressWithdrawalInfo)
		_ = h.poll(id)
		_ = h.poll(id)
		if got := h.fake.Calls(cregis.PathSubAddressWithdrawalInfo); got != info {
			t.Errorf("/info called %d more times after the fallback was learned, want 0", got-info)
		}
	})

	t.Run("ASubAddressWithdrawalStaysOnInfo", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil, cregistest.WithQueryMode(cregistest.QueryPayoutQueryOnly))
		req := newRequest(goodAddress)
		req.Source, req.FromAddress = tasks.SourceSubAddress, "TFromSubAddress111111111111111111"
		id := h.create(req).ThirdPartyID
		_ = h.submit(id)
		rec := h.pollUntilTerminal(id)
		if rec.State != tasks.StateSucceeded || rec.QueryEndpoint != cregis.PathSubAddressWithdrawalInfo || h.fake.Calls(cregis.PathPayoutQuery) != 0 {
			t.Errorf("state %s, query_endpoint %q, payout/query calls %d; want succeeded via /info only", rec.State, rec.QueryEndpoint, h.fake.Calls(cregis.PathPayoutQuery))
		}
	})

	t.Run("ACIDUnknownOnBothEndpointsKeepsPollingAndIsFlagged", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, []testOption{func(c *Config) {
			c.NotFoundAfter = time.Minute
			c.NowFunc = func() time.Time { return time.Now().Add(time.Hour) } // the submission is an hour old
		}})
		id := h.newPayout()
		forceSubmitted(t, h, id, "9007199254740993")
		err := h.poll(id)
		var pl *pollLaterError
		if !errors.As(err, &pl) || isFailure(err) || pl.delay < h.cfg.PollMinInterval {
			t.Fatalf("poll: got %v, want a later poll that is not a failure", err)
		}
		rec := h.get(id)
		if rec.State != tasks.StateSubmitted || !strings.HasPrefix(rec.LastError, notFoundNote) {
			t.Errorf("state %s, last_error %q; want submitted and flagged", rec.State, rec.LastError)
		}
		if h.fake.Calls(cregis.PathSubAddressWithdrawalInfo) != 1 || h.fake.Calls(cregis.PathPayoutQuery) != 1 {
			t.Errorf("queried /info %d and /payout/query %d times, want once each", h.fake.Calls(cregis.PathSubAddressWithdrawalInfo), h.fake.Calls(cregis.PathPayoutQuery))
		}
	})

	t.Run("ACregisErrorIsPolledLaterWithoutFailing", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		_ = h.submit(id)
		h.fake.FailQueries(1, cregistest.FaultBadGateway)
		err := h.poll(id)
		var pl *pollLaterError
		if !errors.As(err, &pl) || isFailure(err) {
			t.Fatalf("poll: got %v, want a later poll that is not a failure", err)
		}
		if rec := h.get(id); rec.State != tasks.StateSubmitted {
			t.Errorf("state = %s, want submitted", rec.State)
		}
	})

	t.Run("PollsSpendTheRateLimit", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, []testOption{func(c *Config) { c.RateLimit = 1 }})
		id := h.newPayout()
		_ = h.submit(id)
		var rl *rateLimitedError
		if err := h.poll(id); !errors.As(err, &rl) {
			t.Fatalf("poll right after the submit at 1/s: got %v, want a rate-limit wait", err)
		}
		if h.fake.Calls(cregis.PathSubAddressWithdrawalInfo) != 0 {
			t.Error("a rate-limited poll queried Cregis")
		}
	})

	t.Run("AnUnknownStatusIsKeptAndPolled", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		forceSubmitted(t, h, id, "9007199254740993")
		rec := h.get(id)
		if err := h.p.polled(context.Background(), rec, rec.PollSeq, describing(rec, 9), cregis.PathSubAddressWithdrawalInfo); err != nil {
			t.Fatalf("polled: %v", err)
		}
		rec = h.get(id)
		if rec.State != tasks.StateSubmitted || rec.CregisStatus == nil || *rec.CregisStatus != 9 || h.taskState(h.queues.Poll, tasks.PollTaskID(id, rec.PollSeq)) == 0 {
			t.Errorf("state %s, cregis_status %v, poll_seq %d; want submitted, 9, and a next poll", rec.State, rec.CregisStatus, rec.PollSeq)
		}
	})

	t.Run("AnAnswerNamingAnotherPayoutIsNotApplied", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		forceSubmitted(t, h, id, "9007199254740993")
		rec := h.get(id)
		err := h.p.polled(context.Background(), rec, rec.PollSeq, &cregis.PayoutInfo{Status: 6, ThirdPartyID: "someone-else"}, cregis.PathSubAddressWithdrawalInfo)
		if !errors.Is(err, ErrCIDMismatch) || h.get(id).State != tasks.StateSubmitted {
			t.Errorf("polled: %v, state %s; want ErrCIDMismatch and still submitted", err, h.get(id).State)
		}
	})

	t.Run("APayoutOpenTooLongIsFlaggedStuckButKeptPolling", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, []testOption{func(c *Config) { c.StuckAfter = time.Millisecond }})
		id := h.newPayout()
		h.fake.SetFate(id, cregis.StatusPendingSignature)
		_ = h.submit(id)
		if err := h.poll(id); err != nil {
			t.Fatalf("poll: %v", err)
		}
		if rec := h.get(id); !rec.Stuck || rec.State != tasks.StateSubmitted {
			t.Errorf("stuck %v, state %s; want stuck and still submitted", rec.Stuck, rec.State)
		}
	})
}

func TestPollDelay(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	p := &Pipeline{cfg: Config{NowFunc: func() time.Time { return now }}.withDefaults()}
	withCallbacks := &Pipeline{cfg: Config{NowFunc: func() time.Time { return now }, CallbackURL: "https://payoutd.example/cregis/callback"}.withDefaults()}
	rec := func(age time.Duration) *tasks.Record {
		return &tasks.Record{History: []tasks.Transition{{At: now.Add(-age), To: tasks.StateSubmitted}}}
	}
	cases := []struct {
		desc   string
		p      *Pipeline
		age    time.Duration
		status cregis.Status
		lo, hi time.Duration
	}{
		{"on chain polls at the on-chain interval however old", p, 5 * time.Hour, cregis.StatusSignatureApproved, 40 * time.Second, 48 * time.Second},
		{"a fresh payout waiting for approval polls at the approval interval", p, time.Minute, cregis.StatusPendingApproval, 100 * time.Second, 120 * time.Second},
		{"an hour waiting for signers backs off to a tenth of its age", p, time.Hour, cregis.StatusPendingSignature, 6 * time.Minute, 7*time.Minute + 12*time.Second},
		{"a day waiting is capped at the maximum", p, 24 * time.Hour, cregis.StatusPendingApproval, 10 * time.Minute, 10 * time.Minute},
		{"an unknown status backs off like a wait", p, 24 * time.Hour, 42, 10 * time.Minute, 10 * time.Minute},
		{"with callbacks a fresh payout waits for the safety interval", withCallbacks, time.Minute, cregis.StatusPendingApproval, 30 * time.Minute, 36 * time.Minute},
		{"with callbacks a payout on chain waits for the safety interval too", withCallbacks, time.Hour, cregis.StatusSignatureApproved, 30 * time.Minute, 36 * time.Minute},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			for range 20 {
				if got := c.p.pollDelay(rec(c.age), c.status); got < c.lo || got > c.hi {
					t.Fatalf("pollDelay(age %s, status %d) = %s, want within [%s, %s]", c.age, c.status, got, c.lo, c.hi)
				}
			}
		})
	}
}

// describing is Cregis's answer about rec's payout at status.
func describing(rec *tasks.Record, status cregis.Status) *cregis.PayoutInfo {
	chain, token, _ := strings.Cut(rec.Currency, "@")
	return &cregis.PayoutInfo{Status: status, ThirdPartyID: rec.ThirdPartyID, ChainID: chain, TokenID: token,
		Amount: rec.Amount, ToAddress: rec.ToAddress}
}

// forceSubmitted moves a queued record to submitted with cid, as a create
// would, without calling Cregis.
func forceSubmitted(t testing.TB, h *harness, id, cid string) {
	t.Helper()
	ctx := context.Background()
	for _, st := range []tasks.State{tasks.StateSubmitting, tasks.StateSubmitted} {
		_, err := h.store.Update(ctx, id, "test", func(r *tasks.Record) error {
			r.State = st
			if st == tasks.StateSubmitted {
				r.CID, r.PollSeq = cid, 1
			}
			return nil
		})
		if err != nil {
			t.Fatalf("force %s: %v", st, err)
		}
	}
}
