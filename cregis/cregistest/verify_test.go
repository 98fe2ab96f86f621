package cregistest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
)

func TestCreateIsVerified(t *testing.T) {
	s := cregistest.NewServer(t)
	s.MarkAddressInvalid("TMarkedInvalidByTheTest000000000000")
	cases := []struct {
		desc      string
		path      string
		fields    map[string]any
		wantCode  string
		wantField string // named in the message, for A0001
	}{
		{"a valid payout is accepted", cregis.PathPayout, payoutFields("ok-1"), "00000", ""},
		{"a valid sub-address withdrawal is accepted", cregis.PathSubAddressWithdrawal, subAddressFields("ok-2"), "00000", ""},
		{"wallet_id as a JSON integer is accepted", cregis.PathPayout, with(payoutFields("ok-3"), map[string]any{"wallet_id": int64(11434198045401088)}), "00000", ""},
		{"unknown extra fields are signed over and accepted", cregis.PathPayout, with(payoutFields("ok-4"), map[string]any{"extra": "x"}), "00000", ""},
		{"a remark of 256 multibyte characters is accepted", cregis.PathPayout, with(payoutFields("ok-5"), map[string]any{"remark": strings.Repeat("é", 256)}), "00000", ""},
		{"a remark of 257 characters is E0002", cregis.PathPayout, with(payoutFields("r"), map[string]any{"remark": strings.Repeat("a", 257)}), "E0002", ""},
		{"a missing currency is A0001", cregis.PathPayout, with(payoutFields("m1"), map[string]any{"currency": nil}), "A0001", "currency"},
		{"an empty to_address is A0001", cregis.PathPayout, with(payoutFields("m2"), map[string]any{"to_address": ""}), "A0001", "to_address"},
		{"a missing amount is A0001", cregis.PathPayout, with(payoutFields("m3"), map[string]any{"amount": nil}), "A0001", "amount"},
		{"a missing third_party_id is A0001", cregis.PathPayout, with(payoutFields("m4"), map[string]any{"third_party_id": nil}), "A0001", "third_party_id"},
		{"a sub-address withdrawal without from_address is A0001", cregis.PathSubAddressWithdrawal, payoutFields("m5"), "A0001", "from_address"},
		{"an amount sent as a JSON number is A0001", cregis.PathPayout, with(payoutFields("t1"), map[string]any{"amount": 1.5}), "A0001", "amount"},
		{"a wallet_id sent as a string is A0001", cregis.PathPayout, with(payoutFields("t2"), map[string]any{"wallet_id": "11434198045401088"}), "A0001", "wallet_id"},
		{"a wallet_id sent as a float is A0001", cregis.PathPayout, with(payoutFields("t3"), map[string]any{"wallet_id": json.Number("1.1434198045401088e16")}), "A0001", "wallet_id"},
		{"a callback_url that is not http is A0001", cregis.PathPayout, with(payoutFields("t4"), map[string]any{"callback_url": "ftp://example.com/cb"}), "A0001", "callback_url"},
		{"an unknown currency is E0005", cregis.PathPayout, with(payoutFields("c1"), map[string]any{"currency": "999@999"}), "E0005", ""},
		{"a currency given by coin name is accepted", cregis.PathPayout, with(payoutFields("c2"), map[string]any{"currency": "TRX"}), "00000", ""},
		{"a zero amount is E0006", cregis.PathPayout, with(payoutFields("a1"), map[string]any{"amount": "0"}), "E0006", ""},
		{"a zero amount with decimals is E0006", cregis.PathPayout, with(payoutFields("a2"), map[string]any{"amount": "0.000"}), "E0006", ""},
		{"a negative amount is E0006", cregis.PathPayout, with(payoutFields("a3"), map[string]any{"amount": "-1"}), "E0006", ""},
		{"an amount with an exponent is E0016", cregis.PathPayout, with(payoutFields("a4"), map[string]any{"amount": "1e3"}), "E0016", ""},
		{"an amount that is not a number is E0016", cregis.PathPayout, with(payoutFields("a5"), map[string]any{"amount": "one"}), "E0016", ""},
		{"an amount without a whole part is E0016", cregis.PathPayout, with(payoutFields("a6"), map[string]any{"amount": ".5"}), "E0016", ""},
		{"seven decimals on a 6-decimal token is E0007", cregis.PathPayout, with(payoutFields("a7"), map[string]any{"amount": "1.1234567"}), "E0007", ""},
		{"six decimals on a 6-decimal token are accepted", cregis.PathPayout, with(payoutFields("a8"), map[string]any{"amount": "1.123456"}), "00000", ""},
		{"trailing zeros beyond the decimals are accepted", cregis.PathPayout, with(payoutFields("a9"), map[string]any{"amount": "1.500000000"}), "00000", ""},
		{"eighteen decimals on ETH are accepted", cregis.PathPayout, with(payoutFields("a10"), map[string]any{"currency": "60@60", "amount": "0.000000000000000001", "to_address": "0x52908400098527886E0F7030069857D2E4169EE7"}), "00000", ""},
		{"an address with a space is E0008", cregis.PathPayout, with(payoutFields("d1"), map[string]any{"to_address": "TXsmKp EuW7q"}), "E0008", ""},
		{"an address marked invalid is E0008", cregis.PathPayout, with(payoutFields("d2"), map[string]any{"to_address": "TMarkedInvalidByTheTest000000000000"}), "E0008", ""},
		{"an invalid from_address is E0008", cregis.PathSubAddressWithdrawal, with(subAddressFields("d3"), map[string]any{"from_address": "T\tab"}), "E0008", ""},
		{"a memo on TRX is E0032", cregis.PathPayout, with(payoutFields("e1"), map[string]any{"memo": "123"}), "E0032", ""},
		{"a numeric XRP memo is accepted", cregis.PathPayout, with(payoutFields("e2"), map[string]any{"currency": "144@144", "memo": "4294967294"}), "00000", ""},
		{"an XRP memo of 4294967295 is E0032", cregis.PathPayout, with(payoutFields("e3"), map[string]any{"currency": "144@144", "memo": "4294967295"}), "E0032", ""},
		{"a non-numeric XRP memo is E0032", cregis.PathPayout, with(payoutFields("e4"), map[string]any{"currency": "144@144", "memo": "abc"}), "E0032", ""},
		{"a text memo on TON is accepted", cregis.PathPayout, with(payoutFields("e5"), map[string]any{"currency": "2000@2000", "memo": "order 17"}), "00000", ""},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			r := call(t, s, tc.path, tc.fields)
			if r.Code != tc.wantCode {
				t.Fatalf("code = %s (%s), want %s", r.Code, r.Msg, tc.wantCode)
			}
			if tc.wantField != "" && !hasField(r.Msg, tc.wantField) {
				t.Errorf("msg = %q, want it to name %s", r.Msg, tc.wantField)
			}
			if r.Code != cregis.CodeOK && r.Data != nil {
				t.Errorf("data = %v, want null on an error", r.Data)
			}
		})
	}
}

