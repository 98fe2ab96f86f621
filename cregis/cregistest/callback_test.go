package cregistest_test

import (
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
)

// receiver is a callback endpoint that records the raw bodies it gets.
type receiver struct {
	URL    string
	mu     sync.Mutex
	bodies [][]byte
}

// newReceiver answers every callback with status and body.
func newReceiver(t *testing.T, status int, body string) *receiver {
	r := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, b)
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL + "/callback"
	return r
}

func (r *receiver) received() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.bodies)
}

// verified decodes a raw callback and checks its signature over every
// field received, as a receiver must.
func verified(t *testing.T, s *cregistest.Server, raw []byte) map[string]any {
	t.Helper()
	fields := decodeObject(t, raw)
	sign, _ := fields["sign"].(string)
	if !cregis.Verify(s.APIKey, fields, sign) {
		t.Fatalf("the callback's signature does not verify: %s", raw)
	}
	return fields
}

// createWithCallback creates a payout (or a sub-address withdrawal) calling
// back url.
func createWithCallback(t *testing.T, s *cregistest.Server, path, id, url string) int64 {
	t.Helper()
	return create(t, s, path, with(subAddressFields(id), map[string]any{"callback_url": url}))
}

func TestACallbackIsSentOnReachingATerminalStatus(t *testing.T) {
	for _, fate := range []cregis.Status{2, 4, 6, 7} {
		t.Run(fate.String(), func(t *testing.T) {
			s := cregistest.NewServer(t)
			rcv := newReceiver(t, http.StatusOK, cregis.CallbackAck)
			s.SetFate("cb", fate)
			cid := createWithCallback(t, s, cregis.PathPayout, "cb", rcv.URL)
			waitFor(t, "the callback's acknowledgement", func() bool { return len(s.CallbacksFor(cid)) == 1 })
			body := verified(t, s, rcv.received()[0])
			if got := cregis.Status(integer(t, body, "status")); got != fate {
				t.Errorf("status = %v, want %v", got, fate)
			}
			if d := s.CallbacksFor(cid)[0]; !d.Acked || d.StatusCode != 200 || d.Manual {
				t.Errorf("delivery = %+v, want acked, HTTP 200, not manual", d)
			}
			if n := s.Queries(cid); n != 0 {
				t.Errorf("Queries = %d: the callback must fire without queries", n)
			}
		})
	}
}

func TestACallbackCarriesTheDocumentedFields(t *testing.T) {
	base := []string{"pid", "cid", "chain_id", "token_id", "currency", "amount", "third_party_id", "remark", "memo",
		"status", "txid", "block_height", "block_time", "nonce", "timestamp", "sign"}
	cases := []struct {
		desc      string
		path      string
		recipient []string
	}{
		{"a wallet payout names the recipient address", cregis.PathPayout, []string{"address"}},
		{"a sub-address withdrawal sends from_address and to_address", cregis.PathSubAddressWithdrawal, []string{"from_address", "to_address"}},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			s := cregistest.NewServer(t)
			rcv := newReceiver(t, http.StatusOK, cregis.CallbackAck)
			cid := createWithCallback(t, s, tc.path, "fields", rcv.URL)
			waitFor(t, "the callback", func() bool { return len(s.CallbacksFor(cid)) == 1 })
			body := verified(t, s, rcv.received()[0])
			if got, want := slices.Sorted(maps.Keys(body)), slices.Sorted(slices.Values(append(base, tc.recipient...))); !slices.Equal(got, want) {
				t.Errorf("fields = %v, want %v", got, want)
			}
			if got := integer(t, body, "cid"); got != cid {
				t.Errorf("cid = %d, want %d exactly", got, cid)
			}
			if got := integer(t, body, "pid"); got != s.PID {
				t.Errorf("pid = %d, want %d exactly", got, s.PID)
			}
		})
	}
}

func TestAnswersOtherThanSuccessAreNotAcknowledgements(t *testing.T) {
	cases := []struct {
		desc   string
		status int
		body   string
		acked  bool
	}{
		{"HTTP 200 with success acknowledges", 200, "success", true},
		{"HTTP 200 with ok does not", 200, "ok", false},
		{"HTTP 200 with success and a newline does not", 200, "success\n", false},
		{"HTTP 500 with success does not", 500, "success", false},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			s := cregistest.NewServer(t)
			rcv := newReceiver(t, tc.status, tc.body)
			cid := createWithCallback(t, s, cregis.PathPayout, "ack", rcv.URL)
			waitFor(t, "the callback", func() bool { return len(s.CallbacksFor(cid)) == 1 })
			if d := s.CallbacksFor(cid)[0]; d.Acked != tc.acked || d.StatusCode != tc.status || d.Response != tc.body {
				t.Errorf("acked %v, HTTP %d, response %q; want %v, %d, %q", d.Acked, d.StatusCode, d.Response, tc.acked, tc.status, tc.body)
			}
			if n := len(rcv.received()); n != 1 {
				t.Errorf("%d deliveries, want exactly 1: Cregis does not retry", n)
			}
		})
	}
}

