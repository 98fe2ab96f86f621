package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
	"github.com/payoutd/payoutd/tasks"
)

// End-to-end tests: payoutd's run against a real Redis (redistest) and the
// fake Cregis (cregistest), driven over HTTP as a backend would.

func TestEveryFateIsReachedFromIntake(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.fake.MarkAddressInvalid("T-refused-by-cregis")
	in := e.start(t)
	tests := []struct {
		desc, id, to string
		wantState    tasks.State
		wantStatus   cregis.Status // -1 for none
		wantCreates  int
	}{
		{"succeeds on chain", "fate-6", "T-success", tasks.StateSucceeded, 6, 1},
		{"fails on chain", "fate-7", "T-fail7", tasks.StateFailed, 7, 1},
		{"is rejected in review", "fate-4", "T-reject4", tasks.StateFailed, 4, 1},
		{"is cancelled", "fate-3", "T-cancel3", tasks.StateFailed, 3, 1},
		{"has its signature rejected", "fate-2", "T-sigreject2", tasks.StateFailed, 2, 1},
		{"is refused by Cregis", "fate-e0008", "T-refused-by-cregis", tasks.StateRejected, -1, 0},
	}
	for _, tt := range tests {
		if got := in.enqueue(t, tt.id, tt.to, "1.5"); got != http.StatusAccepted {
			t.Fatalf("enqueue %s: got %d want 202", tt.id, got)
		}
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			rec := in.awaitTerminal(t, tt.id)
			if rec.State != tt.wantState {
				t.Errorf("state: got %s want %s (last error %q)", rec.State, tt.wantState, rec.LastError)
			}
			got := cregis.Status(-1)
			if rec.CregisStatus != nil {
				got = *rec.CregisStatus
			}
			if got != tt.wantStatus {
				t.Errorf("cregis_status: got %d want %d", got, tt.wantStatus)
			}
			if n := e.fake.Creates(tt.id); n != tt.wantCreates {
				t.Errorf("creates accepted at Cregis: got %d want %d", n, tt.wantCreates)
			}
			if len(rec.History) == 0 || rec.CreatedAt.IsZero() {
				t.Errorf("record lacks its history or creation time: %+v", rec)
			}
		})
	}
}

func TestTheSamePayoutAgainIsAcceptedOnce(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	in := e.start(t)
	if got := in.enqueue(t, "again-1", "T-again", "2"); got != http.StatusAccepted {
		t.Fatalf("first enqueue: got %d want 202", got)
	}
	if got := in.enqueue(t, "again-1", "T-again", "2"); got != http.StatusOK {
		t.Errorf("same payout again: got %d want 200", got)
	}
	status, b := in.do(t, "POST", "/v1/payouts", testToken,
		`{"third_party_id":"again-1","currency":"195@195","to_address":"T-again","amount":"3"}`)
	if code, field := errorBody(t, b); status != http.StatusConflict || code != "conflict" || field != "third_party_id" {
		t.Errorf("same id, other amount: got %d %s %s, want 409 conflict third_party_id", status, code, field)
	}
	in.awaitTerminal(t, "again-1")
	assertFakeHoldsExactly(t, e.fake, "again-1")
}

func TestCallbacksSettlePayoutsAheadOfPolls(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.withCallbacks(t)
	// Polls an hour apart: only a callback can settle the payouts in time.
	in := e.start(t, "POLL_MIN_INTERVAL", "1h", "POLL_MAX_INTERVAL", "2h")
	in.awaitStartupSweep(t)
	for _, id := range []string{"cb-6", "cb-fail7"} {
		in.enqueue(t, id, "T-"+strings.TrimPrefix(id, "cb-"), "1")
	}
	for id, want := range map[string]tasks.State{"cb-6": tasks.StateSucceeded, "cb-fail7": tasks.StateFailed} {
		rec := in.awaitTerminal(t, id)
		last := rec.History[len(rec.History)-1]
		if rec.State != want || !strings.HasPrefix(last.Reason, "query confirming a callback") {
			t.Errorf("%s: got %s by %q, want %s by the query a callback triggered", id, rec.State, last.Reason, want)
		}
	}
	// payoutd answers only after the record is written, so the record can
	// be terminal a moment before the fake has the answer: await it.
	acked := 0
	eventually(t, func() bool {
		acked = 0
		for _, d := range e.fake.Callbacks() {
			if d.Acked {
				acked++
			}
		}
		return acked == 2
	}, func() string {
		return fmt.Sprintf("callbacks acknowledged with %q: got %d want 2", cregis.CallbackAck, acked)
	})
}

