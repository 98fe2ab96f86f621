package worker

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
	"github.com/payoutd/payoutd/tasks"
)

func TestSubmit(t *testing.T) {
	t.Parallel()

	t.Run("AcceptedStoresTheCIDAndSchedulesTheFirstPoll", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		if err := h.submit(id); err != nil {
			t.Fatalf("submit: %v", err)
		}
		rec := h.get(id)
		fp, ok := h.fake.PayoutByThirdPartyID(id)
		switch {
		case !ok:
			t.Fatal("the fake has no payout for the id")
		case rec.State != tasks.StateSubmitted:
			t.Fatalf("state = %s, want submitted", rec.State)
		case rec.CID != formatCID(fp.CID):
			t.Errorf("cid = %q, want %d (above 2^53, kept exact)", rec.CID, fp.CID)
		case rec.Attempts != 1 || rec.PollSeq != 1:
			t.Errorf("attempts %d, poll_seq %d; want 1 and 1", rec.Attempts, rec.PollSeq)
		case h.taskState(h.queues.Poll, tasks.PollTaskID(id, 1)) == 0:
			t.Error("no poll task poll:<id>:1 was enqueued")
		case !h.createdOnce(id):
			t.Errorf("creates at Cregis = %d, want 1", h.fake.Creates(id))
		}
		assertHistory(t, rec, tasks.StateQueued, tasks.StateSubmitting, tasks.StateSubmitted)
		assertNoKeys(t, h, h.p.leaseKey(id), h.p.unsureKey(id))
	})

	t.Run("ThePayoutIsSentAsRequested", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		h.enableCallbacks()
		req := newRequest(goodAddress)
		req.Currency, req.Memo, req.Amount, req.Remark = "144@144", "12345", "2.25", "invoice 7"
		id := h.create(req).ThirdPartyID
		if err := h.submit(id); err != nil {
			t.Fatalf("submit: %v", err)
		}
		fp, _ := h.fake.PayoutByThirdPartyID(id)
		got := []string{fp.Path, fp.Currency, fp.ToAddress, fp.Amount, fp.Memo, fp.Remark, fp.CallbackURL}
		want := []string{cregis.PathPayout, "144@144", goodAddress, "2.25", "12345", "invoice 7", h.cfg.CallbackURL}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("sent %q, want %q", got, want)
		}
	})

	t.Run("ASubAddressPayoutUsesTheSubAddressEndpoint", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		req := newRequest(goodAddress)
		req.Source, req.FromAddress = tasks.SourceSubAddress, "TFromSubAddress111111111111111111"
		id := h.create(req).ThirdPartyID
		if err := h.submit(id); err != nil {
			t.Fatalf("submit: %v", err)
		}
		fp, _ := h.fake.PayoutByThirdPartyID(id)
		if fp.Path != cregis.PathSubAddressWithdrawal || fp.FromAddress != req.FromAddress {
			t.Errorf("created via %s from %q, want %s from %q", fp.Path, fp.FromAddress, cregis.PathSubAddressWithdrawal, req.FromAddress)
		}
		if rec := h.get(id); rec.State != tasks.StateSubmitted {
			t.Errorf("state = %s, want submitted", rec.State)
		}
	})

	t.Run("APermanentRefusalRejectsThePayout", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		addr := "TInvalidAddress000000000000000000"
		h.fake.MarkAddressInvalid(addr)
		id := h.create(newRequest(addr)).ThirdPartyID
		if err := h.submit(id); err != nil {
			t.Fatalf("submit: got %v, want nil (the task is done)", err)
		}
		rec := h.get(id)
		if rec.State != tasks.StateRejected || !strings.Contains(rec.LastError, "E0008") || rec.CID != "" {
			t.Errorf("state %s, last_error %q, cid %q; want rejected with E0008 and no cid", rec.State, rec.LastError, rec.CID)
		}
		assertNoKeys(t, h, h.p.unsureKey(id))
	})

	t.Run("DuplicateThirdPartyIDIsUnconfirmed", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		// Someone already created this id at Cregis (an earlier deployment, say).
		if _, err := h.cfg.Cregis.Payout(context.Background(), cregis.PayoutRequest{
			Currency: "195@195", ToAddress: goodAddress, Amount: "1.5", ThirdPartyID: id}); err != nil {
			t.Fatalf("pre-create: %v", err)
		}
		if err := h.submit(id); err != nil {
			t.Fatalf("submit: %v", err)
		}
		rec := h.get(id)
		if rec.State != tasks.StateUnconfirmed || rec.CID != "" || !strings.Contains(rec.LastError, "E0009") {
			t.Errorf("state %s, cid %q, last_error %q; want unconfirmed, no cid, E0009", rec.State, rec.CID, rec.LastError)
		}
		if err := h.submit(id); err != nil || h.fake.Duplicates(id) != 1 {
			t.Errorf("submit again: %v, duplicates %d; want nil and no new create call", err, h.fake.Duplicates(id))
		}
	})

	t.Run("AConfigurationErrorStormHoldsWithoutRejectingOrConsumingRetries", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		ids := []string{h.newPayout(), h.newPayout(), h.newPayout()}
		h.fake.SetErrorStorm("E0001")
		for round := 1; round <= 3; round++ {
			for _, id := range ids {
				err := h.submit(id)
				var held *heldError
				if !errors.As(err, &held) || isFailure(err) || errors.Is(skipIfPermanent(err), asynq.SkipRetry) {
					t.Fatalf("round %d: submit = %v; want a held error that is not a failure", round, err)
				}
				rec := h.get(id)
				if rec.State != tasks.StateSubmitting || !strings.Contains(rec.LastError, "E0001") || rec.Attempts != round {
					t.Fatalf("round %d: state %s, attempts %d, last_error %q; want submitting, %d, E0001", round, rec.State, rec.Attempts, rec.LastError, round)
				}
			}
		}
		if got := metricValue(t, h.metrics.ConfigErrors.WithLabelValues("E0001")); got != 9 {
			t.Errorf("config errors counted = %v, want 9", got)
		}
		if d := classify(h.submit(ids[0])).Delay; d != 4*time.Minute {
			t.Errorf("the 4th held attempt waits %s, want 4m (30s doubling)", d)
		}
		h.fake.ClearErrorStorm()
		for _, id := range ids {
			if err := h.submit(id); err != nil {
				t.Fatalf("after the storm: %v", err)
			}
			if rec := h.get(id); rec.State != tasks.StateSubmitted || rec.LastError != "" {
				t.Errorf("after the storm: state %s, last_error %q; want submitted, none", rec.State, rec.LastError)
			}
		}
	})

	t.Run("ARefusalAfterOnlyConfigurationErrorsStillRejects", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		addr := "TRefusedLater00000000000000000000"
		id := h.create(newRequest(addr)).ThirdPartyID
		h.fake.SetErrorStorm("B0001")
		_ = h.submit(id)
		h.fake.ClearErrorStorm()
		h.fake.MarkAddressInvalid(addr)
		if err := h.submit(id); err != nil {
			t.Fatalf("submit: %v", err)
		}
		if rec := h.get(id); rec.State != tasks.StateRejected {
			t.Errorf("state = %s, want rejected: nothing was ever applied", rec.State)
		}
	})

	t.Run("AnUnknownOutcomeIsRetriedWithTheSameID", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		h.fake.FailCreatesBeforeApply(1, cregistest.FaultBadGateway)
		err := h.submit(id)
		if !cregis.OutcomeUnknown(err) || !isFailure(err) {
			t.Fatalf("submit: got %v, want an unknown outcome retried as a failure", err)
		}
		if rec := h.get(id); rec.State != tasks.StateSubmitting || !strings.Contains(rec.LastError, "outcome unknown") {
			t.Fatalf("state %s, last_error %q; want submitting, outcome unknown", rec.State, rec.LastError)
		}
		if err := h.submit(id); err != nil {
			t.Fatalf("retry: %v", err)
		}
		reqs := h.fake.RequestsTo(cregis.PathPayout)
		if len(reqs) != 2 || reqs[0].Fields["third_party_id"] != id || reqs[1].Fields["third_party_id"] != id {
			t.Fatalf("create requests %d; want 2, both with third_party_id %s", len(reqs), id)
		}
		if rec := h.get(id); rec.State != tasks.StateSubmitted || rec.Attempts != 2 || !h.createdOnce(id) {
			t.Errorf("state %s, attempts %d, creates %d; want submitted, 2, 1", rec.State, rec.Attempts, h.fake.Creates(id))
		}
	})

	t.Run("AppliedThenTimedOutEndsUnconfirmedAndAConfirmedCallbackSettlesIt", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		h.enableCallbacks()
		id := h.newPayout()
		h.fake.SetFate(id, cregis.StatusPendingApproval) // hold it until the test says
		h.fake.FailCreatesAfterApply(1, cregistest.FaultGatewayTimeout)
		if err := h.submit(id); !cregis.OutcomeUnknown(err) {
			t.Fatalf("first attempt: got %v, want an unknown outcome", err)
		}
		if err := h.submit(id); err != nil {
			t.Fatalf("second attempt: %v", err)
		}
		if rec := h.get(id); rec.State != tasks.StateUnconfirmed {
			t.Fatalf("after E0009: state = %s, want unconfirmed", rec.State)
		}
		fp, _ := h.fake.PayoutByThirdPartyID(id)
		if err := h.fake.SetStatus(fp.CID, cregis.StatusSucceeded); err != nil {
			t.Fatal(err)
		}
		h.awaitSettled(id, tasks.StateSucceeded) // the callback's hint, confirmed by a query
		if rec := h.get(id); rec.CID != formatCID(fp.CID) {
			t.Errorf("cid %q; want %d", rec.CID, fp.CID)
		}
		h.assertCreatedOnce(id)
	})

	t.Run("AHangingCreateIsAnUnknownOutcome", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		h.cfg.Cregis = h.cregisClient(200 * time.Millisecond)
		h.p = h.pipeline(h.cfg)
		id := h.newPayout()
		h.fake.FailCreatesAfterApply(1, cregistest.FaultHang)
		if err := h.submit(id); !cregis.OutcomeUnknown(err) {
			t.Fatalf("submit: got %v, want an unknown outcome", err)
		}
		if err := h.submit(id); err != nil {
			t.Fatalf("retry: %v", err)
		}
		if rec := h.get(id); rec.State != tasks.StateUnconfirmed {
			t.Errorf("state = %s, want unconfirmed (E0009 proves the first call landed)", rec.State)
		}
	})

	t.Run("ARefusalAfterAnUnknownOutcomeIsHeldNotRejected", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		addr := "TBecomesInvalid000000000000000000"
		id := h.create(newRequest(addr)).ThirdPartyID
		h.fake.SetFate(id, cregis.StatusPendingApproval)
		h.fake.FailCreatesAfterApply(1, cregistest.FaultInternalError)
		_ = h.submit(id)
		// Cregis validates before it checks for duplicates, and the address
		// is refused now: the refusal proves nothing about the first call.
		h.fake.MarkAddressInvalid(addr)
		err := h.submit(id)
		var held *heldError
		if !errors.As(err, &held) || isFailure(err) {
			t.Fatalf("submit: got %v, want a held error", err)
		}
		rec := h.get(id)
		if rec.State != tasks.StateSubmitting || !strings.Contains(rec.LastError, "may exist at Cregis") {
			t.Fatalf("state %s, last_error %q; want submitting, flagged for an operator", rec.State, rec.LastError)
		}
		fp, _ := h.fake.PayoutByThirdPartyID(id)
		if _, err := h.p.Resolve(context.Background(), id, formatCID(fp.CID)); err != nil {
			t.Fatalf("resolve: %v", err)
		}
		if rec := h.get(id); rec.State != tasks.StateSubmitted || rec.CID != formatCID(fp.CID) {
			t.Errorf("after resolve: state %s, cid %q; want submitted, %d", rec.State, rec.CID, fp.CID)
		}
		assertNoKeys(t, h, h.p.unsureKey(id))
	})

	t.Run("ARefusalWhoseWriteMeetsABriefRedisOutageIsStillRejected", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		addr := "TRefusedDuringOutage0000000000000"
		h.fake.MarkAddressInvalid(addr)
		id := h.create(newRequest(addr)).ThirdPartyID
		p, _ := h.faultyPipeline(func(f *redisFaults) { f.failNext(4) })
		if err := h.submitWith(p, id); err != nil {
			t.Fatalf("submit: got %v, want nil once Redis is back", err)
		}
		// Left in submitting with its unsure marker, the next attempt would
		// distrust the same refusal and hold the payout for an operator.
		if rec := h.get(id); rec.State != tasks.StateRejected {
			t.Errorf("state %s, want rejected", rec.State)
		}
		assertNoKeys(t, h, h.p.leaseKey(id), h.p.unsureKey(id))
	})

	t.Run("ACIDWhoseWriteMeetsABriefRedisOutageIsStillRecorded", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		// Redis goes away just as Cregis answers 00000: only this worker
		// knows the cid, so it must keep trying to write it while it holds
		// the lease, instead of leaving a retry to get E0009 (unconfirmed).
		p, _ := h.faultyPipeline(func(f *redisFaults) { f.failNext(4) })
		if err := h.submitWith(p, id); err != nil {
			t.Fatalf("submit: got %v, want nil once Redis is back", err)
		}
		rec := h.get(id)
		fp, _ := h.fake.PayoutByThirdPartyID(id)
		if rec.State != tasks.StateSubmitted || rec.CID != formatCID(fp.CID) {
			t.Fatalf("state %s, cid %q; want submitted with cid %d", rec.State, rec.CID, fp.CID)
		}
		if h.taskState(h.queues.Poll, tasks.PollTaskID(id, 1)) == 0 || h.fake.Calls(cregis.PathPayout) != 1 {
			t.Errorf("poll task present %v, create calls %d; want a first poll and one call",
				h.taskState(h.queues.Poll, tasks.PollTaskID(id, 1)) != 0, h.fake.Calls(cregis.PathPayout))
		}
		assertNoKeys(t, h, h.p.leaseKey(id), h.p.unsureKey(id))
	})

	t.Run("ACreateAnsweredAfterAnotherWorkerFoundItUnconfirmedRecordsTheCID", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		p, _ := h.faultyPipeline(func(*redisFaults) {
			// The lease is lost while this call is in flight (a Redis
			// failover): a second worker creates too, gets E0009 and
			// records unconfirmed before this call's 00000 is read.
			h.rdb.Del(context.Background(), h.p.leaseKey(id))
			if err := h.submit(id); err != nil || h.get(id).State != tasks.StateUnconfirmed {
				t.Errorf("second worker: got %v, state %s; want nil and unconfirmed", err, h.get(id).State)
			}
		})
		if err := h.submitWith(p, id); err != nil {
			t.Fatalf("submit: got %v, want nil", err)
		}
		rec := h.get(id)
		fp, _ := h.fake.PayoutByThirdPartyID(id)
		if rec.State != tasks.StateSubmitted || rec.CID != formatCID(fp.CID) || rec.PollSeq != 1 {
			t.Fatalf("state %s, cid %q, poll_seq %d; want submitted with cid %d and poll 1: the 00000 named it",
				rec.State, rec.CID, rec.PollSeq, fp.CID)
		}
		if h.taskState(h.queues.Poll, tasks.PollTaskID(id, 1)) == 0 || !h.createdOnce(id) {
			t.Errorf("poll task present %v, creates %d; want a first poll and one payout at Cregis",
				h.taskState(h.queues.Poll, tasks.PollTaskID(id, 1)) != 0, h.fake.Creates(id))
		}
	})

	t.Run("ARefusalAfterAnUndocumentedCodeIsHeldNotRejected", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		addr := "TUndocumentedThenRefused000000000"
		id := h.create(newRequest(addr)).ThirdPartyID
		// A code Cregis does not document says nothing about whether the
		// create was applied; only the documented configuration codes do.
		h.fake.SetErrorStorm("E0999")
		if err := h.submit(id); !errors.As(err, new(*heldError)) {
			t.Fatalf("first attempt: got %v, want held", err)
		}
		h.fake.ClearErrorStorm()
		h.fake.MarkAddressInvalid(addr)
		err := h.submit(id)
		rec := h.get(id)
		if !errors.As(err, new(*heldError)) || rec.State != tasks.StateSubmitting || !strings.Contains(rec.LastError, "may exist at Cregis") {
			t.Errorf("got %v, state %s, last_error %q; want held in submitting for an operator, not rejected", err, rec.State, rec.LastError)
		}
	})

	t.Run("TheSameTaskRunTwiceAtOnceMakesOneCreate", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		h.fake.SetLatency(300 * time.Millisecond)
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = h.submit(id)
			}()
		}
		wg.Wait()
		busy := 0
		for _, err := range errs {
			switch {
			case errors.Is(err, errBusy):
				busy++
			case err != nil:
				t.Errorf("a concurrent submit failed: %v", err)
			}
		}
		if calls := h.fake.Calls(cregis.PathPayout); calls != 1 || !h.createdOnce(id) {
			t.Errorf("create calls %d, creates %d; want exactly 1 call", calls, h.fake.Creates(id))
		}
		if busy == 0 || h.get(id).State != tasks.StateSubmitted {
			t.Errorf("busy %d, state %s; want some busy and submitted", busy, h.get(id).State)
		}
	})

	t.Run("ASubmittedPayoutIsNotCreatedAgainButGetsItsPoll", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		id := h.newPayout()
		_ = h.submit(id)
		if err := h.insp.DeleteTask(h.queues.Poll, tasks.PollTaskID(id, 1)); err != nil {
			t.Fatal(err)
		}
		if err := h.submit(id); err != nil {
			t.Fatalf("submit again: %v", err)
		}
		if h.fake.Calls(cregis.PathPayout) != 1 || h.taskState(h.queues.Poll, tasks.PollTaskID(id, 1)) == 0 {
			t.Errorf("create calls %d, poll task present %v; want 1 and true",
				h.fake.Calls(cregis.PathPayout), h.taskState(h.queues.Poll, tasks.PollTaskID(id, 1)) != 0)
		}
	})

	t.Run("AnUnknownPayoutIsArchived", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		if err := h.submit("no-such-payout"); !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("submit: got %v, want SkipRetry", err)
		}
	})

	t.Run("ASpentRateLimitMakesNoCallAndNoAttempt", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, []testOption{func(c *Config) { c.RateLimit = 1 }})
		a, b := h.newPayout(), h.newPayout()
		_ = h.submit(a)
		var rl *rateLimitedError
		if err := h.submit(b); !errors.As(err, &rl) || isFailure(err) {
			t.Fatalf("second submit in the same second: got %v, want a rate-limit wait", err)
		}
		if rec := h.get(b); rec.State != tasks.StateQueued || rec.Attempts != 0 {
			t.Errorf("state %s, attempts %d; want queued, 0", rec.State, rec.Attempts)
		}
	})
}

