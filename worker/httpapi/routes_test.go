package httpapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestUnknownRoutesAndMethodsAnswerJSONErrors(t *testing.T) {
	h, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		desc, method, path string
		wantStatus         int
		wantCode, allow    string
	}{
		{"an unknown path", "GET", "/nope", 404, CodeNotFound, ""},
		{"the API without the api role", "GET", "/v1/payouts", 404, CodeNotFound, ""},
		{"a POST to healthz", "POST", "/healthz", 405, CodeMethodNotAllowed, "GET, HEAD"},
		{"monitoring when off", "GET", "/monitoring/", 404, CodeNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			rec := serve(h, tt.method, tt.path, "", nil)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status: got %d want %d", rec.Code, tt.wantStatus)
			}
			if e := errorOf(t, rec); e.Code != tt.wantCode {
				t.Errorf("code: got %q want %q", e.Code, tt.wantCode)
			}
			if got := rec.Header().Get("Allow"); got != tt.allow {
				t.Errorf("Allow: got %q want %q", got, tt.allow)
			}
		})
	}
}

func TestHealthzAnswersOK(t *testing.T) {
	h, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if rec := serve(h, "GET", "/healthz", "", nil); rec.Code != http.StatusOK {
		t.Errorf("GET /healthz: got %d want 200", rec.Code)
	}
}

func TestRequestIDsAreEchoedOrGenerated(t *testing.T) {
	var logs bytes.Buffer
	h, err := New(Config{Logger: zerolog.New(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		desc, sent string
		echoed     bool
	}{
		{"a well-formed id is echoed", "req-123.abc", true},
		{"no id gets one", "", false},
		{"an id with spaces is replaced", "a b", false},
		{"an overlong id is replaced", strings.Repeat("x", 65), false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			logs.Reset()
			req, _ := http.NewRequest("GET", "/healthz", nil)
			if tt.sent != "" {
				req.Header.Set(RequestIDHeader, tt.sent)
			}
			req.Header.Set("Authorization", "Bearer never-logged-token")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Header().Get(RequestIDHeader)
			if tt.echoed && got != tt.sent || !tt.echoed && (got == "" || got == tt.sent) {
				t.Errorf("%s: got %q for %q", RequestIDHeader, got, tt.sent)
			}
			if !strings.Contains(logs.String(), `"request_id":"`+got+`"`) {
				t.Errorf("the access log line lacks the request id %q: %s", got, logs.String())
			}
			if strings.Contains(logs.String(), "never-logged-token") {
				t.Errorf("the access log shows the Authorization header: %s", logs.String())
			}
		})
	}
}