func TestEveryCallIsAuthenticated(t *testing.T) {
	s := cregistest.NewServer(t)
	valid := func() map[string]any { return signed(s.PID, s.APIKey, payoutFields("auth")) }
	cases := []struct {
		desc      string
		body      map[string]any
		wantCode  string
		wantField string
	}{
		{"a body signed with another key is B0001", signed(s.PID, "another-key", payoutFields("auth")), "B0001", ""},
		{"a body without sign is B0001", with(valid(), map[string]any{"sign": nil}), "B0001", ""},
		{"a field changed after signing is B0001", with(valid(), map[string]any{"amount": "2"}), "B0001", ""},
		{"a field added after signing is B0001", with(valid(), map[string]any{"remark": "late"}), "B0001", ""},
		{"another project's pid is E0003", signed(s.PID+1, s.APIKey, payoutFields("auth")), "E0003", ""},
		{"a missing pid is A0001", with(valid(), map[string]any{"pid": nil}), "A0001", "pid"},
		{"a pid sent as a string is A0001", with(valid(), map[string]any{"pid": "1"}), "A0001", "pid"},
		{"a pid sent as a float is A0001", with(valid(), map[string]any{"pid": json.Number("9.007199254740993e15")}), "A0001", "pid"},
		{"a nonce of 5 characters is A0001", signed(s.PID, s.APIKey, with(payoutFields("auth"), map[string]any{"nonce": "abcde"})), "A0001", "nonce"},
		{"a missing nonce is A0001", with(valid(), map[string]any{"nonce": nil}), "A0001", "nonce"},
		{"a missing timestamp is A0001", with(valid(), map[string]any{"timestamp": nil}), "A0001", "timestamp"},
		{"a timestamp sent as a string is A0001", with(valid(), map[string]any{"timestamp": "1688004243314"}), "A0001", "timestamp"},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			r := postJSON(t, s.URL+cregis.PathPayout, tc.body)
			if r.Code != tc.wantCode {
				t.Fatalf("code = %s (%s), want %s", r.Code, r.Msg, tc.wantCode)
			}
			if tc.wantField != "" && !hasField(r.Msg, tc.wantField) {
				t.Errorf("msg = %q, want it to name %s", r.Msg, tc.wantField)
			}
			if n := s.Creates("auth"); n != 0 {
				t.Errorf("Creates(auth) = %d after a refused create, want 0", n)
			}
		})
	}
}

