package cregis_test

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/payoutd/payoutd/cregis"
)

// The published vectors of API.md, with integers as they come off the wire.
var (
	v2PayoutFields = map[string]any{
		"pid":            json.Number("1382528827416576"),
		"wallet_id":      json.Number("11434198045401088"),
		"currency":       "144@144",
		"from_address":   "rhAZ673nG6fSXovPAkw3EcrhKyWwXducoi",
		"to_address":     "rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc",
		"amount":         "1.1",
		"remark":         "payout",
		"memo":           "123",
		"third_party_id": "c9231e604da54469a735af3f449c880f",
		"callback_url":   "http://xxx.com/payout/callback",
		"nonce":          "hwlkk6",
		"timestamp":      json.Number("1688004243314"),
	}
	queryFields = map[string]any{
		"pid":       json.Number("1382528827416576"),
		"cid":       json.Number("1382626461605888"),
		"nonce":     "sw7kv5",
		"timestamp": json.Number("1687853722065"),
	}
	v1PayoutFields = map[string]any{
		"pid":            json.Number("1382528827416576"),
		"currency":       "195@195",
		"address":        "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS",
		"amount":         "1.1",
		"remark":         "payout",
		"third_party_id": "c9231e604da54469a735af3f449c880f",
		"callback_url":   "http://192.168.2.29:9099/callback",
		"nonce":          "hwlkk6",
		"timestamp":      json.Number("1688004243314"),
	}
)

func TestSign(t *testing.T) {
	tests := []struct {
		desc   string
		fields map[string]any
		want   string
	}{
		{"V2PayoutSeedExampleSignsAsPublished", v2PayoutFields, "84ef5ab680531a3a59272efb7e10b993"},
		{"StatusQuerySeedExampleSignsAsPublished", queryFields, "af825ddb839e6796d62977caf18d3394"},
		{"V1PayoutDocsExampleSignsAsPublished", v1PayoutFields, "d6eef2de79e39f434a38efb910213ba6"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got := cregis.Sign(testKey, tt.fields); got != tt.want {
				t.Errorf("Sign = %s, want %s", got, tt.want)
			}
			if !cregis.Verify(testKey, tt.fields, tt.want) {
				t.Errorf("Verify(%s) = false, want true", tt.want)
			}
		})
	}
}

func TestSignSeedPrintedSignDoesNotMatchItsOwnBody(t *testing.T) {
	// The v2 seed page prints the v1 example's sign under the v2 body.
	const seedPrinted = "d6eef2de79e39f434a38efb910213ba6"
	if got := cregis.Sign(testKey, v2PayoutFields); got == seedPrinted {
		t.Errorf("Sign(v2 body) = %s, the seed's misprinted value; want 84ef5ab680531a3a59272efb7e10b993", got)
	}
	if cregis.Verify(testKey, v2PayoutFields, seedPrinted) {
		t.Error("Verify accepted the seed's misprinted sign for the v2 body")
	}
}

func TestSignMatchesCanonicalStringBuiltByHand(t *testing.T) {
	md5hex := func(s string) string {
		sum := md5.Sum([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	tests := []struct {
		desc      string
		fields    map[string]any
		canonical string
	}{
		{
			"StatusQueryConcatenatesSortedKeysAfterTheKey",
			queryFields,
			testKey + "cid1382626461605888noncesw7kv5pid1382528827416576timestamp1687853722065",
		},
		{
			"UnderscoreSortsBeforeLettersAndEmptyValuesAreDropped",
			map[string]any{
				"to_address": "T1", "timestamp": int64(5), "third_party_id": "x",
				"remark": "", "memo": nil, "sign": "ignored",
			},
			testKey + "third_party_idxtimestamp5to_addressT1",
		},
		{
			"ZeroAndFalseStayInAndStringsAreVerbatim",
			map[string]any{"a": 0, "b": false, "c": `q"uo\te <&>`},
			testKey + `a0bfalsecq"uo\te <&>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			want := md5hex(tt.canonical)
			if got := cregis.Sign(testKey, tt.fields); got != want {
				t.Errorf("Sign = %s, want md5(%q) = %s", got, tt.canonical, want)
			}
		})
	}
}

func TestSignFormatsEveryKindLikeTheWire(t *testing.T) {
	type currency string
	type bigID uint64
	tests := []struct {
		desc  string
		value any
		wire  any // the same value as decoded from JSON with UseNumber
	}{
		{"NamedStringIsVerbatimNotQuoted", currency("195@195"), "195@195"},
		{"Int64AboveTwoToThe53IsExact", int64(9007199254740993), json.Number("9007199254740993")},
		{"NamedUnsignedIsBaseTen", bigID(11434198045401088), json.Number("11434198045401088")},
		{"StatusIsItsNumber", cregis.StatusSucceeded, json.Number("6")},
		{"NegativeIntIsBaseTen", int32(-7), json.Number("-7")},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got := cregis.Sign(testKey, map[string]any{"k": tt.value})
			want := cregis.Sign(testKey, map[string]any{"k": tt.wire})
			if got != want {
				t.Errorf("Sign(%T) = %s, want %s (as %v)", tt.value, got, want, tt.wire)
			}
		})
	}
	t.Run("EmptyNamedStringIsLeftOut", func(t *testing.T) {
		got := cregis.Sign(testKey, map[string]any{"k": currency(""), "pid": int64(1)})
		want := cregis.Sign(testKey, map[string]any{"pid": int64(1)})
		if got != want {
			t.Errorf("Sign with an empty named string = %s, want %s", got, want)
		}
	})
}

func TestVerify(t *testing.T) {
	tests := []struct {
		desc string
		sign string
		want bool
	}{
		{"CorrectSignVerifies", "af825ddb839e6796d62977caf18d3394", true},
		{"UppercaseHexVerifies", "AF825DDB839E6796D62977CAF18D3394", true},
		{"OneDigitChangedFails", "af825ddb839e6796d62977caf18d3395", false},
		{"TruncatedFails", "af825ddb839e6796", false},
		{"EmptyFails", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got := cregis.Verify(testKey, queryFields, tt.sign); got != tt.want {
				t.Errorf("Verify(%q) = %v, want %v", tt.sign, got, tt.want)
			}
		})
	}
	t.Run("OtherKeyFails", func(t *testing.T) {
		if cregis.Verify("0"+testKey[1:], queryFields, "af825ddb839e6796d62977caf18d3394") {
			t.Error("Verify under another key = true, want false")
		}
	})
}

func BenchmarkSign(b *testing.B) {
	for b.Loop() {
		cregis.Sign(testKey, v2PayoutFields)
	}
}
