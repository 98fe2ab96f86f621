package worker

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestVerifyWebhook(t *testing.T) {
	at := time.Unix(1767225600, 0)
	body := []byte(`{"event":"payout.succeeded"}`)
	good := SignWebhook("s3cret", at, body)
	cases := []struct {
		desc   string
		secret string
		header string
		body   []byte
		now    time.Time
		ok     bool
	}{
		{"its own signature verifies", "s3cret", good, body, at, true},
		{"a signature within the tolerance verifies", "s3cret", good, body, at.Add(4 * time.Minute), true},
		{"an old signature is refused", "s3cret", good, body, at.Add(6 * time.Minute), false},
		{"another secret is refused", "other", good, body, at, false},
		{"a changed body is refused", "s3cret", good, []byte(`{"event":"payout.failed"}`), at, false},
		{"a changed timestamp is refused", "s3cret", "t=1767225601" + good[len("t=1767225600"):], body, at, false},
		{"an empty header is refused", "s3cret", "", body, at, false},
		{"a header without v1 is refused", "s3cret", "t=1767225600", body, at, false},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			err := VerifyWebhook(c.secret, c.header, c.body, c.now, 5*time.Minute)
			if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrWebhookSignature)) {
				t.Errorf("VerifyWebhook = %v, want ok %v", err, c.ok)
			}
		})
	}
}

// FuzzVerifyWebhook: any header that verifies is bound to its body, and
// nothing panics.
func FuzzVerifyWebhook(f *testing.F) {
	f.Add("t=1767225600,v1=00", []byte("{}"))
	f.Add(SignWebhook("k", time.Unix(1, 0), []byte("x")), []byte("x"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		if VerifyWebhook("k", header, body, time.Unix(1, 0), 0) != nil {
			return
		}
		if VerifyWebhook("k", header, append(body, '!'), time.Unix(1, 0), 0) == nil {
			t.Fatalf("header %q verifies two different bodies", header)
		}
		if VerifyWebhook("other", header, body, time.Unix(1, 0), 0) == nil {
			t.Fatalf("header %q verifies under two secrets", header)
		}
	})
}

func ExampleSignWebhook() {
	body := []byte(`{"event":"payout.succeeded","payout":{"third_party_id":"po-1"}}`)
	sig := SignWebhook("whsec-example", time.Unix(1767225600, 0), body)
	fmt.Println(sig[:13])
	fmt.Println(VerifyWebhook("whsec-example", sig, body, time.Unix(1767225660, 0), 5*time.Minute))
	// Output:
	// t=1767225600,
	// <nil>
}