func TestAnUppercaseSignIsAccepted(t *testing.T) {
	s := cregistest.NewServer(t)
	body := signed(s.PID, s.APIKey, payoutFields("upper"))
	body["sign"] = strings.ToUpper(body["sign"].(string))
	if r := postJSON(t, s.URL+cregis.PathPayout, body); r.Code != cregis.CodeOK {
		t.Fatalf("code = %s (%s), want 00000: hex case carries no meaning", r.Code, r.Msg)
	}
}

func TestBodiesThatAreNotJSONAreParameterErrors(t *testing.T) {
	s := cregistest.NewServer(t)
	cases := []struct {
		desc        string
		contentType string
		body        string
	}{
		{"a body that is not JSON", "application/json", "pid=1"},
		{"a JSON array", "application/json", "[]"},
		{"two JSON objects", "application/json", "{} {}"},
		{"a JSON body sent as text/plain", "text/plain", `{"pid": 1}`},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			status, raw := postRaw(t, s.URL+cregis.PathPayout, tc.contentType, []byte(tc.body))
			if status != http.StatusOK {
				t.Fatalf("HTTP %d, want 200", status)
			}
			if r := decodeReply(t, raw); r.Code != "A0001" {
				t.Errorf("code = %s (%s), want A0001", r.Code, r.Msg)
			}
		})
	}
}

func TestDocumentedVectorsAreAccepted(t *testing.T) {
	s := cregistest.NewServer(t, cregistest.WithPID(1382528827416576), cregistest.WithAPIKey("f502a9ac9ca54327986f29c03b271491"))
	t.Run("TheSeedPayoutIsCreated", func(t *testing.T) {
		body := decodeObject(t, []byte(`{"pid":1382528827416576,"wallet_id":11434198045401088,"currency":"144@144",
			"from_address":"rhAZ673nG6fSXovPAkw3EcrhKyWwXducoi","to_address":"rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc",
			"amount":"1.1","remark":"payout","memo":"123","third_party_id":"c9231e604da54469a735af3f449c880f",
			"callback_url":"http://xxx.com/payout/callback","nonce":"hwlkk6","timestamp":1688004243314,
			"sign":"84ef5ab680531a3a59272efb7e10b993"}`))
		if r := postJSON(t, s.URL+cregis.PathPayout, body); r.Code != cregis.CodeOK {
			t.Fatalf("code = %s (%s), want 00000", r.Code, r.Msg)
		}
	})
	t.Run("TheSeedQueryIsAuthenticatedAndFindsNoOrder", func(t *testing.T) {
		body := decodeObject(t, []byte(`{"pid":1382528827416576,"cid":1382626461605888,"nonce":"sw7kv5",
			"timestamp":1687853722065,"sign":"af825ddb839e6796d62977caf18d3394"}`))
		if r := postJSON(t, s.URL+cregis.PathSubAddressWithdrawalInfo, body); r.Code != "E0014" {
			t.Fatalf("code = %s (%s), want E0014", r.Code, r.Msg)
		}
	})
	t.Run("TheSeedPayoutsMisprintedSignIsRefused", func(t *testing.T) {
		body := decodeObject(t, []byte(`{"pid":1382528827416576,"currency":"144@144","to_address":"rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc",
			"amount":"1.1","third_party_id":"x","nonce":"hwlkk6","timestamp":1688004243314,"sign":"d6eef2de79e39f434a38efb910213ba6"}`))
		if r := postJSON(t, s.URL+cregis.PathPayout, body); r.Code != "B0001" {
			t.Fatalf("code = %s (%s), want B0001", r.Code, r.Msg)
		}
	})
}