func TestForgedCallbacksAreRefusedAndChangeNothing(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.withCallbacks(t)
	in := e.start(t, "POLL_MIN_INTERVAL", "1h", "POLL_MAX_INTERVAL", "2h")
	in.enqueue(t, "forged-1", "T-hold0", "1")
	cid := awaitCID(t, in, "forged-1")
	url := "http://" + in.addr + "/cregis/callback"
	fields, err := e.fake.CallbackFields(cid)
	if err != nil {
		t.Fatal(err)
	}
	fields["status"] = 6
	tests := []struct {
		desc       string
		fields     map[string]any
		sign       bool
		wantStatus int
	}{
		{"unsigned, claiming success", fields, false, http.StatusBadRequest},
		{"signed for another project", with2(fields, "pid", e.fake.PID+1), true, http.StatusForbidden},
		{"signed, naming an unknown payout", with2(fields, "third_party_id", "nobody"), true, http.StatusNotFound},
		{"with a forged sign", with2(fields, "sign", strings.Repeat("0", 32)), false, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			d := e.fake.SendCallback(url, tt.fields, tt.sign)
			if d.Acked || d.StatusCode != tt.wantStatus {
				t.Errorf("got HTTP %d acknowledged=%v, want %d and no %q", d.StatusCode, d.Acked, tt.wantStatus, cregis.CallbackAck)
			}
		})
	}
	if rec := in.get(t, "forged-1"); rec.State != tasks.StateSubmitted {
		t.Errorf("after forged callbacks: got state %s want submitted", rec.State)
	}
}

func TestOldAndReplayedCallbacksAreAcceptedButConflictsAreNot(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, cregistest.WithoutCallbacks())
	e.withCallbacks(t)
	in := e.start(t, "POLL_MIN_INTERVAL", "1h", "POLL_MAX_INTERVAL", "2h")
	in.enqueue(t, "late-1", "T-late", "1")
	cid := awaitCID(t, in, "late-1")
	awaitFakeStatus(t, e.fake, cid, cregis.StatusSucceeded)
	// Re-pushed by hand days later, with the original timestamp.
	for _, desc := range []string{"an old callback", "its replay"} {
		d, err := e.fake.PushCallbackAt(cid, time.Now().Add(-72*time.Hour))
		if err != nil || !d.Acked {
			t.Fatalf("%s: got HTTP %d %q (%v), want %q", desc, d.StatusCode, d.Response, err, cregis.CallbackAck)
		}
	}
	settled := in.awaitTerminal(t, "late-1") // the callback's hint, confirmed by a query
	if settled.State != tasks.StateSucceeded {
		t.Fatalf("state: got %s want succeeded", settled.State)
	}
	fields, err := e.fake.CallbackFields(cid)
	if err != nil {
		t.Fatal(err)
	}
	d := e.fake.SendCallback("http://"+in.addr+"/cregis/callback", with2(fields, "status", 7), true)
	if d.Acked || d.StatusCode != http.StatusConflict {
		t.Errorf("a signed callback contradicting the outcome: got HTTP %d acked=%v, want 409", d.StatusCode, d.Acked)
	}
	if after := in.get(t, "late-1"); after.State != tasks.StateSucceeded || len(after.History) != len(settled.History) {
		t.Errorf("the settled record changed: got %s with %d transitions, want succeeded with %d", after.State, len(after.History), len(settled.History))
	}
}

// awaitFakeStatus waits until the fake's payout has status want.
func awaitFakeStatus(t *testing.T, fake *cregistest.Server, cid int64, want cregis.Status) {
	t.Helper()
	eventually(t, func() bool { p, ok := fake.Payout(cid); return ok && p.Status == want },
		func() string { return fmt.Sprintf("the fake's payout %d did not reach status %d", cid, want) })
}

// with2 returns a copy of m with k set to v.
func with2(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for key, val := range m {
		out[key] = val
	}
	out[k] = v
	return out
}

