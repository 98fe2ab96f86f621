// Package metrics holds payoutd's Prometheus collectors, so that the worker
// records and the HTTP surface exposes one set.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are payoutd's own collectors. A nil *Metrics records nothing, so
// code under test may pass nil.
type Metrics struct {
	Transitions    *prometheus.CounterVec   // payoutd_state_transitions_total{from,to}
	CregisCalls    *prometheus.CounterVec   // payoutd_cregis_calls_total{endpoint,code}
	CregisLatency  *prometheus.HistogramVec // payoutd_cregis_call_duration_seconds{endpoint}
	ConfigErrors   *prometheus.CounterVec   // payoutd_cregis_config_errors_total{code}
	RateLimitWaits prometheus.Counter       // payoutd_rate_limit_waits_total
	Callbacks      *prometheus.CounterVec   // payoutd_callbacks_total{result}
	Payouts        *prometheus.GaugeVec     // payoutd_payouts{state}, set by the sweeper
	OldestOpen     prometheus.Gauge         // payoutd_oldest_open_payout_age_seconds
	Unconfirmed    prometheus.Gauge         // payoutd_unconfirmed_payouts
	Stuck          prometheus.Gauge         // payoutd_stuck_payouts
	Anomalies      *prometheus.CounterVec   // payoutd_anomalies_total{kind}
	Hints          *prometheus.CounterVec   // payoutd_hints_total{source,result}
	Verifications  *prometheus.CounterVec   // payoutd_verifications_total{result}
	Webhooks       *prometheus.CounterVec   // payoutd_webhook_deliveries_total{event,result}
}

// The known label values of the labelled counters that alerts watch for
// "any increase". New creates each of these series at 0, so that the first
// event is an increase (a series that appears at its first event fires no
// alert). Code that counts a new value adds it here; a test in each package
// that counts checks that its values are listed.
var (
	// ConfigErrorCodes label payoutd_cregis_config_errors_total{code}.
	ConfigErrorCodes = []string{"B0001", "E0001", "E0003", "E0004", "E0010", "E0034", "E0037", "T0062"}
	// AnomalyKinds label payoutd_anomalies_total{kind}.
	AnomalyKinds = []string{"created_after_rejected", "created_after_canceled"}
	// CallbackResults label payoutd_callbacks_total{result}: the pipeline's
	// (recorded ... not_durable, and a hint confirmed or contradicted) and
	// the HTTP surface's (malformed, bad_signature, wrong_pid).
	CallbackResults = []string{"recorded", "unknown_payout", "conflict", "cid_mismatch", "not_sent", "not_durable",
		"error", "confirmed", "contradicted", "malformed", "bad_signature", "wrong_pid"}
	// VerificationResults label payoutd_verifications_total{result}.
	VerificationResults = []string{"ok", "deny", "confirmed", "contradicted"}
	// HintSources and HintResults label payoutd_hints_total{source,result}.
	HintSources = []string{"callback", "verification", "trade_scan"}
	HintResults = []string{"recorded", "confirmed", "contradicted"}
	// WebhookEvents and WebhookResults label
	// payoutd_webhook_deliveries_total{event,result}: delivered and failed
	// count attempts, exhausted counts rounds that used all their attempts.
	WebhookEvents  = []string{"succeeded", "failed", "rejected", "canceled", "unconfirmed", "held"}
	WebhookResults = []string{"delivered", "failed", "exhausted"}
)

// knownLabels pairs each labelled counter with its known values.
func (m *Metrics) knownLabels() map[*prometheus.CounterVec][]string {
	return map[*prometheus.CounterVec][]string{
		m.ConfigErrors:  ConfigErrorCodes,
		m.Anomalies:     AnomalyKinds,
		m.Callbacks:     CallbackResults,
		m.Verifications: VerificationResults,
	}
}

// zeroKnownLabels creates every known series at 0.
func (m *Metrics) zeroKnownLabels() {
	for vec, values := range m.knownLabels() {
		for _, v := range values {
			vec.WithLabelValues(v)
		}
	}
	for _, src := range HintSources {
		for _, res := range HintResults {
			m.Hints.WithLabelValues(src, res)
		}
	}
	for _, ev := range WebhookEvents {
		for _, res := range WebhookResults {
			m.Webhooks.WithLabelValues(ev, res)
		}
	}
}

// New creates the collectors, with every known label of the watched
// counters at 0, and registers them with reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "payoutd_state_transitions_total", Help: "Payout state transitions.",
		}, []string{"from", "to"}),
		CregisCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "payoutd_cregis_calls_total", Help: "Calls to Cregis by endpoint and result code (00000, an error code, http_NNN, transport).",
		}, []string{"endpoint", "code"}),
		CregisLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "payoutd_cregis_call_duration_seconds", Help: "Latency of calls to Cregis.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15, 30},
		}, []string{"endpoint"}),
		ConfigErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "payoutd_cregis_config_errors_total", Help: "Cregis answers that mean payoutd or the project is misconfigured (B0001, E0001, E0003, E0004, E0034, E0037, T0062; E0010 without a wallet_id).",
		}, []string{"code"}),
		RateLimitWaits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "payoutd_rate_limit_waits_total", Help: "Tasks that waited for the fleet-wide Cregis rate limit.",
		}),
		Callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "payoutd_callbacks_total", Help: "Cregis callbacks by result.",
		}, []string{"result"}),
		Payouts: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "payoutd_payouts", Help: "Payout records by state (non-terminal states, as last counted by the sweeper).",
		}, []string{"state"}),
		OldestOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "payoutd_oldest_open_payout_age_seconds", Help: "Age of the oldest non-terminal payout.",
		}),
		Unconfirmed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "payoutd_unconfirmed_payouts", Help: "Payouts Cregis knows (E0009) whose cid is unknown: they need an operator or a callback.",
		}),
		Stuck: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "payoutd_stuck_payouts", Help: "Non-terminal payouts older than the stuck threshold.",
		}),
		Anomalies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "payoutd_anomalies_total", Help: "Answers from Cregis that contradict a settled record (e.g. created_after_rejected); each needs an operator.",
		}, []string{"kind"}),
		Hints: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "payoutd_hints_total", Help: "Claims from outside (callback, verification, trade_scan) by result: recorded, then confirmed or contradicted by Cregis's own answer.",
		}, []string{"source", "result"}),
		Verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "payoutd_verifications_total", Help: "Cregis Payout External Verification requests by result (ok, deny), and their hints confirmed or contradicted.",
		}, []string{"result"}),
		Webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "payoutd_webhook_deliveries_total", Help: "Webhook delivery attempts by event and result (delivered, failed), and rounds that used all their attempts (exhausted).",
		}, []string{"event", "result"}),
	}
	m.zeroKnownLabels()
	reg.MustRegister(m.Transitions, m.CregisCalls, m.CregisLatency, m.ConfigErrors, m.RateLimitWaits,
		m.Callbacks, m.Payouts, m.OldestOpen, m.Unconfirmed, m.Stuck, m.Anomalies,
		m.Hints, m.Verifications, m.Webhooks)
	return m
}
