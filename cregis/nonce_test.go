package cregis

import (
	"regexp"
	"strings"
	"testing"
)

func TestNewNonce(t *testing.T) {
	re := regexp.MustCompile(`^[a-z0-9]{6}$`)
	var all strings.Builder
	for range 10000 {
		n := newNonce()
		if !re.MatchString(n) {
			t.Fatalf("newNonce() = %q, want [a-z0-9]{6}", n)
		}
		all.WriteString(n)
	}
	// 60000 uniform draws miss a character with probability ~36*(35/36)^60000.
	for _, r := range nonceAlphabet {
		if !strings.ContainsRune(all.String(), r) {
			t.Errorf("character %q never drawn in 10000 nonces", r)
		}
	}
}

func TestNewAppliesDefaults(t *testing.T) {
	c, err := New(Config{BaseURL: "https://h.example/prefix/", PID: 1, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.Timeout != DefaultTimeout || c.cfg.NowFunc == nil || c.cfg.NonceFunc == nil {
		t.Errorf("defaults: timeout %v, NowFunc set %v, NonceFunc set %v; want %v, true, true",
			c.cfg.Timeout, c.cfg.NowFunc != nil, c.cfg.NonceFunc != nil, DefaultTimeout)
	}
	if c.base != "https://h.example/prefix" {
		t.Errorf("base = %q, want https://h.example/prefix", c.base)
	}
	if c.http.CheckRedirect == nil {
		t.Error("CheckRedirect is nil, want redirects refused")
	}
}
