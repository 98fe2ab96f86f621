package cregis_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/payoutd/payoutd/cregis"
)

func verificationPairs() []kv {
	return []kv{
		{"pid", json.Number("1382528827416576")},
		{"cid", json.Number("9007199254740993")}, // above 2^53
		{"third_party_id", "c9231e604da54469a735af3f449c880f"},
		{"chain_id", "60"},
		{"token_id", "0xdac17f958d2ee523a2206206994597c13d831ec7"},
		{"from_address", "0x1111111111111111111111111111111111111111"},
		{"to_address", "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01"},
		{"amount", "12.50"},
		{"remark", "payout"},
		{"memo", ""},
		{"nonce", "hwlkk6"},
		{"timestamp", json.Number("1688004243314")}, // 2023: old, and accepted
	}
}

func TestParseVerificationAcceptsACorrectlySignedRequest(t *testing.T) {
	c := newClient(t, "https://cregis.example")
	t.Run("DocumentedFields", func(t *testing.T) {
		v, err := c.ParseVerification(orderedJSON(signPairs(testKey, verificationPairs())))
		if err != nil {
			t.Fatal(err)
		}
		want := cregis.Verification{
			PID: testPID, CID: 9007199254740993, ThirdPartyID: "c9231e604da54469a735af3f449c880f",
			ChainID: "60", TokenID: "0xdac17f958d2ee523a2206206994597c13d831ec7",
			FromAddress: "0x1111111111111111111111111111111111111111",
			ToAddress:   "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01", Amount: "12.50", Remark: "payout",
			Nonce: "hwlkk6", Timestamp: 1688004243314,
		}
		if *v != want {
			t.Errorf("verification = %+v\nwant %+v", *v, want)
		}
		if got, want := v.Currency(), "60@0xdac17f958d2ee523a2206206994597c13d831ec7"; got != want {
			t.Errorf("Currency() = %s, want %s", got, want)
		}
	})
	t.Run("UnknownFieldsSignedByCregisAreCovered", func(t *testing.T) {
		pairs := append(verificationPairs(), kv{"fee", "0.01"}, kv{"urgent", true}, kv{"gas", json.Number("21000")})
		if _, err := c.ParseVerification(orderedJSON(signPairs(testKey, pairs))); err != nil {
			t.Errorf("ParseVerification = %v, want nil", err)
		}
	})
	t.Run("OptionalFieldsMayBeMissing", func(t *testing.T) {
		pairs := slices.DeleteFunc(verificationPairs(), func(p kv) bool {
			return p.k == "from_address" || p.k == "remark" || p.k == "memo" || p.k == "nonce" || p.k == "timestamp"
		})
		v, err := c.ParseVerification(orderedJSON(signPairs(testKey, pairs)))
		if err != nil || v.FromAddress != "" || v.Timestamp != 0 {
			t.Errorf("ParseVerification = %+v, %v; want no from_address nor timestamp", v, err)
		}
	})
	t.Run("CIDAsAStringDecodesExactly", func(t *testing.T) {
		pairs := replacePair(verificationPairs(), "cid", "9223372036854775807")
		v, err := c.ParseVerification(orderedJSON(signPairs(testKey, pairs)))
		if err != nil || v.CID != 9223372036854775807 {
			t.Errorf("ParseVerification = %+v, %v; want cid 9223372036854775807", v, err)
		}
	})
}

