package cregis_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/payoutd/payoutd/cregis"
)

func TestErrorClasses(t *testing.T) {
	type class int
	const (
		apiErr class = iota
		httpErr
	)
	tests := []struct {
		desc       string
		status     int
		body       string
		want       class
		wantIs     error // for an *APIError
		wantStatus int   // for an *HTTPError
	}{
		{"DuplicateThirdPartyIDIsAPIError", 200, `{"code":"E0009","msg":"duplicate","data":null}`, apiErr, cregis.ErrDuplicateThirdPartyID, 0},
		{"SignatureCodeIsAPIError", 200, `{"code":"B0001","msg":"sign error","data":{}}`, apiErr, cregis.ErrSignature, 0},
		{"ParameterCodeMatchesErrParameter", 200, `{"code":"A0003","msg":"bad param"}`, apiErr, cregis.ErrParameter, 0},
		{"OrderNotFoundIsAPIError", 200, `{"code":"E0014","msg":"not found","ok":false}`, apiErr, cregis.ErrOrderNotFound, 0},
		{"BadGatewayIsHTTPError", 502, `<html>bad gateway</html>`, httpErr, nil, 502},
		{"EnvelopeOnNon2xxIsStillHTTPError", 500, `{"code":"E0001","msg":"ip"}`, httpErr, nil, 500},
		{"NotFoundIsHTTPError", 404, ``, httpErr, nil, 404},
		{"HTMLOn200IsHTTPError", 200, `<html>maintenance</html>`, httpErr, nil, 200},
		{"EmptyBodyOn200IsHTTPError", 200, ``, httpErr, nil, 200},
		{"MissingCodeIsHTTPError", 200, `{"msg":"ok","data":{"cid":1}}`, httpErr, nil, 200},
		{"EmptyCodeIsHTTPError", 200, `{"code":"","msg":"ok"}`, httpErr, nil, 200},
		{"NumericCodeIsHTTPError", 200, `{"code":0,"msg":"ok"}`, httpErr, nil, 200},
		{"JSONArrayIsHTTPError", 200, `[{"code":"00000"}]`, httpErr, nil, 200},
		{"TrailingGarbageIsHTTPError", 200, `{"code":"00000","data":{"cid":1}} x`, httpErr, nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := newStub(t, reply(tt.status, tt.body))
			_, err := newClient(t, s.URL).Payout(context.Background(), validPayout())
			var ae *cregis.APIError
			var he *cregis.HTTPError
			switch tt.want {
			case apiErr:
				if !errors.As(err, &ae) || !errors.Is(err, tt.wantIs) {
					t.Fatalf("error = %v, want *APIError matching %v", err, tt.wantIs)
				}
				if ae.Op != cregis.PathPayout {
					t.Errorf("Op = %q, want %q", ae.Op, cregis.PathPayout)
				}
				if !cregis.NotApplied(err) || cregis.OutcomeUnknown(err) {
					t.Error("want NotApplied and not OutcomeUnknown")
				}
			case httpErr:
				if !errors.As(err, &he) || he.StatusCode != tt.wantStatus {
					t.Fatalf("error = %v, want *HTTPError with status %d", err, tt.wantStatus)
				}
				if he.Op != cregis.PathPayout {
					t.Errorf("Op = %q, want %q", he.Op, cregis.PathPayout)
				}
				if !cregis.OutcomeUnknown(err) || cregis.NotApplied(err) {
					t.Error("want OutcomeUnknown and not NotApplied")
				}
			}
		})
	}
}

func TestAPIErrorIsComparesCodes(t *testing.T) {
	err := error(&cregis.APIError{Op: cregis.PathPayout, Code: "E0009", Msg: "dup"})
	if !errors.Is(err, cregis.ErrDuplicateThirdPartyID) {
		t.Error("E0009 does not match ErrDuplicateThirdPartyID")
	}
	for _, other := range []error{cregis.ErrSignature, cregis.ErrParameter, cregis.ErrOrderNotFound} {
		if errors.Is(err, other) {
			t.Errorf("E0009 matches %v", other)
		}
	}
	if errors.Is(&cregis.APIError{Code: "E0001"}, cregis.ErrParameter) {
		t.Error("E0001 matches ErrParameter, want only A codes")
	}
}

