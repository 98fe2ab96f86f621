package worker

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
)

// The helpers below record into p.cfg.Metrics; a nil *metrics.Metrics
// records nothing.

// observeCall records one Cregis call: its result code and its latency.
func (p *Pipeline) observeCall(endpoint string, err error, d time.Duration) {
	m := p.cfg.Metrics
	if m == nil {
		return
	}
	m.CregisCalls.WithLabelValues(endpoint, callCode(err)).Inc()
	m.CregisLatency.WithLabelValues(endpoint).Observe(d.Seconds())
	if isConfigError(err) {
		p.countConfigError(err)
	}
}

// countConfigError counts a Cregis answer that says payoutd or the project
// is misconfigured.
func (p *Pipeline) countConfigError(err error) {
	if m := p.cfg.Metrics; m != nil {
		m.ConfigErrors.WithLabelValues(callCode(err)).Inc()
	}
}

// callCode labels a call's result: "00000", a Cregis code, "http_NNN",
// "invalid_request" or "transport".
func callCode(err error) string {
	var (
		ae *cregis.APIError
		he *cregis.HTTPError
	)
	switch {
	case err == nil:
		return cregis.CodeOK
	case errors.As(err, &ae):
		return ae.Code
	case errors.As(err, &he):
		return "http_" + strconv.Itoa(he.StatusCode)
	case errors.Is(err, cregis.ErrInvalidRequest):
		return "invalid_request"
	}
	return "transport"
}

func (p *Pipeline) countTransition(from, to tasks.State) {
	if m := p.cfg.Metrics; m != nil {
		m.Transitions.WithLabelValues(string(from), string(to)).Inc()
	}
}

func (p *Pipeline) countRateLimitWait() {
	if m := p.cfg.Metrics; m != nil {
		m.RateLimitWaits.Inc()
	}
}

// countAnomaly counts an answer from Cregis that contradicts a settled record.
func (p *Pipeline) countAnomaly(kind string) {
	if m := p.cfg.Metrics; m != nil {
		m.Anomalies.WithLabelValues(kind).Inc()
	}
}

func (p *Pipeline) countCallback(result string) {
	if m := p.cfg.Metrics; m != nil {
		m.Callbacks.WithLabelValues(result).Inc()
	}
}

// countHint counts a claim from outside by source and result (recorded,
// confirmed, contradicted); a callback's and a verification's confirmations
// and contradictions also count in their own counters.
func (p *Pipeline) countHint(source, result string) {
	m := p.cfg.Metrics
	if m == nil {
		return
	}
	m.Hints.WithLabelValues(hintLabel(source), result).Inc()
	if result == "recorded" {
		return
	}
	switch source {
	case tasks.HintCallback:
		m.Callbacks.WithLabelValues(result).Inc()
	case tasks.HintVerification:
		m.Verifications.WithLabelValues(result).Inc()
	}
}

// hintLabel is a hint source as a metric label ("trade scan": "trade_scan").
func hintLabel(source string) string { return strings.ReplaceAll(source, " ", "_") }

// countVerification counts a verification request's answer.
func (p *Pipeline) countVerification(answer string) {
	if m := p.cfg.Metrics; m != nil {
		m.Verifications.WithLabelValues(answer).Inc()
	}
}

// setGauges publishes what the sweeper counted.
func (p *Pipeline) setGauges(c *sweepCounts) {
	m := p.cfg.Metrics
	if m == nil {
		return
	}
	for _, s := range openStates {
		m.Payouts.WithLabelValues(string(s)).Set(float64(c.byState[s]))
	}
	m.OldestOpen.Set(c.oldest.Seconds())
	m.Unconfirmed.Set(float64(c.byState[tasks.StateUnconfirmed]))
	m.Stuck.Set(float64(c.stuck))
}

// countDelivery counts a webhook attempt: delivered or failed, and
// exhausted when it was its round's last.
func (p *Pipeline) countDelivery(event string, err error, last bool) {
	m := p.cfg.Metrics
	if m == nil {
		return
	}
	if err == nil {
		m.Webhooks.WithLabelValues(event, "delivered").Inc()
		return
	}
	m.Webhooks.WithLabelValues(event, "failed").Inc()
	if last {
		m.Webhooks.WithLabelValues(event, "exhausted").Inc()
	}
}
