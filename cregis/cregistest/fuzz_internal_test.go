package cregistest

import (
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/payoutd/payoutd/cregis"
)

func FuzzCheckAmount(f *testing.F) {
	for _, seed := range []string{"1.5", "0", "0.000", "-1", "1e3", ".5", "1.", "1.1234567", "1.500000000", "00.01", "+1", " 1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, amount string) {
		e := checkAmount(amount, 6)
		r, isNumber := new(big.Rat).SetString(amount)
		plain := isNumber && !strings.ContainsAny(amount, "eE/+ ") && !strings.HasPrefix(amount, ".") && !strings.HasSuffix(amount, ".")
		if e == nil {
			scaled := new(big.Rat).Mul(r, big.NewRat(1000000, 1))
			if !plain || r.Sign() <= 0 || !scaled.IsInt() {
				t.Fatalf("checkAmount(%q) accepted a value that is not a positive decimal of at most 6 places", amount)
			}
			return
		}
		if plain && r.Sign() > 0 && new(big.Rat).Mul(r, big.NewRat(1000000, 1)).IsInt() && e.code != "E0016" {
			t.Fatalf("checkAmount(%q) = %s, want it accepted", amount, e.code)
		}
	})
}

func FuzzRequestBody(f *testing.F) {
	f.Add(`{"pid":1,"nonce":"abcdef","timestamp":1,"sign":"x"}`)
	f.Add(`{"pid":9007199254740993,"cid":"1"}`)
	f.Add(`[]`)
	f.Add(`{"pid":1e400}`)
	s := newServer(Config{}.withDefaults())
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{cregis.PathPayout, cregis.PathPayoutQuery} {
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			s.serveHTTP(w, req)
			var env envelope
			if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &env) != nil || env.Code == "" || env.Code == cregis.CodeOK {
				t.Fatalf("body %q at %s: HTTP %d %q, want an error envelope", body, path, w.Code, w.Body)
			}
		}
	})
}