func TestParseVerificationRefuses(t *testing.T) {
	c := newClient(t, "https://cregis.example")
	signed := signPairs(testKey, verificationPairs())
	tests := []struct {
		desc string
		body []byte
		want error
	}{
		{"SignedWithAnotherKey", orderedJSON(signPairs("0"+testKey[1:], verificationPairs())), cregis.ErrCallbackSignature},
		{"AmountChangedAfterSigning", orderedJSON(replacePair(signed, "amount", "1000")), cregis.ErrCallbackSignature},
		{"RecipientChangedAfterSigning", orderedJSON(replacePair(signed, "to_address", "0xabcdef0123456789abcdef0123456789abcdef01")), cregis.ErrCallbackSignature},
		{"FieldAddedAfterSigning", orderedJSON(append(slices.Clone(signed), kv{"fee", "0.01"})), cregis.ErrCallbackSignature},
		{"MissingSign", orderedJSON(withoutPair(signed, "sign")), cregis.ErrCallbackMalformed},
		{"OtherProject", orderedJSON(signPairs(testKey, replacePair(verificationPairs(), "pid", json.Number("7")))), cregis.ErrCallbackPID},
		{"ZeroCID", orderedJSON(signPairs(testKey, replacePair(verificationPairs(), "cid", json.Number("0")))), cregis.ErrCallbackMalformed},
		{"CIDAbove2To63", orderedJSON(signPairs(testKey, replacePair(verificationPairs(), "cid", json.Number("9223372036854775808")))), cregis.ErrCallbackMalformed},
		{"NestedObject", orderedJSON(append(slices.Clone(signed), kv{"extra", map[string]any{"a": "b"}})), cregis.ErrCallbackMalformed},
		{"TrailingData", append(orderedJSON(signed), []byte(` {}`)...), cregis.ErrCallbackMalformed},
	}
	for _, key := range []string{"pid", "cid", "third_party_id", "chain_id", "token_id", "to_address", "amount"} {
		tests = append(tests, struct {
			desc string
			body []byte
			want error
		}{"Missing_" + key, orderedJSON(signPairs(testKey, withoutPair(verificationPairs(), key))), cregis.ErrCallbackMalformed})
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			v, err := c.ParseVerification(tt.body)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseVerification = %+v, %v; want %v", v, err, tt.want)
			}
			assertNoSecrets(t, err, signOf(tt.body))
			for _, value := range []string{"c9231e604da54469a735af3f449c880f", "12.50", "0xAbCdEf"} {
				if strings.Contains(err.Error(), value) {
					t.Errorf("error %q contains the value %q", err, value)
				}
			}
		})
	}
}

func TestParseVerificationErrorNamesTheMissingField(t *testing.T) {
	c := newClient(t, "https://cregis.example")
	_, err := c.ParseVerification(orderedJSON(signPairs(testKey, withoutPair(verificationPairs(), "token_id"))))
	if err == nil || !strings.Contains(err.Error(), "token_id") {
		t.Errorf("error = %v, want it to name token_id", err)
	}
}

func replacePair(pairs []kv, key string, v any) []kv {
	out := slices.Clone(pairs)
	for i := range out {
		if out[i].k == key {
			out[i].v = v
		}
	}
	return out
}

func withoutPair(pairs []kv, key string) []kv {
	return slices.DeleteFunc(slices.Clone(pairs), func(p kv) bool { return p.k == key })
}

func FuzzParseVerification(f *testing.F) {
	f.Add(orderedJSON(signPairs(testKey, verificationPairs())), "12.5", int64(1))
	f.Add([]byte(`{"pid":1,"cid":2,"sign":"x","n":{"a":[]}}`), "ü\xff", int64(9007199254740993))
	f.Add([]byte(`[]`), "", int64(0))
	f.Add([]byte(`{"cid":1e400}`), `"\`, int64(-1))
	c, err := cregis.New(cregis.Config{BaseURL: "https://cregis.example", PID: testPID, APIKey: testKey})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, amount string, cid int64) {
		v, err := c.ParseVerification(body)
		switch {
		case err == nil && (v.PID != testPID || v.CID <= 0 || v.ThirdPartyID == "" || v.Amount == ""):
			t.Fatalf("accepted %+v: wrong pid or a required field empty", v)
		case err != nil && !errors.Is(err, cregis.ErrCallbackMalformed) &&
			!errors.Is(err, cregis.ErrCallbackSignature) && !errors.Is(err, cregis.ErrCallbackPID):
			t.Fatalf("error %v wraps none of the push errors", err)
		case err != nil && strings.Contains(err.Error(), testKey):
			t.Fatalf("error contains the key: %v", err)
		}
		amount = strings.ToValidUTF8(amount, "?")
		if cid <= 0 || amount == "" {
			return
		}
		pairs := replacePair(replacePair(verificationPairs(), "cid", json.Number(itoa(cid))), "amount", amount)
		v, err = c.ParseVerification(orderedJSON(signPairs(testKey, pairs)))
		if err != nil || v.CID != cid || v.Amount != amount {
			t.Fatalf("round trip of cid %d amount %q = %+v, %v", cid, amount, v, err)
		}
	})
}