func TestQueriesAreVerified(t *testing.T) {
	s := cregistest.NewServer(t)
	cases := []struct {
		desc     string
		fields   map[string]any
		wantCode string
	}{
		{"a query without cid is A0001", map[string]any{}, "A0001"},
		{"a cid sent as a string is A0001", map[string]any{"cid": "9007199254740993"}, "A0001"},
		{"an unknown cid is E0014", map[string]any{"cid": int64(1) << 60}, "E0014"},
	}
	for _, tc := range cases {
		for _, path := range []string{cregis.PathSubAddressWithdrawalInfo, cregis.PathPayoutQuery} {
			t.Run(tc.desc+" at "+path, func(t *testing.T) {
				if r := call(t, s, path, tc.fields); r.Code != tc.wantCode {
					t.Errorf("code = %s (%s), want %s", r.Code, r.Msg, tc.wantCode)
				}
			})
		}
	}
}

func TestDuplicateThirdPartyIDIsE0009(t *testing.T) {
	s := cregistest.NewServer(t)
	cid := create(t, s, cregis.PathPayout, payoutFields("dup"))
	t.Run("TheSameIDAgainIsRefusedWithoutACid", func(t *testing.T) {
		r := call(t, s, cregis.PathPayout, payoutFields("dup"))
		if r.Code != "E0009" || r.Data != nil {
			t.Fatalf("code = %s, data = %v; want E0009 and null data", r.Code, r.Data)
		}
	})
	t.Run("TheSameIDAtTheOtherCreateEndpointIsRefused", func(t *testing.T) {
		if r := call(t, s, cregis.PathSubAddressWithdrawal, subAddressFields("dup")); r.Code != "E0009" {
			t.Fatalf("code = %s, want E0009", r.Code)
		}
	})
	t.Run("TheCountsSayOneCreateAndTwoDuplicates", func(t *testing.T) {
		if c, d := s.Creates("dup"), s.Duplicates("dup"); c != 1 || d != 2 {
			t.Errorf("Creates = %d, Duplicates = %d; want 1 and 2", c, d)
		}
		if p, _ := s.PayoutByThirdPartyID("dup"); p.CID != cid {
			t.Errorf("PayoutByThirdPartyID(dup).CID = %d, want %d", p.CID, cid)
		}
	})
}

func TestTimestampsAreNotCheckedForAge(t *testing.T) {
	s := cregistest.NewServer(t)
	body := signed(s.PID, s.APIKey, payoutFields("old"))
	body["timestamp"] = time.Date(2023, 6, 29, 0, 0, 0, 0, time.UTC).UnixMilli()
	body["sign"] = cregis.Sign(s.APIKey, body)
	if r := postJSON(t, s.URL+cregis.PathPayout, body); r.Code != cregis.CodeOK {
		t.Fatalf("code = %s (%s), want 00000: the tolerance is undocumented, so the fake does not enforce one", r.Code, r.Msg)
	}
}
