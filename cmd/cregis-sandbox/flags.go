package main

import (
	"flag"
	"io"
	"time"

	"github.com/payoutd/payoutd/cregis/cregistest"
)

// defaultDwell is how long a sandbox payout stays in each non-terminal
// status: slow enough to watch it move.
const defaultDwell = 3 * time.Second

// parseFlags reads the command line into a fake's configuration.
func parseFlags(args []string, out io.Writer) (cregistest.Config, error) {
	var cfg cregistest.Config
	var mode string
	fs := flag.NewFlagSet("cregis-sandbox", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:9000", "`address` to listen on")
	fs.Int64Var(&cfg.PID, "pid", cregistest.DefaultPID, "project id")
	fs.StringVar(&cfg.APIKey, "key", "", "API key (default: random, printed at start)")
	fs.DurationVar(&cfg.Dwell.PendingApproval, "approval", defaultDwell, "time in status 0 (pending approval)")
	fs.DurationVar(&cfg.Dwell.PendingSignature, "signature", defaultDwell, "time in status 5 (pending signature)")
	fs.DurationVar(&cfg.Dwell.OnChain, "chain", defaultDwell, "time in status 1 (on chain) before the end")
	fs.Float64Var(&cfg.FaultRates.CreateBeforeApply, "fail-before", 0, "`fraction` of creates failing before they are applied (502, 503, reset)")
	fs.Float64Var(&cfg.FaultRates.CreateAfterApply, "fail-after", 0, "`fraction` of creates failing after they are applied (500, 504, HTML)")
	fs.Float64Var(&cfg.FaultRates.Query, "fail-query", 0, "`fraction` of status queries failing (502, 503, 500)")
	fs.DurationVar(&cfg.Latency, "latency", 0, "latency added to every call")
	fs.StringVar(&mode, "query-mode", "both", "which endpoint answers for a /api/v2/payout cid: both, info or payout-query")
	callbacks := fs.Bool("callbacks", true, "send callbacks on reaching 2, 4, 6 or 7")
	fs.DurationVar(&cfg.CallbackTimeout, "callback-timeout", 5*time.Second, "bound on one callback or verification delivery")
	fs.StringVar(&cfg.VerificationURL, "verification-url", "", "Payout External Verification `URL`: every new payout waits at 0 until it answers ok (default: off)")
	fs.DurationVar(&cfg.VerificationRetry, "verification-retry", 50*time.Millisecond, "how soon an unanswered verification request is sent again")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	cfg.DisableCallbacks = !*callbacks
	var err error
	cfg.QueryMode, err = cregistest.ParseQueryMode(mode)
	return cfg, err
}
