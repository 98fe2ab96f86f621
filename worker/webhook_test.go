package worker

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// signedHeader returns the headers of a delivery of body signed at at.
func signedHeader(secrets []string, id string, at time.Time, body []byte) http.Header {
	h := http.Header{}
	h.Set(WebhookIDHeader, id)
	h.Set(WebhookTimestampHeader, strconv.FormatInt(at.Unix(), 10))
	h.Set(WebhookSignatureHeader, SignWebhook(secrets, id, at, body))
	return h
}

func TestVerifyWebhook(t *testing.T) {
	at := time.Unix(1767225600, 0)
	body := []byte(`{"type":"payout.succeeded"}`)
	good := signedHeader([]string{testSecret}, "evt_1", at, body)
	rotated := signedHeader([]string{testNextSecret, testSecret}, "evt_1", at, body)
	noID := good.Clone()
	noID.Del(WebhookIDHeader)
	otherID := good.Clone()
	otherID.Set(WebhookIDHeader, "evt_2")
	cases := []struct {
		name   string
		secret string
		header http.Header
		body   []byte
		now    time.Time
		ok     bool
	}{
		{"a good signature", testSecret, good, body, at, true},
		{"one of two signatures", testSecret, rotated, body, at.Add(time.Minute), true},
		{"another secret", testNextSecret, good, body, at, false},
		{"a changed body", testSecret, good, []byte(`{}`), at, false},
		{"another id", testSecret, otherID, body, at, false},
		{"no id", testSecret, noID, body, at, false},
		{"too old", testSecret, good, body, at.Add(10 * time.Minute), false},
		{"a secret not in whsec_ form", "s3cret", good, body, at, false},
		{"no headers", testSecret, http.Header{}, body, at, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := VerifyWebhook(c.secret, c.header, c.body, c.now, 5*time.Minute)
			if (err == nil) != c.ok {
				t.Errorf("VerifyWebhook = %v, want ok %v", err, c.ok)
			}
		})
	}
}

func TestSignWebhookMatchesTheReferenceLibrary(t *testing.T) {
	at, body := time.Unix(1767225600, 0), []byte(`{"a":1}`)
	wh, err := standardwebhooks.NewWebhook(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	want, err := wh.Sign("evt_1", at, body)
	if err != nil {
		t.Fatal(err)
	}
	if got := SignWebhook([]string{testSecret}, "evt_1", at, body); got != want {
		t.Errorf("SignWebhook = %q, the reference library %q", got, want)
	}
}

func TestValidateWebhookSecret(t *testing.T) {
	for s, ok := range map[string]bool{
		testSecret: true, testNextSecret: true, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw": false,
		"whsec_": false, "whsec_not base64!": false,
	} {
		err := ValidateWebhookSecret(s)
		if (err == nil) != ok {
			t.Errorf("ValidateWebhookSecret(%q) = %v, want ok %v", s, err, ok)
		}
		if err != nil && len(s) > 8 && strings.Contains(err.Error(), s[6:]) {
			t.Errorf("the error quotes the secret: %v", err)
		}
	}
}

// FuzzVerifyWebhook: headers that verify are bound to their body, id and
// secret, and no input panics.
func FuzzVerifyWebhook(f *testing.F) {
	at := time.Unix(1, 0)
	good := signedHeader([]string{testSecret}, "evt_1", at, []byte("x"))
	f.Add("evt_1", good.Get(WebhookTimestampHeader), good.Get(WebhookSignatureHeader), []byte("x"))
	f.Add("", "", "v1,", []byte(""))
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(WebhookIDHeader, id)
		h.Set(WebhookTimestampHeader, ts)
		h.Set(WebhookSignatureHeader, sig)
		if VerifyWebhook(testSecret, h, body, at, 0) != nil {
			return
		}
		if VerifyWebhook(testSecret, h, append(body, '!'), at, 0) == nil {
			t.Fatal("a signature verifies for two bodies")
		}
		if VerifyWebhook(testNextSecret, h, body, at, 0) == nil {
			t.Fatal("a signature verifies under two secrets")
		}
		wh, _ := standardwebhooks.NewWebhook(testSecret)
		if wh.VerifyIgnoringTimestamp(body, h) != nil {
			t.Fatal("VerifyWebhook accepts what the reference library refuses")
		}
	})
}

func ExampleVerifyWebhook() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{"type":"payout.succeeded","timestamp":"2026-01-01T00:00:00Z","data":{}}`)
	h := signedHeader([]string{secret}, "evt_0123", time.Unix(1767225600, 0), body)
	fmt.Println(VerifyWebhook(secret, h, body, time.Unix(1767225660, 0), 5*time.Minute))
	// Output: <nil>
}
