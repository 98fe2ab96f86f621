package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// openAPIDoc is the part of the document the tests read.
type openAPIDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

func parseOpenAPI(t *testing.T) (openAPIDoc, any) {
	t.Helper()
	var doc openAPIDoc
	var tree any
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if err := json.Unmarshal(OpenAPI, &tree); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi: got %q want an OpenAPI 3 document", doc.OpenAPI)
	}
	return doc, tree
}

// documentedOperations returns "METHOD /path" for every operation.
func documentedOperations(doc openAPIDoc) []string {
	var ops []string
	for path, item := range doc.Paths {
		for key := range item {
			m := strings.ToUpper(key)
			if slices.Contains([]string{"GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"}, m) {
				ops = append(ops, m+" "+path)
			}
		}
	}
	slices.Sort(ops)
	return ops
}

// servedOperations returns "METHOD /path" for every route of a Handler
// with the API on (the monitoring UI, a subtree, is not described).
func servedOperations() []string {
	h := &Handler{cfg: Config{API: true, Tokens: []string{"t"}}}
	var ops []string
	for _, rt := range h.routes() {
		if rt.method != "" {
			ops = append(ops, rt.method+" "+rt.path)
		}
	}
	slices.Sort(ops)
	return ops
}

func TestOpenAPIDescribesExactlyTheRoutes(t *testing.T) {
	doc, _ := parseOpenAPI(t)
	documented, served := documentedOperations(doc), servedOperations()
	for _, op := range served {
		if !slices.Contains(documented, op) {
			t.Errorf("route %s is served but not in openapi.json", op)
		}
	}
	for _, op := range documented {
		if !slices.Contains(served, op) {
			t.Errorf("openapi.json describes %s, which routes.go does not serve", op)
		}
	}
}

func TestOpenAPIMarksExactlyThePublicRoutesWithoutSecurity(t *testing.T) {
	doc, _ := parseOpenAPI(t)
	h := &Handler{cfg: Config{API: true, Tokens: []string{"t"}}}
	for _, rt := range h.routes() {
		if rt.method == "" {
			continue
		}
		var op struct {
			Security *[]any `json:"security"`
		}
		if err := json.Unmarshal(doc.Paths[rt.path][strings.ToLower(rt.method)], &op); err != nil {
			t.Fatalf("%s %s: %v", rt.method, rt.path, err)
		}
		open := op.Security != nil && len(*op.Security) == 0
		if open != (rt.access == public) {
			t.Errorf("%s %s: document says public=%v, routes.go says public=%v", rt.method, rt.path, open, rt.access == public)
		}
	}
}

func TestOpenAPIReferencesResolve(t *testing.T) {
	_, tree := parseOpenAPI(t)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok && !resolves(tree, ref) {
				t.Errorf("$ref %q does not resolve", ref)
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(tree)
}

// resolves reports whether a local JSON pointer "#/a/b" names a node.
func resolves(tree any, ref string) bool {
	node := tree
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := node.(map[string]any)
		if !ok {
			return false
		}
		if node, ok = m[part]; !ok {
			return false
		}
	}
	return strings.HasPrefix(ref, "#/")
}

func TestOpenAPIIsServedWithoutAToken(t *testing.T) {
	h, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	rec := serve(h, "GET", "/v1/openapi.json", "", nil)
	if rec.Code != http.StatusOK || rec.Body.String() != string(OpenAPI) {
		t.Errorf("GET /v1/openapi.json: got %d with %d bytes, want 200 with the document", rec.Code, rec.Body.Len())
	}
}

// documentedStatuses returns the response statuses the document lists for
// one operation.
func documentedStatuses(t *testing.T, doc openAPIDoc, method, path string) []string {
	t.Helper()
	var op struct {
		Responses map[string]json.RawMessage `json:"responses"`
	}
	if err := json.Unmarshal(doc.Paths[path][strings.ToLower(method)], &op); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	var out []string
	for status := range op.Responses {
		out = append(out, status)
	}
	slices.Sort(out)
	return out
}

func TestOpenAPIListsTheStatusesTheRoutesAnswer(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	doc, _ := parseOpenAPI(t)
	big := `{"cid":"` + strings.Repeat("1", MaxBodyBytes) + `"}`
	cases := []struct {
		desc               string
		method, path, body string
		contentType        string
		want               int
	}{
		{"a retry with an unknown field is 422", "POST", "/v1/payouts/{third_party_id}/retry", `{"now":true}`, "application/json", 422},
		{"a retry over 64 KiB is 413", "POST", "/v1/payouts/{third_party_id}/retry", big, "application/json", 413},
		{"a retry declared as text is 415", "POST", "/v1/payouts/{third_party_id}/retry", `{}`, "text/plain", 415},
		{"a resolve over 64 KiB is 413", "POST", "/v1/payouts/{third_party_id}/resolve", big, "application/json", 413},
		{"a resolve declared as text is 415", "POST", "/v1/payouts/{third_party_id}/resolve", `{"cid":"1"}`, "text/plain", 415},
		{"a callback over 64 KiB is 413", "POST", "/cregis/callback", big, "application/json", 413},
		{"a payout declared as a form is 415", "POST", "/v1/payouts", payoutBody("ct-1", "1"), "application/x-www-form-urlencoded", 415},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, strings.ReplaceAll(tc.path, "{third_party_id}", "p-1"), strings.NewReader(tc.body))
			req.Header.Set("Authorization", "Bearer "+apiToken)
			req.Header.Set("Content-Type", tc.contentType)
			rec := httptest.NewRecorder()
			w.h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("%s %s: got %d want %d (%s)", tc.method, tc.path, rec.Code, tc.want, rec.Body.String())
			}
			if listed := documentedStatuses(t, doc, tc.method, tc.path); !slices.Contains(listed, strconv.Itoa(tc.want)) {
				t.Errorf("%s %s answers %d, but openapi.json lists only %v", tc.method, tc.path, tc.want, listed)
			}
		})
	}
}
