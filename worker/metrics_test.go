package worker

import (
	"errors"
	"slices"
	"testing"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/internal/metrics"
	"github.com/payoutd/payoutd/tasks"
)

// TestEveryCountedLabelIsKnownAtStartUp checks that each label value the
// worker counts is in the lists metrics.New creates at 0.
func TestEveryCountedLabelIsKnownAtStartUp(t *testing.T) {
	for _, code := range append(slices.Clone(configCodes), cregis.ErrWalletNotFound) {
		c := callCode(code)
		if !slices.Contains(metrics.ConfigErrorCodes, c) {
			t.Errorf("config error code %s is counted but not in metrics.ConfigErrorCodes", c)
		}
	}
	for _, s := range tasks.States {
		if kind := "created_after_" + string(s); s.NeverCreated() && !slices.Contains(metrics.AnomalyKinds, kind) {
			t.Errorf("anomaly %s is counted but not in metrics.AnomalyKinds", kind)
		}
	}
	for _, err := range []error{nil, tasks.ErrNotFound, ErrOutcomeConflict, ErrCIDMismatch, tasks.ErrIllegalTransition,
		tasks.ErrNotDurable, errors.New("x")} {
		if r := callbackResult(err); !slices.Contains(metrics.CallbackResults, r) {
			t.Errorf("callback result %s is counted but not in metrics.CallbackResults", r)
		}
	}
	for _, r := range []string{callbackConfirmed, callbackContradicted} {
		if !slices.Contains(metrics.CallbackResults, r) {
			t.Errorf("callback result %s is counted but not in metrics.CallbackResults", r)
		}
	}
	for _, src := range []string{tasks.HintCallback, tasks.HintVerification, tasks.HintTradeScan} {
		if l := hintLabel(src); !slices.Contains(metrics.HintSources, l) {
			t.Errorf("hint source %s is counted but not in metrics.HintSources", l)
		}
	}
	for _, r := range []string{cregis.VerificationApprove, cregis.VerificationDeny, callbackConfirmed, callbackContradicted} {
		if !slices.Contains(metrics.VerificationResults, r) {
			t.Errorf("verification result %s is counted but not in metrics.VerificationResults", r)
		}
	}
	if !slices.Equal(WebhookEvents, metrics.WebhookEvents) {
		t.Errorf("webhook events %v, metrics.WebhookEvents %v; want the same", WebhookEvents, metrics.WebhookEvents)
	}
}
