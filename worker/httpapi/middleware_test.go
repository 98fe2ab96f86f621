package httpapi

import (
	"regexp"
	"strings"
	"testing"
)

// requestIDPattern is what a request id must match to be echoed.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

func TestValidRequestID(t *testing.T) {
	tests := []struct {
		desc, id string
		want     bool
	}{
		{"letters and digits are valid", "Req9z", true},
		{"dot, underscore, colon and hyphen are valid", "a.b_c:d-e", true},
		{"64 characters are valid", strings.Repeat("x", 64), true},
		{"65 characters are invalid", strings.Repeat("x", 65), false},
		{"empty is invalid", "", false},
		{"a space is invalid", "a b", false},
		{"a slash is invalid", "a/b", false},
		{"a non-ASCII letter is invalid", "é", false},
		{"a newline is invalid", "a\n", false},
	}
	for _, tt := range tests {
		if got := validRequestID(tt.id); got != tt.want {
			t.Errorf("%s: validRequestID(%q) = %v, want %v", tt.desc, tt.id, got, tt.want)
		}
	}
}

// FuzzValidRequestID checks the hand-written check against its pattern.
func FuzzValidRequestID(f *testing.F) {
	for _, s := range []string{"", "req-1", "a b", strings.Repeat("x", 64), strings.Repeat("x", 65), "é", "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if got, want := validRequestID(id), requestIDPattern.MatchString(id); got != want {
			t.Fatalf("validRequestID(%q) = %v, the pattern says %v", id, got, want)
		}
	})
}