// awaitCID waits for the payout to be submitted and returns its cid.
func awaitCID(t *testing.T, in *instance, id string) int64 {
	t.Helper()
	var rec tasks.Record
	eventually(t, func() bool { rec = in.get(t, id); return rec.CID != "" },
		func() string { return fmt.Sprintf("%s: no cid (state %s)", id, rec.State) })
	cid, err := strconv.ParseInt(rec.CID, 10, 64)
	if err != nil {
		t.Fatalf("%s: cid %q is not an int64: %v", id, rec.CID, err)
	}
	return cid
}

func TestEveryProtectedRouteNeedsAValidToken(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	in := e.start(t)
	routes := []struct{ method, path, body string }{
		{"POST", "/v1/payouts", `{"third_party_id":"auth-1","currency":"195@195","to_address":"T-x","amount":"1"}`},
		{"GET", "/v1/payouts", ""},
		{"GET", "/v1/payouts/auth-1", ""},
		{"POST", "/v1/payouts/auth-1/retry", "{}"},
		{"POST", "/v1/payouts/auth-1/resolve", `{"cid":"1"}`},
		{"POST", "/v1/payouts/auth-1/cancel", `{}`},
	}
	tokens := []struct{ desc, token string }{
		{"without a token", ""},
		{"with a wrong token", "wrong-token"},
		{"with a token that extends a valid one", testToken + "x"},
	}
	for _, rt := range routes {
		for _, tk := range tokens {
			t.Run(rt.method+" "+rt.path+" "+tk.desc, func(t *testing.T) {
				status, b := in.do(t, rt.method, rt.path, tk.token, rt.body)
				if code, _ := errorBody(t, b); status != http.StatusUnauthorized || code != "unauthorized" {
					t.Errorf("got %d %s, want 401 unauthorized", status, code)
				}
			})
		}
		t.Run(rt.method+" "+rt.path+" with a valid token", func(t *testing.T) {
			if status, b := in.do(t, rt.method, rt.path, testToken, rt.body); status == http.StatusUnauthorized {
				t.Errorf("got 401 with a valid token: %s", b)
			}
		})
	}
	if n := e.fake.Creates("auth-1"); n > 1 {
		t.Errorf("creates: got %d want at most 1", n)
	}
}

func TestBadRequestsAreRefusedBeforeReachingCregis(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	in := e.start(t)
	big := `{"third_party_id":"big","currency":"195@195","to_address":"T-x","amount":"1","remark":"` + strings.Repeat("x", 70<<10) + `"}`
	tests := []struct {
		desc, method, path, body string
		wantStatus               int
		wantCode, wantField      string
	}{
		{"not JSON", "POST", "/v1/payouts", `{"third_party_id":`, 400, "invalid_json", ""},
		{"a JSON array", "POST", "/v1/payouts", `[{"third_party_id":"a"}]`, 400, "invalid_json", ""},
		{"an unknown field", "POST", "/v1/payouts", `{"third_party_id":"u1","currency":"195@195","to_address":"T-x","amount":"1","fee":"0"}`, 422, "unknown_field", "fee"},
		{"an amount as a number", "POST", "/v1/payouts", `{"third_party_id":"n1","currency":"195@195","to_address":"T-x","amount":1.5}`, 422, "invalid_type", "amount"},
		{"no third_party_id", "POST", "/v1/payouts", `{"currency":"195@195","to_address":"T-x","amount":"1"}`, 422, "required", "third_party_id"},
		{"a third_party_id with a slash", "POST", "/v1/payouts", `{"third_party_id":"a/b","currency":"195@195","to_address":"T-x","amount":"1"}`, 422, "invalid_third_party_id", "third_party_id"},
		{"a negative amount", "POST", "/v1/payouts", `{"third_party_id":"neg","currency":"195@195","to_address":"T-x","amount":"-1"}`, 422, "invalid_amount", "amount"},
		{"too many decimals", "POST", "/v1/payouts", `{"third_party_id":"dec","currency":"195@195","to_address":"T-x","amount":"1.0000001"}`, 422, "too_many_decimals", "amount"},
		{"an unsupported currency", "POST", "/v1/payouts", `{"third_party_id":"cur","currency":"999@999","to_address":"T-x","amount":"1"}`, 422, "unsupported_currency", "currency"},
		{"a memo on TRX", "POST", "/v1/payouts", `{"third_party_id":"memo","currency":"195@195","to_address":"T-x","amount":"1","memo":"7"}`, 422, "memo_not_supported", "memo"},
		{"a body over 64 KiB", "POST", "/v1/payouts", big, 413, "body_too_large", ""},
		{"a list with an unknown state", "GET", "/v1/payouts?state=lost", "", 400, "invalid_parameter", "state"},
		{"a list with a limit of 0", "GET", "/v1/payouts?limit=0", "", 400, "invalid_parameter", "limit"},
		{"a list with a foreign cursor", "GET", "/v1/payouts?cursor=bogus", "", 400, "invalid_parameter", "cursor"},
		{"an unknown payout", "GET", "/v1/payouts/nobody", "", 404, "not_found", ""},
		{"a retry of an unknown payout", "POST", "/v1/payouts/nobody/retry", "", 404, "not_found", ""},
		{"a retry with a body", "POST", "/v1/payouts/nobody/retry", `{"now":true}`, 422, "unknown_field", "now"},
		{"a resolve without a cid", "POST", "/v1/payouts/nobody/resolve", `{}`, 422, "required", "cid"},
		{"a resolve with a numeric cid", "POST", "/v1/payouts/nobody/resolve", `{"cid":123}`, 422, "invalid_type", "cid"},
		{"a resolve with a cid that is not a number", "POST", "/v1/payouts/nobody/resolve", `{"cid":"12a"}`, 422, "invalid_cid", "cid"},
		{"a DELETE", "DELETE", "/v1/payouts/nobody", "", 405, "method_not_allowed", ""},
		{"an unknown route", "GET", "/v2/payouts", "", 404, "not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			status, b := in.do(t, tt.method, tt.path, testToken, tt.body)
			code, field := errorBody(t, b)
			if status != tt.wantStatus || code != tt.wantCode || field != tt.wantField {
				t.Errorf("got %d %q field %q, want %d %q field %q", status, code, field, tt.wantStatus, tt.wantCode, tt.wantField)
			}
		})
	}
	for _, path := range []string{cregis.PathPayout, cregis.PathSubAddressWithdrawal} {
		if reqs := e.fake.RequestsTo(path); len(reqs) != 0 {
			t.Errorf("bad requests reached Cregis: %d calls to %s", len(reqs), path)
		}
	}
}

