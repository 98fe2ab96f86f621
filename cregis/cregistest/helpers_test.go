package cregistest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
)

// reply is a decoded envelope.
type reply struct {
	Code string
	Msg  string
	Data map[string]any // nil for null; numbers as json.Number
	Raw  []byte
}

// signed completes fields as a client would (pid, nonce, timestamp) and
// signs them with key.
func signed(pid int64, key string, fields map[string]any) map[string]any {
	out := map[string]any{"pid": pid, "nonce": "abc123", "timestamp": time.Now().UnixMilli()}
	for k, v := range fields {
		out[k] = v
	}
	out["sign"] = cregis.Sign(key, out)
	return out
}

// call signs fields for s and POSTs them to path.
func call(t testing.TB, s *cregistest.Server, path string, fields map[string]any) reply {
	t.Helper()
	return postJSON(t, s.URL+path, signed(s.PID, s.APIKey, fields))
}

// postJSON POSTs body as JSON and decodes the envelope.
func postJSON(t testing.TB, url string, body map[string]any) reply {
	t.Helper()
	r, err := tryPostJSON(url, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// tryCall is call for goroutines other than the test's.
func tryCall(s *cregistest.Server, path string, fields map[string]any) (reply, error) {
	return tryPostJSON(s.URL+path, signed(s.PID, s.APIKey, fields))
}

// tryPostJSON POSTs body as JSON and decodes the envelope of an HTTP 200.
func tryPostJSON(url string, body map[string]any) (reply, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return reply{}, err
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return reply{}, fmt.Errorf("POST %s: HTTP %d, want 200; body %q", url, resp.StatusCode, raw)
	}
	return parseReply(raw)
}

// postRaw POSTs body and returns the status and body.
func postRaw(t testing.TB, url, contentType string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: reading the body: %v", url, err)
	}
	return resp.StatusCode, raw
}

func decodeReply(t testing.TB, raw []byte) reply {
	t.Helper()
	r, err := parseReply(raw)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// parseReply decodes an envelope, keeping numbers in data exact.
func parseReply(raw []byte) (reply, error) {
	var env struct {
		Code string          `json:"code"`
		Msg  string          `json:"msg"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return reply{}, fmt.Errorf("the body is not an envelope: %v: %q", err, raw)
	}
	r := reply{Code: env.Code, Msg: env.Msg, Raw: raw}
	if len(env.Data) > 0 && string(env.Data) != "null" {
		var err error
		if r.Data, err = parseObject(env.Data); err != nil {
			return reply{}, err
		}
	}
	return r, nil
}

// decodeObject decodes a JSON object keeping numbers exact.
func decodeObject(t testing.TB, raw []byte) map[string]any {
	t.Helper()
	m, err := parseObject(raw)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func parseObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v: %q", err, raw)
	}
	return m, nil
}

// payoutFields are a valid /api/v2/payout body less pid, nonce, timestamp
// and sign.
func payoutFields(thirdPartyID string) map[string]any {
	return map[string]any{
		"currency":       "195@195",
		"to_address":     "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS",
		"amount":         "1.5",
		"third_party_id": thirdPartyID,
	}
}

// subAddressFields are a valid /api/v1/sub_address_withdrawal body.
func subAddressFields(thirdPartyID string) map[string]any {
	f := payoutFields(thirdPartyID)
	f["from_address"] = "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8"
	return f
}

// with returns a copy of fields with changes applied; a nil value deletes.
func with(fields map[string]any, changes map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range fields {
		out[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

// create makes a payout at path and returns its cid.
func create(t testing.TB, s *cregistest.Server, path string, fields map[string]any) int64 {
	t.Helper()
	r := call(t, s, path, fields)
	if r.Code != cregis.CodeOK {
		t.Fatalf("create: code %s (%s), want 00000", r.Code, r.Msg)
	}
	return integer(t, r.Data, "cid")
}

// integer reads a JSON integer from decoded data, failing on anything else.
func integer(t testing.TB, data map[string]any, name string) int64 {
	t.Helper()
	n, ok := data[name].(json.Number)
	if !ok {
		t.Fatalf("%s = %#v, want a JSON number", name, data[name])
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		t.Fatalf("%s = %s, want a JSON integer: %v", name, n, err)
	}
	return i
}

// statusOf queries path for cid and returns the status data.
func statusOf(t testing.TB, s *cregistest.Server, path string, cid int64) map[string]any {
	t.Helper()
	r := call(t, s, path, map[string]any{"cid": cid})
	if r.Code != cregis.CodeOK {
		t.Fatalf("query %s: code %s (%s), want 00000", path, r.Code, r.Msg)
	}
	return r.Data
}

// waitFor polls cond until it holds or 5 seconds pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// hasField reports whether msg names field.
func hasField(msg, field string) bool { return strings.Contains(msg, field) }
