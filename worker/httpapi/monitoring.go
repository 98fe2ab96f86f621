package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"

	"github.com/hibiken/asynqmon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// monitoringRoot is where the Asynq web UI is mounted.
const monitoringRoot = "/monitoring"

// handleMonitoring returns the Asynq web UI, read-only unless
// Monitor.Writable, showing task payloads and results through
// FormatPayload.
func (h *Handler) handleMonitoring() http.Handler {
	ui := asynqmon.New(asynqmon.Options{
		RootPath:         monitoringRoot,
		RedisConnOpt:     h.cfg.Monitor.Redis,
		PayloadFormatter: asynqmon.PayloadFormatterFunc(func(_ string, b []byte) string { return FormatPayload(b) }),
		ResultFormatter:  asynqmon.ResultFormatterFunc(func(_ string, b []byte) string { return FormatPayload(b) }),
		ReadOnly:         !h.cfg.Monitor.Writable,
	})
	h.closers = append(h.closers, ui.Close)
	return ui
}

// shownPayloadFields are the task payload fields the UI may show: ids and
// sequence numbers, never anything else.
var shownPayloadFields = map[string]bool{"third_party_id": true, "seq": true}

// FormatPayload renders a task payload for the monitoring UI. payoutd's
// payloads carry only ids, but it shows defensively: a JSON object keeps
// the known id fields and hides every other value; anything else is hidden
// whole.
func FormatPayload(b []byte) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return "(payload hidden)"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		name, _ := json.Marshal(k)
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(shownValue(k, m[k]))
	}
	buf.WriteByte('}')
	return buf.String()
}

// shownValue is v when field k may be shown and is a scalar, else a mask.
func shownValue(k string, v json.RawMessage) []byte {
	var s any
	if shownPayloadFields[k] && json.Unmarshal(v, &s) == nil {
		switch s.(type) {
		case string, float64:
			return v
		}
	}
	return []byte(`"(hidden)"`)
}

// handleMetrics serves g in the Prometheus text format.
func handleMetrics(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}