func TestOperatorActionsNeverTouchATerminalPayout(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	in := e.start(t)
	in.enqueue(t, "op-done", "T-done", "1")
	before := in.awaitTerminal(t, "op-done")
	tests := []struct{ desc, path, body, wantCode string }{
		{"retry", "/v1/payouts/op-done/retry", "", "payout_terminal"},
		{"resolve with another cid", "/v1/payouts/op-done/resolve", `{"cid":"42"}`, "cid_mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			status, b := in.do(t, "POST", tt.path, testToken, tt.body)
			if code, _ := errorBody(t, b); status != http.StatusConflict || code != tt.wantCode {
				t.Errorf("got %d %s want 409 %s", status, code, tt.wantCode)
			}
		})
	}
	after := in.get(t, "op-done")
	if !after.UpdatedAt.Equal(before.UpdatedAt) || len(after.History) != len(before.History) {
		t.Errorf("the terminal record changed: before %+v after %+v", before, after)
	}
}

func TestAnUnconfirmedPayoutIsResolvedByAnOperator(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	in := e.start(t)
	// Cregis applies the create but the answer is lost; the retry gets E0009.
	e.fake.FailCreatesAfterApply(1, cregistest.FaultGatewayTimeout)
	in.enqueue(t, "unc-1", "T-unc", "1")
	var rec tasks.Record
	eventually(t, func() bool { rec = in.get(t, "unc-1"); return rec.State == tasks.StateUnconfirmed },
		func() string { return fmt.Sprintf("state: got %s, want unconfirmed", rec.State) })
	p, ok := e.fake.PayoutByThirdPartyID("unc-1")
	if !ok {
		t.Fatal("the fake has no payout unc-1")
	}
	status, b := in.do(t, "POST", "/v1/payouts/unc-1/retry", testToken, "")
	if code, _ := errorBody(t, b); status != http.StatusConflict || code != "needs_resolve" {
		t.Errorf("retry of an unconfirmed payout: got %d %s want 409 needs_resolve", status, code)
	}
	status, b = in.do(t, "POST", "/v1/payouts/unc-1/resolve", testToken, fmt.Sprintf(`{"cid":"%d"}`, p.CID))
	if status != http.StatusOK {
		t.Fatalf("resolve: got %d %s", status, b)
	}
	if rec := in.awaitTerminal(t, "unc-1"); rec.State != tasks.StateSucceeded || rec.CID != fmt.Sprint(p.CID) {
		t.Errorf("after resolve: got %s cid %s, want succeeded with cid %d", rec.State, rec.CID, p.CID)
	}
	assertFakeHoldsExactly(t, e.fake, "unc-1")
}

