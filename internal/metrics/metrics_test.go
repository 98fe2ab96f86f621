package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestWatchedCountersHaveEveryKnownLabelAtZeroFromTheStart(t *testing.T) {
	reg := prometheus.NewRegistry()
	New(reg)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]float64{} // family -> label value -> value
	for _, f := range families {
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != 1 {
				continue
			}
			if got[f.GetName()] == nil {
				got[f.GetName()] = map[string]float64{}
			}
			got[f.GetName()][m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
		}
	}
	want := map[string][]string{
		"payoutd_cregis_config_errors_total": {"B0001", "E0001", "E0003", "E0004", "E0010", "E0034", "E0037", "T0062"},
		"payoutd_anomalies_total":            {"created_after_rejected", "created_after_canceled"},
		"payoutd_callbacks_total": {"recorded", "unknown_payout", "conflict", "cid_mismatch", "not_sent", "not_durable",
			"error", "confirmed", "contradicted", "malformed", "bad_signature", "wrong_pid"},
		"payoutd_verifications_total": {"ok", "deny", "confirmed", "contradicted"},
	}
	for family, labels := range want {
		for _, l := range labels {
			v, ok := got[family][l]
			if !ok || v != 0 {
				t.Errorf("%s{%s}: present %v, value %v; want present at 0", family, l, ok, v)
			}
		}
	}
}

func TestWebhookDeliveriesExistAtZeroForEveryEventAndResult(t *testing.T) {
	reg := prometheus.NewRegistry()
	New(reg)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range families {
		if f.GetName() == "payoutd_webhook_deliveries_total" {
			n = len(f.GetMetric())
		}
	}
	if want := len(WebhookEvents) * len(WebhookResults); n != want || want != 18 {
		t.Errorf("payoutd_webhook_deliveries_total has %d series at start-up, want %d (6 events x 3 results)", n, want)
	}
}