func formatCID(cid int64) string { return strconv.FormatInt(cid, 10) }

// assertHistory checks the states the record's history entered, in order.
func assertHistory(t testing.TB, rec *tasks.Record, states ...tasks.State) {
	t.Helper()
	var got []tasks.State
	for _, tr := range rec.History {
		got = append(got, tr.To)
	}
	if len(got) != len(states) {
		t.Fatalf("history %v, want %v", got, states)
	}
	for i := range got {
		if got[i] != states[i] {
			t.Fatalf("history %v, want %v", got, states)
		}
	}
}

// assertNoKeys checks that the keys do not exist.
func assertNoKeys(t testing.TB, h *harness, keys ...string) {
	t.Helper()
	n, err := h.rdb.Exists(context.Background(), keys...).Result()
	if err != nil || n != 0 {
		t.Errorf("%d of keys %v exist (err %v), want none", n, keys, err)
	}
}

func TestACreationAfterARejectionIsCountedAsAnAnomaly(t *testing.T) {
	h := newHarness(t, nil)
	id := h.newPayout()
	ctx := context.Background()
	if _, err := h.store.Update(ctx, id, "test: rejected", func(r *tasks.Record) error {
		r.State = tasks.StateRejected
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// A 00000 that arrives when both the lease and the unsure marker were lost.
	if err := h.p.accepted(ctx, h.get(id), 9007199254740993, &attempt{}); err != nil {
		t.Fatalf("accepted: %v", err)
	}
	if rec := h.get(id); rec.State != tasks.StateRejected || rec.CID != "" {
		t.Errorf("state %s, cid %q; want the terminal record unchanged", rec.State, rec.CID)
	}
	if got := metricValue(t, h.metrics.Anomalies.WithLabelValues("created_after_rejected")); got != 1 {
		t.Errorf("anomalies counted: got %v want 1", got)
	}
}