func TestAnOperatorRetryRedrivesAPayoutAfterATransientFault(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	in := e.start(t)
	e.fake.FailCreatesBeforeApply(1, cregistest.FaultServiceUnavailable)
	in.enqueue(t, "flaky-1", "T-flaky", "1")
	var rec tasks.Record
	eventually(t, func() bool { rec = in.get(t, "flaky-1"); return rec.LastError != "" },
		func() string { return fmt.Sprintf("no failed attempt recorded (state %s)", rec.State) })
	// The worker waits seconds before retrying; the operator says now.
	if status, b := in.do(t, "POST", "/v1/payouts/flaky-1/retry", testToken, ""); status != http.StatusOK {
		t.Fatalf("retry: got %d %s want 200", status, b)
	}
	if rec := in.awaitTerminal(t, "flaky-1"); rec.State != tasks.StateSucceeded {
		t.Errorf("state: got %s want succeeded", rec.State)
	}
	assertFakeHoldsExactly(t, e.fake, "flaky-1")
}

func TestListingPagesNewestFirst(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	in := e.start(t)
	for i := range 3 {
		in.enqueue(t, fmt.Sprintf("list-%d", i), "T-hold0", "1")
	}
	var ids []string
	cursor := ""
	for page := 0; page < 5; page++ {
		status, b := in.do(t, "GET", "/v1/payouts?limit=2&cursor="+cursor, testToken, "")
		var p struct {
			Payouts    []tasks.Record `json:"payouts"`
			NextCursor string         `json:"next_cursor"`
		}
		if status != http.StatusOK || json.Unmarshal(b, &p) != nil {
			t.Fatalf("list: got %d %s", status, b)
		}
		for _, r := range p.Payouts {
			ids = append(ids, r.ThirdPartyID)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if got, want := strings.Join(ids, ","), "list-2,list-1,list-0"; got != want {
		t.Errorf("listed: got %s want %s", got, want)
	}
}

func TestRolesSplitAcrossProcesses(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	api := e.start(t, "ROLES", "api")
	e.start(t, "ROLES", "scheduler", "API_TOKENS", "")
	worker := e.start(t, "ROLES", "worker", "API_TOKENS", "")
	if status, _ := worker.do(t, "GET", "/v1/payouts", testToken, ""); status != http.StatusNotFound {
		t.Errorf("/v1 on a worker-only process: got %d want 404", status)
	}
	api.enqueue(t, "split-1", "T-split", "1")
	if rec := api.awaitTerminal(t, "split-1"); rec.State != tasks.StateSucceeded {
		t.Errorf("state: got %s want succeeded", rec.State)
	}
}

func TestGracefulShutdownUnderLoadCreatesEachPayoutOnce(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.fake.SetLatency(150 * time.Millisecond) // creates are in flight when the signal comes
	in := e.start(t, "WORKER_CONCURRENCY", "8")
	const n = 24
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.enqueue(t, fmt.Sprintf("load-%02d", i), "T-load", "1")
		}()
	}
	wg.Wait()
	awaitCreates(t, e.fake, 1)
	if err := in.stop(t); err != nil {
		t.Fatalf("shutdown: run returned %v, want nil", err)
	}
	e.fake.SetLatency(0)
	again := e.start(t)
	var ids []string
	for i := range n {
		id := fmt.Sprintf("load-%02d", i)
		rec := again.awaitTerminal(t, id)
		if rec.State != tasks.StateSucceeded {
			t.Errorf("%s: got %s want succeeded", id, rec.State)
		}
		if c := e.fake.Creates(id); c != 1 {
			t.Errorf("%s: accepted creates at Cregis: got %d want exactly 1", id, c)
		}
		ids = append(ids, id)
	}
	assertFakeHoldsExactly(t, e.fake, ids...)
}

// awaitCreates waits until Cregis has accepted at least n creates.
func awaitCreates(t *testing.T, fake *cregistest.Server, n int) {
	t.Helper()
	eventually(t, func() bool { return len(fake.RequestsTo(cregis.PathPayout)) >= n },
		func() string { return fmt.Sprintf("fewer than %d creates reached Cregis", n) })
}
