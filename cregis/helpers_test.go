package cregis_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"testing"

	"github.com/payoutd/payoutd/cregis"
)

// The documentation's example project.
const (
	testKey = "f502a9ac9ca54327986f29c03b271491"
	testPID = int64(1382528827416576)
)

// received is one request a stub saw.
type received struct {
	Path   string
	Body   []byte
	Fields map[string]any // Body decoded with UseNumber
}

// stub is a loopback HTTP server under the test's control that records every
// request before handing it to the test's handler.
type stub struct {
	URL  string
	mu   sync.Mutex
	reqs []received
}

func newStub(t *testing.T, h http.HandlerFunc) *stub {
	t.Helper()
	s := &stub{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.record(r.URL.Path, body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

func (s *stub) record(path string, body []byte) {
	fields := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	_ = dec.Decode(&fields)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, received{Path: path, Body: body, Fields: fields})
}

func (s *stub) requests() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.reqs...)
}

// last returns the most recent request, failing the test if there was none.
func (s *stub) last(t *testing.T) received {
	t.Helper()
	reqs := s.requests()
	if len(reqs) == 0 {
		t.Fatal("the server received no request")
	}
	return reqs[len(reqs)-1]
}

// reply answers every request with status and body.
func reply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// okData answers every request with a "00000" envelope around data.
func okData(data string) http.HandlerFunc {
	return reply(http.StatusOK, `{"code":"00000","msg":"ok","data":`+data+`}`)
}

// newClient returns a client for url with the documentation's key and pid;
// edit may change the config first.
func newClient(t *testing.T, url string, edit ...func(*cregis.Config)) *cregis.Client {
	t.Helper()
	cfg := cregis.Config{BaseURL: url, PID: testPID, APIKey: testKey}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := cregis.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// canonicalMD5 is the signature recipe written out independently of
// cregis.Sign: drop sign and empty values, sort keys bytewise, concatenate
// key and value, prepend the key, MD5. Values are as decoded with UseNumber.
func canonicalMD5(t *testing.T, key string, fields map[string]any) string {
	t.Helper()
	var keys []string
	for k, v := range fields {
		if k != "sign" && v != nil && v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	s := key
	for _, k := range keys {
		switch v := fields[k].(type) {
		case string:
			s += k + v
		case json.Number:
			s += k + string(v)
		default:
			t.Fatalf("field %s has unexpected type %T", k, v)
		}
	}
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// validPayout is a payout request with every required field.
func validPayout() cregis.PayoutRequest {
	return cregis.PayoutRequest{
		Currency:     "195@195",
		ToAddress:    "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS",
		Amount:       "1.1",
		ThirdPartyID: "c9231e604da54469a735af3f449c880f",
	}
}

// parseFields decodes a request body with UseNumber.
func parseFields(r *http.Request) map[string]any {
	fields := map[string]any{}
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	_ = dec.Decode(&fields)
	return fields
}

func jsonNumber(s string) json.Number { return json.Number(s) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
