package httpapi

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/payoutd/payoutd/tasks"
)

func TestDecodeObjectNamesWhatIsWrong(t *testing.T) {
	tests := []struct {
		desc      string
		body      string
		wantCode  string
		wantField string
	}{
		{"a JSON array", `[1,2]`, CodeInvalidJSON, ""},
		{"a JSON string", `"payout"`, CodeInvalidJSON, ""},
		{"truncated JSON", `{"third_party_id": "p-1"`, CodeInvalidJSON, ""},
		{"two objects", `{"third_party_id": "a"} {"third_party_id": "b"}`, CodeInvalidJSON, ""},
		{"an object and a stray closing brace", `{"third_party_id": "a"}}`, CodeInvalidJSON, ""},
		{"an object and a stray closing bracket", `{"third_party_id": "a"}]`, CodeInvalidJSON, ""},
		{"empty", ``, CodeInvalidJSON, ""},
		{"an unknown field", `{"third_party_id": "a", "amout": "1"}`, CodeUnknownField, "amout"},
		{"an amount as a number", `{"amount": 1.5}`, CodeInvalidType, "amount"},
		{"a wallet id with a fraction", `{"wallet_id": 1.5}`, tasks.CodeInvalidWalletID, "wallet_id"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var req tasks.Request
			err := decodeObject([]byte(tt.body), &req)
			var e *Error
			var ve *tasks.ValidationError
			switch {
			case errors.As(err, &e):
			case errors.As(err, &ve):
				e = errorFrom(err)
			default:
				t.Fatalf("decodeObject(%s): got %v, want an Error", tt.body, err)
			}
			if e.Code != tt.wantCode || e.Field != tt.wantField {
				t.Errorf("got code %q field %q, want %q %q", e.Code, e.Field, tt.wantCode, tt.wantField)
			}
			if s := statusCode(e); s != http.StatusBadRequest && s != http.StatusUnprocessableEntity {
				t.Errorf("status: got %d want 400 or 422", s)
			}
		})
	}
}

func TestStatusCodesOfErrors(t *testing.T) {
	tests := []struct {
		desc string
		err  error
		want int
	}{
		{"validation error", &tasks.ValidationError{Field: "amount", Code: tasks.CodeInvalidAmount}, 422},
		{"unknown payout", tasks.ErrNotFound, 404},
		{"conflicting payout", tasks.ErrConflict, 409},
		{"terminal record", &tasks.TransitionError{ID: "p", From: tasks.StateSucceeded}, 409},
		{"illegal move", &tasks.TransitionError{ID: "p", From: tasks.StateQueued, To: tasks.StateSucceeded}, 409},
		{"contention", tasks.ErrContention, 503},
		{"anything else", errors.New("redis: connection refused"), 500},
		{"bad query parameter", &Error{Code: CodeInvalidParameter, Field: "limit"}, 400},
		{"missing token", &Error{Code: CodeUnauthorized}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got := statusCode(errorFrom(tt.err)); got != tt.want {
				t.Errorf("status: got %d want %d", got, tt.want)
			}
		})
	}
}

func TestInternalErrorsRevealNothing(t *testing.T) {
	e := errorFrom(errors.New("dial tcp 10.0.0.7:6379: secret-ish detail"))
	if e.Code != CodeInternal || strings.Contains(e.Message, "10.0.0.7") {
		t.Errorf("got %+v, want an internal error without the cause", e)
	}
}

func FuzzDecodePayoutRequest(f *testing.F) {
	for _, s := range []string{`{"third_party_id":"p","amount":"1.5"}`, `[]`, `{"wallet_id":"12"}`, `{"metadata":{"a":1}}`, `{"x":1}`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var req tasks.Request
		err := decodeObject(b, &req)
		if err == nil {
			return
		}
		if s := statusCode(errorFrom(err)); s != http.StatusBadRequest && s != http.StatusUnprocessableEntity {
			t.Errorf("decodeObject(%q): status %d (%v), want 400 or 422", b, s, err)
		}
	})
}

// TestAnOverLargeBodyAlwaysGetsIts413OverTCP sends like a simple client:
// the whole request first, then it reads the answer. A server that answers
// early and closes with the body unread resets the connection instead.
func TestAnOverLargeBodyAlwaysGetsIts413OverTCP(t *testing.T) {
	w := newWorld(t, nil)
	body := bytes.Repeat([]byte("a"), 2<<20)
	head := fmt.Sprintf("POST /v1/payouts HTTP/1.1\r\nHost: payoutd\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", apiToken, len(body))
	for i := range 5 {
		conn, err := net.Dial("tcp", w.srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = conn.Write(append([]byte(head), body...))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			conn.Close()
			t.Fatalf("request %d: %v; want a 413, not a broken connection", i, err)
		}
		res.Body.Close()
		conn.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("request %d: got %d, want 413", i, res.StatusCode)
		}
	}
}