func TestHTTPErrorBodyIsSanitisedExcerpt(t *testing.T) {
	body := "\x00\x1b[31mred\xff\xfe" + strings.Repeat("é", 300)
	s := newStub(t, reply(500, body))
	_, err := newClient(t, s.URL).Payout(context.Background(), validPayout())
	var he *cregis.HTTPError
	if !errors.As(err, &he) {
		t.Fatalf("error = %v, want *HTTPError", err)
	}
	if len(he.Body) > 256 {
		t.Errorf("Body has %d bytes, want <= 256", len(he.Body))
	}
	if !strings.HasPrefix(he.Body, "??[31mred??éé") {
		t.Errorf("Body = %q, want control bytes and invalid UTF-8 replaced by ?", he.Body)
	}
	if strings.ContainsRune(he.Body, '\uFFFD') || !strings.HasSuffix(he.Body, "é") {
		t.Errorf("Body = %q, want whole runes only", he.Body)
	}
}

func TestErrorsNeverContainKeyOrSign(t *testing.T) {
	// Each handler echoes the request body (which holds the sign) and the
	// key back in a different error shape.
	echo := func(status int, wrap func(body string) string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var b strings.Builder
			fields := parseFields(r)
			fmt.Fprintf(&b, "key=%s sign=%v body=%v", testKey, fields["sign"], fields)
			reply(status, wrap(b.String()))(w, r)
		}
	}
	tests := []struct {
		desc string
		h    http.HandlerFunc
	}{
		{"HTTPErrorOn500", echo(500, func(s string) string { return s })},
		{"HTTPErrorOnNonEnvelope200", echo(200, func(s string) string { return "<pre>" + s + "</pre>" })},
		{"APIErrorMsg", echo(200, func(s string) string { return `{"code":"B0001","msg":` + strconv.Quote(s) + `}` })},
		{"APIErrorCode", echo(200, func(s string) string { return `{"code":` + strconv.Quote(s) + `,"msg":"x"}` })},
		{"HTTPErrorOnMissingCID", echo(200, func(s string) string { return `{"code":"00000","msg":` + strconv.Quote(s) + `,"data":{}}` })},
		{"HTTPErrorOnOversizedBody", echo(200, func(s string) string { return s + strings.Repeat(s, (2<<20)/len(s)) })},
		{"SecretsAtTheExcerptBoundary", echo(500, func(s string) string { return strings.Repeat("x", 240) + s })},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := newStub(t, tt.h)
			_, err := newClient(t, s.URL).Payout(context.Background(), validPayout())
			if err == nil {
				t.Fatal("Payout succeeded, want an error")
			}
			sign, _ := s.last(t).Fields["sign"].(string)
			assertNoSecrets(t, err, sign)
		})
	}
	t.Run("TransportError", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		_, err := newClient(t, "http://"+addr).Payout(context.Background(), validPayout())
		assertNoSecrets(t, err, "")
	})
}

// assertNoSecrets checks every rendering of err for the key and the sign.
func assertNoSecrets(t *testing.T, err error, sign string) {
	t.Helper()
	for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		if strings.Contains(text, testKey) {
			t.Errorf("error contains the API key: %s", text)
		}
		if sign != "" && strings.Contains(text, sign) {
			t.Errorf("error contains the request's sign %s: %s", sign, text)
		}
	}
}

func TestOutcomeHelpers(t *testing.T) {
	tests := []struct {
		desc       string
		err        error
		unknown    bool
		notApplied bool
	}{
		{"APIErrorIsNotApplied", &cregis.APIError{Code: "E0005"}, false, true},
		{"HTTPErrorIsUnknown", &cregis.HTTPError{StatusCode: 502}, true, false},
		{"SentTransportErrorIsUnknown", &cregis.TransportError{Sent: true, Err: context.DeadlineExceeded}, true, false},
		{"UnsentTransportErrorIsNotApplied", &cregis.TransportError{Sent: false, Err: context.Canceled}, false, true},
		{"RequestErrorIsNotApplied", &cregis.RequestError{Field: "amount", Reason: "is required"}, false, true},
		{"WrappedHTTPErrorIsUnknown", fmt.Errorf("submit: %w", &cregis.HTTPError{StatusCode: 500}), true, false},
		{"OtherErrorIsNeither", errors.New("other"), false, false},
		{"NilIsNeither", nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got := cregis.OutcomeUnknown(tt.err); got != tt.unknown {
				t.Errorf("OutcomeUnknown = %v, want %v", got, tt.unknown)
			}
			if got := cregis.NotApplied(tt.err); got != tt.notApplied {
				t.Errorf("NotApplied = %v, want %v", got, tt.notApplied)
			}
		})
	}
}
