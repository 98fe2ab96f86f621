package cregistest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
)

// attempt sends a signed create and returns the HTTP status and body, or
// the transport error.
func attempt(ctx context.Context, s *cregistest.Server, path, thirdPartyID string) (int, string, error) {
	b, _ := json.Marshal(signed(s.PID, s.APIKey, payoutFields(thirdPartyID)))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+path, bytes.NewReader(b))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

func TestCreateFaults(t *testing.T) {
	cases := []struct {
		desc        string
		inject      func(*cregistest.Server)
		wantStatus  int // 0: a transport error
		wantApplied bool
	}{
		{"a 502 before applying creates nothing", func(s *cregistest.Server) { s.FailCreatesBeforeApply(1, cregistest.FaultBadGateway) }, 502, false},
		{"a 503 before applying creates nothing", func(s *cregistest.Server) { s.FailCreatesBeforeApply(1, cregistest.FaultServiceUnavailable) }, 503, false},
		{"a reset before applying creates nothing", func(s *cregistest.Server) { s.FailCreatesBeforeApply(1, cregistest.FaultReset) }, 0, false},
		{"a 500 after applying leaves the payout created", func(s *cregistest.Server) { s.FailCreatesAfterApply(1, cregistest.FaultInternalError) }, 500, true},
		{"a 504 after applying leaves the payout created", func(s *cregistest.Server) { s.FailCreatesAfterApply(1, cregistest.FaultGatewayTimeout) }, 504, true},
		{"an HTML 200 after applying leaves the payout created", func(s *cregistest.Server) { s.FailCreatesAfterApply(1, cregistest.FaultHTML) }, 200, true},
		{"a reset after applying leaves the payout created", func(s *cregistest.Server) { s.FailCreatesAfterApply(1, cregistest.FaultReset) }, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			s := cregistest.NewServer(t)
			tc.inject(s)
			status, body, err := attempt(context.Background(), s, cregis.PathPayout, "fault")
			if tc.wantStatus == 0 && err == nil {
				t.Fatalf("HTTP %d, want a transport error", status)
			}
			if tc.wantStatus != 0 && (err != nil || status != tc.wantStatus || !strings.HasPrefix(body, "<html>")) {
				t.Fatalf("HTTP %d, error %v, body %.30q; want HTTP %d with an HTML page", status, err, body, tc.wantStatus)
			}
			if got := s.Creates("fault") == 1; got != tc.wantApplied {
				t.Errorf("applied = %v, want %v", got, tc.wantApplied)
			}
			assertRetrySettles(t, s, tc.wantApplied)
		})
	}
}

// assertRetrySettles retries the faulted create: E0009 if it was applied,
// 00000 if not (the fault was used up).
func assertRetrySettles(t *testing.T, s *cregistest.Server, applied bool) {
	t.Helper()
	want := cregis.CodeOK
	if applied {
		want = "E0009"
	}
	if r := call(t, s, cregis.PathPayout, payoutFields("fault")); r.Code != want {
		t.Errorf("retry: code = %s, want %s", r.Code, want)
	}
}

func TestHangingCreates(t *testing.T) {
	cases := []struct {
		desc        string
		inject      func(*cregistest.Server)
		wantApplied bool
	}{
		{"a hang after applying leaves the payout created", func(s *cregistest.Server) { s.FailCreatesAfterApply(1, cregistest.FaultHang) }, true},
		{"a hang before applying creates nothing", func(s *cregistest.Server) { s.FailCreatesBeforeApply(1, cregistest.FaultHang) }, false},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			s := cregistest.NewServer(t)
			tc.inject(s)
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			if _, _, err := attempt(ctx, s, cregis.PathPayout, "hang"); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("error = %v, want the client's deadline", err)
			}
			if got := s.Creates("hang") == 1; got != tc.wantApplied {
				t.Errorf("applied = %v, want %v", got, tc.wantApplied)
			}
		})
	}
}

