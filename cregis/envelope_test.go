package cregis

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

const (
	fuzzKey  = "f502a9ac9ca54327986f29c03b271491"
	fuzzSign = "84ef5ab680531a3a59272efb7e10b993"
)

func TestDecodeEnvelope(t *testing.T) {
	tests := []struct {
		desc     string
		status   int
		body     string
		wantData string
		wantCode string // for an *APIError; "" with wantData "" means *HTTPError
	}{
		{"SuccessReturnsData", 200, `{"code":"00000","msg":"ok","data":{"cid":1}}`, `{"cid":1}`, ""},
		{"Any2xxIsAccepted", 201, `{"code":"00000","data":{}}`, `{}`, ""},
		{"UnknownFieldsAreIgnored", 200, `{"ok":true,"code":"00000","trace":[1],"data":{"a":1}}`, `{"a":1}`, ""},
		{"NumericMsgIsTolerated", 200, `{"code":"E0005","msg":5}`, "", "E0005"},
		{"ErrorCodeIsAPIError", 200, `{"code":"E0009","msg":"dup","data":null}`, "", "E0009"},
		{"ObjectMsgIsNotTheEnvelope", 200, `{"code":"E0009","msg":{}}`, "", ""},
		{"RedirectIsHTTPError", 302, `{"code":"00000","data":{}}`, "", ""},
		{"NullIsHTTPError", 200, `null`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			data, err := decodeEnvelope("/op", tt.status, []byte(tt.body), fuzzKey, fuzzSign)
			var ae *APIError
			var he *HTTPError
			switch {
			case tt.wantData != "":
				if err != nil || string(data) != tt.wantData {
					t.Errorf("decodeEnvelope = %s, %v; want %s, nil", data, err, tt.wantData)
				}
			case tt.wantCode != "":
				if !errors.As(err, &ae) || ae.Code != tt.wantCode {
					t.Errorf("decodeEnvelope error = %v, want *APIError %s", err, tt.wantCode)
				}
			default:
				if !errors.As(err, &he) || he.StatusCode != tt.status {
					t.Errorf("decodeEnvelope error = %v, want *HTTPError %d", err, tt.status)
				}
			}
		})
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	f.Add(200, []byte(`{"code":"00000","msg":"ok","data":{"cid":1382688606330880}}`))
	f.Add(200, []byte(`{"code":"E0009","msg":"`+fuzzKey+`","data":null}`))
	f.Add(500, []byte("<html>"+fuzzSign+"\xff\x00</html>"))
	f.Add(200, []byte(`{"code":"`+fuzzSign+`","msg":"x"}`))
	f.Add(302, []byte(``))
	f.Add(200, []byte(strings.Repeat("é", 120)+fuzzKey))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		data, err := decodeEnvelope("/op", status, body, fuzzKey, fuzzSign)
		if err == nil {
			if status < 200 || status > 299 {
				t.Fatalf("accepted status %d", status)
			}
			_ = data
			return
		}
		var ae *APIError
		var he *HTTPError
		switch {
		case errors.As(err, &ae):
			checkExcerpt(t, ae.Code)
			checkExcerpt(t, ae.Msg)
		case errors.As(err, &he):
			checkExcerpt(t, he.Body)
		default:
			t.Fatalf("error %T is neither *APIError nor *HTTPError", err)
		}
		if msg := err.Error(); strings.Contains(msg, fuzzKey) || strings.Contains(msg, fuzzSign) {
			t.Fatalf("error contains a secret: %s", msg)
		}
	})
}

func checkExcerpt(t *testing.T, s string) {
	t.Helper()
	if len(s) > maxExcerpt || !utf8.ValidString(s) {
		t.Fatalf("excerpt %q: %d bytes, valid UTF-8 %v; want <= %d and valid", s, len(s), utf8.ValidString(s), maxExcerpt)
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			t.Fatalf("excerpt %q holds control character %U", s, r)
		}
	}
}

func TestExcerptRedactsBeforeTruncating(t *testing.T) {
	s := strings.Repeat("x", 250) + fuzzKey
	got := excerpt(s, []string{fuzzKey})
	if strings.Contains(got, fuzzKey[:6]) {
		t.Errorf("excerpt = %q, holds the start of the key", got)
	}
}
