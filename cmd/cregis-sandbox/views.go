package main

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
)

// The read-only views the sandbox serves beside the API.
const (
	pathLedger        = "/_sandbox/ledger"
	pathRequests      = "/_sandbox/requests"
	pathCallbacks     = "/_sandbox/callbacks"
	pathVerifications = "/_sandbox/verifications"
	pathState         = "/_sandbox/state"
)

// recentRequests is how many of the latest requests the requests view lists.
const recentRequests = 200

// registerViews adds the sandbox's JSON views to the fake's listener.
func registerViews(s *cregistest.Server) {
	s.Handle("GET "+pathLedger, view(func() any { return map[string]any{"payouts": s.Payouts()} }))
	s.Handle("GET "+pathRequests, view(func() any {
		reqs := s.Requests()
		return map[string]any{"requests": reqs[max(0, len(reqs)-recentRequests):]}
	}))
	s.Handle("GET "+pathCallbacks, view(func() any { return map[string]any{"callbacks": s.Callbacks()} }))
	s.Handle("GET "+pathVerifications, view(func() any { return map[string]any{"verifications": s.Verifications()} }))
	s.Handle("GET "+pathState, view(func() any { return newState(s) }))
}

// view serves the JSON of what read returns.
func view(read func() any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(read())
	})
}

// state is the fake's configuration and counters, never its key.
type state struct {
	PID              int64                 `json:"pid"`
	QueryMode        string                `json:"query_mode"`
	Dwell            map[string]string     `json:"dwell"`
	CallbacksEnabled bool                  `json:"callbacks_enabled"`
	FaultRates       cregistest.FaultRates `json:"fault_rates"`
	Latency          string                `json:"latency"`
	Calls            map[string]int        `json:"calls"`
	RatePerSecond1m  float64               `json:"rate_per_second_1m"`
	Payouts          int                   `json:"payouts"`
	Callbacks        int                   `json:"callbacks"`
	CallbacksAcked   int                   `json:"callbacks_acked"`
	// VerificationOn is whether new payouts are sent for verification.
	VerificationOn    bool `json:"verification_on"`
	Verifications     int  `json:"verifications"`
	VerificationsOK   int  `json:"verifications_ok"`
	VerificationsDeny int  `json:"verifications_deny"`
}

func newState(s *cregistest.Server) state {
	cfg := s.Config()
	st := state{
		PID: s.PID, QueryMode: cfg.QueryMode.String(), CallbacksEnabled: !cfg.DisableCallbacks,
		FaultRates: cfg.FaultRates, Latency: cfg.Latency.String(), Calls: map[string]int{},
		RatePerSecond1m: s.Rate(time.Minute), Payouts: len(s.Payouts()),
		Dwell: map[string]string{"0": cfg.Dwell.PendingApproval.String(), "5": cfg.Dwell.PendingSignature.String(), "1": cfg.Dwell.OnChain.String()},
	}
	for _, p := range []string{cregis.PathPayout, cregis.PathSubAddressWithdrawal, cregis.PathSubAddressWithdrawalInfo,
		cregis.PathPayoutQuery, cregis.PathAddressLegal, cregis.PathCoins, cregis.PathTradePage} {
		st.Calls[p] = s.Calls(p)
	}
	for _, d := range s.Callbacks() {
		st.Callbacks++
		if d.Acked {
			st.CallbacksAcked++
		}
	}
	st.countVerifications(s)
	return st
}

// countVerifications counts the verification requests and their verdicts.
func (st *state) countVerifications(s *cregistest.Server) {
	st.VerificationOn = s.VerificationURL() != ""
	for _, d := range s.Verifications() {
		st.Verifications++
		switch d.Verdict {
		case cregis.VerificationApprove:
			st.VerificationsOK++
		case cregis.VerificationDeny:
			st.VerificationsDeny++
		}
	}
}