func TestNoCallbackIsSent(t *testing.T) {
	cases := []struct {
		desc string
		opts []cregistest.Option
		fate cregis.Status
	}{
		{"for status 3", nil, cregis.StatusApprovalCancelled},
		{"when callbacks are disabled", []cregistest.Option{cregistest.WithoutCallbacks()}, cregis.StatusSucceeded},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			s := cregistest.NewServer(t, tc.opts...)
			rcv := newReceiver(t, http.StatusOK, cregis.CallbackAck)
			s.SetFate("none", tc.fate)
			cid := createWithCallback(t, s, cregis.PathPayout, "none", rcv.URL)
			waitFor(t, "the terminal status", func() bool { p, _ := s.Payout(cid); return p.Status == tc.fate })
			s.Close() // waits for any delivery in flight
			if n := len(rcv.received()); n != 0 {
				t.Errorf("%d callbacks received, want none", n)
			}
		})
	}
}

func TestSetStatusSendsTheCallbackAtOnce(t *testing.T) {
	s, _ := newClocked(t)
	rcv := newReceiver(t, http.StatusOK, cregis.CallbackAck)
	cid := createWithCallback(t, s, cregis.PathPayout, "forced", rcv.URL)
	if err := s.SetStatus(cid, cregis.StatusFailed); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the callback", func() bool { return len(rcv.received()) == 1 })
	if got := integer(t, verified(t, s, rcv.received()[0]), "status"); got != 7 {
		t.Errorf("status = %d, want 7", got)
	}
}

func TestPushCallback(t *testing.T) {
	s, clock := newClocked(t)
	rcv := newReceiver(t, http.StatusOK, cregis.CallbackAck)
	cid := createWithCallback(t, s, cregis.PathPayout, "push", rcv.URL)
	t.Run("ItResendsTheCurrentState", func(t *testing.T) {
		d, err := s.PushCallback(cid)
		if err != nil || !d.Acked || !d.Manual {
			t.Fatalf("delivery %+v, error %v; want acked and manual", d, err)
		}
		body := verified(t, s, rcv.received()[0])
		if integer(t, body, "status") != 0 || integer(t, body, "timestamp") != clock.Now().UnixMilli() {
			t.Errorf("status %v, timestamp %v; want 0 and now", body["status"], body["timestamp"])
		}
	})
	t.Run("ItCanCarryAnOldTimestamp", func(t *testing.T) {
		old := clock.Now().Add(-72 * time.Hour)
		if _, err := s.PushCallbackAt(cid, old); err != nil {
			t.Fatal(err)
		}
		body := verified(t, s, rcv.received()[1])
		if got := integer(t, body, "timestamp"); got != old.UnixMilli() {
			t.Errorf("timestamp = %d, want %d", got, old.UnixMilli())
		}
	})
	t.Run("APayoutWithoutCallbackURLCannotBePushed", func(t *testing.T) {
		other := create(t, s, cregis.PathPayout, payoutFields("no-url"))
		if _, err := s.PushCallback(other); err == nil {
			t.Error("PushCallback = nil error, want one")
		}
	})
}

func TestSendCallbackForNegativeTests(t *testing.T) {
	s := cregistest.NewServer(t, cregistest.WithoutCallbacks())
	rcv := newReceiver(t, http.StatusOK, cregis.CallbackAck)
	cid := createWithCallback(t, s, cregis.PathPayout, "forge", rcv.URL)
	fields, err := s.CallbackFields(cid)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("SignedFieldsVerify", func(t *testing.T) {
		s.SendCallback(rcv.URL, fields, true)
		verified(t, s, rcv.received()[0])
	})
	t.Run("FieldsTamperedAfterSigningDoNot", func(t *testing.T) {
		signedFields := with(fields, nil)
		signedFields["sign"] = cregis.Sign(s.APIKey, signedFields)
		signedFields["amount"] = "1000000"
		s.SendCallback(rcv.URL, signedFields, false)
		body := decodeObject(t, rcv.received()[1])
		if cregis.Verify(s.APIKey, body, body["sign"].(string)) {
			t.Error("a tampered callback verified")
		}
	})
	t.Run("DeliveriesNeverRecordTheSign", func(t *testing.T) {
		for _, d := range s.Callbacks() {
			if _, ok := d.Fields["sign"]; ok {
				t.Errorf("delivery fields hold sign: %v", d.Fields)
			}
		}
	})
}