func TestCloseEndsAHangingCall(t *testing.T) {
	s, err := cregistest.Start(cregistest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s.FailCreatesAfterApply(1, cregistest.FaultHang)
	done := make(chan error, 1)
	go func() {
		_, _, err := attempt(context.Background(), s, cregis.PathPayout, "hang")
		done <- err
	}()
	waitFor(t, "the hanging call to arrive", func() bool { return len(s.Requests()) == 1 })
	s.Close()
	if err := <-done; err == nil {
		t.Error("the hanging call succeeded, want a transport error once the server closed")
	}
}

func TestFaultsAreQueuedInOrder(t *testing.T) {
	s := cregistest.NewServer(t)
	s.FailCreatesBeforeApply(2, cregistest.FaultBadGateway)
	s.FailCreatesBeforeApply(1, cregistest.FaultServiceUnavailable)
	var got []int
	for range 4 {
		status, _, _ := attempt(context.Background(), s, cregis.PathPayout, "queue")
		got = append(got, status)
	}
	if want := []int{502, 502, 503, 200}; !slices.Equal(got, want) {
		t.Errorf("statuses = %v, want %v", got, want)
	}
	t.Run("RequestsRecordTheFaults", func(t *testing.T) {
		reqs := s.Requests()
		if reqs[0].Fault != cregistest.FaultBadGateway || reqs[2].Fault != cregistest.FaultServiceUnavailable || reqs[3].Fault != cregistest.FaultNone {
			t.Errorf("faults = %v %v %v %v, want bad_gateway bad_gateway service_unavailable none",
				reqs[0].Fault, reqs[1].Fault, reqs[2].Fault, reqs[3].Fault)
		}
	})
}

func TestQueryFaults(t *testing.T) {
	s := cregistest.NewServer(t)
	cid := create(t, s, cregis.PathPayout, payoutFields("q"))
	s.FailQueries(1, cregistest.FaultServiceUnavailable)
	body, _ := json.Marshal(signed(s.PID, s.APIKey, map[string]any{"cid": cid}))
	if status, _ := postRaw(t, s.URL+cregis.PathPayoutQuery, "application/json", body); status != 503 {
		t.Fatalf("HTTP %d, want 503", status)
	}
	statusOf(t, s, cregis.PathPayoutQuery, cid)
	if n := s.Queries(cid); n != 1 {
		t.Errorf("Queries = %d, want 1: the faulted query was not served", n)
	}
}

func TestLatencyDelaysEveryCall(t *testing.T) {
	s := cregistest.NewServer(t)
	s.SetLatency(30 * time.Millisecond)
	start := time.Now()
	call(t, s, cregis.PathCoins, nil)
	if took := time.Since(start); took < 30*time.Millisecond {
		t.Errorf("the call took %v, want at least 30ms", took)
	}
}

func TestErrorStormAnswersEveryCall(t *testing.T) {
	for _, code := range []string{"B0001", "E0001", "E0004"} {
		t.Run(code, func(t *testing.T) {
			s := cregistest.NewServer(t)
			cid := create(t, s, cregis.PathPayout, payoutFields("before-storm"))
			s.SetErrorStorm(code)
			for path, fields := range map[string]map[string]any{
				cregis.PathPayout: payoutFields("storm"), cregis.PathPayoutQuery: {"cid": cid}, cregis.PathCoins: nil,
			} {
				if r := call(t, s, path, fields); r.Code != code {
					t.Errorf("%s: code = %s, want %s", path, r.Code, code)
				}
			}
			if n := s.Creates("storm"); n != 0 {
				t.Errorf("Creates(storm) = %d during the storm, want 0", n)
			}
			s.ClearErrorStorm()
			create(t, s, cregis.PathPayout, payoutFields("storm"))
		})
	}
}

func TestClearFaultsDropsWhatIsQueued(t *testing.T) {
	s := cregistest.NewServer(t)
	s.FailCreatesBeforeApply(3, cregistest.FaultBadGateway)
	s.FailQueries(3, cregistest.FaultBadGateway)
	s.SetErrorStorm("E0001")
	s.ClearFaults()
	cid := create(t, s, cregis.PathPayout, payoutFields("clear"))
	statusOf(t, s, cregis.PathPayoutQuery, cid)
}

func TestFaultRates(t *testing.T) {
	cases := []struct {
		desc        string
		rates       cregistest.FaultRates
		wantApplied bool
	}{
		{"a before-apply rate of 1 fails every create unapplied", cregistest.FaultRates{CreateBeforeApply: 1}, false},
		{"an after-apply rate of 1 fails every create applied", cregistest.FaultRates{CreateAfterApply: 1}, true},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			s := cregistest.NewServer(t, func(c *cregistest.Config) { c.FaultRates = tc.rates })
			for i := range 5 {
				id := "rate-" + string(rune('a'+i))
				status, _, err := attempt(context.Background(), s, cregis.PathPayout, id)
				if err == nil && status == 200 && !tc.wantApplied {
					t.Errorf("create %s: HTTP 200, want a fault", id)
				}
				if got := s.Creates(id) == 1; got != tc.wantApplied {
					t.Errorf("create %s: applied = %v, want %v", id, got, tc.wantApplied)
				}
			}
		})
	}
	t.Run("AQueryRateOf1FailsEveryQuery", func(t *testing.T) {
		s := cregistest.NewServer(t, func(c *cregistest.Config) { c.FaultRates.Query = 1 })
		cid := create(t, s, cregis.PathPayout, payoutFields("qr"))
		body, _ := json.Marshal(signed(s.PID, s.APIKey, map[string]any{"cid": cid}))
		if status, _ := postRaw(t, s.URL+cregis.PathPayoutQuery, "application/json", body); status < 500 {
			t.Errorf("HTTP %d, want a 5xx", status)
		}
	})
}
