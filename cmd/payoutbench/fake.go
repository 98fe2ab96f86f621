package main

import (
	"fmt"
	"time"

	"github.com/payoutd/payoutd/cregis/cregistest"
	"github.com/payoutd/payoutd/tasks"
)

// instant is a Dwell that moves a payout to its fate at once: the first
// query after the create finds it succeeded.
var instant = cregistest.Dwell{PendingApproval: time.Nanosecond, PendingSignature: time.Nanosecond, OnChain: time.Nanosecond}

// startFake starts a fake Cregis whose payouts succeed at once, with no
// callbacks and no faults, sized to remember every request of a run.
func startFake() (*cregistest.Server, error) {
	return cregistest.Start(cregistest.Config{Dwell: instant, DisableCallbacks: true, RequestLogSize: 1000})
}

// recipient is a valid TRX address; it carries no fate marker (see
// cregistest), so its payouts succeed.
const recipient = "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS"

// newRequests returns n valid, distinct TRX payouts, their ids starting
// with prefix.
func newRequests(prefix string, n int) []tasks.Request {
	reqs := make([]tasks.Request, n)
	for i := range reqs {
		reqs[i] = tasks.Request{
			ThirdPartyID: fmt.Sprintf("%s-%08d", prefix, i),
			Currency:     "195@195",
			ToAddress:    recipient,
			Amount:       "1.5",
			Remark:       "withdrawal 48213",
		}
	}
	return reqs
}

// ids returns the ThirdPartyIDs of reqs.
func ids(reqs []tasks.Request) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.ThirdPartyID
	}
	return out
}
