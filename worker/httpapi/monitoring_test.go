package httpapi

import (
	"strings"
	"testing"
)

func TestFormatPayloadShowsOnlyIDs(t *testing.T) {
	tests := []struct {
		desc, payload, want string
	}{
		{"a submit payload", `{"third_party_id":"p-1"}`, `{"third_party_id":"p-1"}`},
		{"a poll payload", `{"seq":3,"third_party_id":"p-1"}`, `{"seq":3,"third_party_id":"p-1"}`},
		{"an unexpected field", `{"third_party_id":"p-1","api_key":"k"}`, `{"api_key":"(hidden)","third_party_id":"p-1"}`},
		{"a nested id", `{"third_party_id":{"sign":"abc"}}`, `{"third_party_id":"(hidden)"}`},
		{"not JSON", `sign=abc`, `(payload hidden)`},
		{"a JSON array", `["k"]`, `(payload hidden)`},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got := FormatPayload([]byte(tt.payload)); got != tt.want {
				t.Errorf("got %s want %s", got, tt.want)
			}
		})
	}
}

func FuzzFormatPayloadNeverShowsOtherFields(f *testing.F) {
	f.Add([]byte(`{"third_party_id":"p","key":"SECRETVALUE"}`))
	f.Add([]byte(`{"seq":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		out := FormatPayload(b)
		if strings.Contains(out, "SECRETVALUE") {
			t.Errorf("FormatPayload(%q) = %q shows a hidden value", b, out)
		}
	})
}
