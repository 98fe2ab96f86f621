package cregis_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/payoutd/payoutd/cregis"
)

// kv is one field of a JSON object written in a chosen order.
type kv struct {
	k string
	v any
}

// orderedJSON writes pairs as one JSON object, keys in the given order.
func orderedJSON(pairs []kv) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(p.k)
		v, _ := json.Marshal(p.v)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// signPairs appends the sign of pairs under key.
func signPairs(key string, pairs []kv) []kv {
	fields := map[string]any{}
	for _, p := range pairs {
		fields[p.k] = p.v
	}
	return append(slices.Clone(pairs), kv{"sign", cregis.Sign(key, fields)})
}

func walletCallbackPairs() []kv {
	return []kv{
		{"pid", json.Number("1382528827416576")},
		{"cid", json.Number("9007199254740993")},
		{"chain_id", "195"},
		{"token_id", "195"},
		{"currency", "195@195"},
		{"address", "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS"},
		{"amount", "1.1"},
		{"third_party_id", "c9231e604da54469a735af3f449c880f"},
		{"remark", "payout"},
		{"memo", ""},
		{"status", json.Number("6")},
		{"txid", "6dd05b0972075542219a3fcc116c58feaf9480f1f698cc46c4367ded83955cfd"},
		{"block_height", "34527604"},
		{"block_time", json.Number("1686814482000")},
		{"nonce", "hwlkk6"},
		{"timestamp", json.Number("1688004243314")}, // 2023: old, and accepted
	}
}

func subAddressCallbackPairs() []kv {
	pairs := slices.DeleteFunc(walletCallbackPairs(), func(p kv) bool { return p.k == "address" })
	return append(pairs, kv{"from_address", "rqkVSVbsatX3mXAc64g9wTihrmoLwpiuB"}, kv{"to_address", "rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc"})
}

func TestParseCallbackAcceptsCorrectlySignedCallbacks(t *testing.T) {
	c := newClient(t, "https://cregis.example")
	t.Run("WalletPayoutShape", func(t *testing.T) {
		cb, err := c.ParseCallback(orderedJSON(signPairs(testKey, walletCallbackPairs())))
		if err != nil {
			t.Fatal(err)
		}
		want := cregis.Callback{
			PID: testPID, CID: 9007199254740993, ChainID: "195", TokenID: "195", Currency: "195@195",
			Address: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", Amount: "1.1",
			ThirdPartyID: "c9231e604da54469a735af3f449c880f", Remark: "payout", Status: cregis.StatusSucceeded,
			TxID:        "6dd05b0972075542219a3fcc116c58feaf9480f1f698cc46c4367ded83955cfd",
			BlockHeight: "34527604", BlockTime: 1686814482000, Nonce: "hwlkk6", Timestamp: 1688004243314,
		}
		if *cb != want {
			t.Errorf("callback = %+v\nwant %+v", *cb, want)
		}
		if r := cb.Recipient(); r != want.Address {
			t.Errorf("Recipient() = %s, want %s", r, want.Address)
		}
	})
	t.Run("SubAddressWithdrawalShape", func(t *testing.T) {
		cb, err := c.ParseCallback(orderedJSON(signPairs(testKey, subAddressCallbackPairs())))
		if err != nil {
			t.Fatal(err)
		}
		if cb.FromAddress != "rqkVSVbsatX3mXAc64g9wTihrmoLwpiuB" || cb.Address != "" ||
			cb.Recipient() != "rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc" {
			t.Errorf("callback from %q address %q recipient %q, want the sub-address shape", cb.FromAddress, cb.Address, cb.Recipient())
		}
	})
	t.Run("KeyOrderDoesNotMatter", func(t *testing.T) {
		signed := signPairs(testKey, walletCallbackPairs())
		reversed := slices.Clone(signed)
		slices.Reverse(reversed)
		a, errA := c.ParseCallback(orderedJSON(signed))
		b, errB := c.ParseCallback(orderedJSON(reversed))
		if errA != nil || errB != nil || *a != *b {
			t.Errorf("in order: %v, %v; reversed: %v, %v; want equal callbacks", a, errA, b, errB)
		}
	})
	t.Run("UnknownFieldsSignedByCregisAreCovered", func(t *testing.T) {
		pairs := append(walletCallbackPairs(), kv{"fee", "0.01"}, kv{"confirmed", true}, kv{"gas", json.Number("21000")})
		if _, err := c.ParseCallback(orderedJSON(signPairs(testKey, pairs))); err != nil {
			t.Errorf("ParseCallback = %v, want nil", err)
		}
	})
	t.Run("NullFieldsAreLeftOutOfTheSignature", func(t *testing.T) {
		pairs := append(walletCallbackPairs(), kv{"memo2", nil})
		if _, err := c.ParseCallback(orderedJSON(signPairs(testKey, pairs))); err != nil {
			t.Errorf("ParseCallback = %v, want nil", err)
		}
	})
	t.Run("NumbersAsStringsAndEmptyBlockTimeDecode", func(t *testing.T) {
		pairs := walletCallbackPairs()
		for i := range pairs {
			switch pairs[i].k {
			case "status":
				pairs[i].v = "4"
			case "block_time", "txid":
				pairs[i].v = ""
			case "block_height":
				pairs[i].v = json.Number("0")
			}
		}
		cb, err := c.ParseCallback(orderedJSON(signPairs(testKey, pairs)))
		if err != nil || cb.Status != cregis.StatusReviewRejected || cb.BlockTime != 0 || cb.BlockHeight != "0" {
			t.Errorf("ParseCallback = %+v, %v; want status 4, block time 0, block height \"0\"", cb, err)
		}
	})
}

func TestParseCallbackRefuses(t *testing.T) {
	c := newClient(t, "https://cregis.example")
	signed := signPairs(testKey, walletCallbackPairs())
	replace := func(pairs []kv, key string, v any) []kv {
		out := slices.Clone(pairs)
		for i := range out {
			if out[i].k == key {
				out[i].v = v
			}
		}
		return out
	}
	without := func(pairs []kv, key string) []kv {
		return slices.DeleteFunc(slices.Clone(pairs), func(p kv) bool { return p.k == key })
	}
	tests := []struct {
		desc string
		body []byte
		want error
	}{
		{"SignedWithAnotherKey", orderedJSON(signPairs("0"+testKey[1:], walletCallbackPairs())), cregis.ErrCallbackSignature},
		{"AmountChangedAfterSigning", orderedJSON(replace(signed, "amount", "1000")), cregis.ErrCallbackSignature},
		{"StatusChangedAfterSigning", orderedJSON(replace(signed, "status", json.Number("6.0"))), cregis.ErrCallbackSignature},
		{"FieldAddedAfterSigning", orderedJSON(append(slices.Clone(signed), kv{"fee", "0.01"})), cregis.ErrCallbackSignature},
		{"FieldRemovedAfterSigning", orderedJSON(without(signed, "remark")), cregis.ErrCallbackSignature},
		{"SignOfEmptyString", orderedJSON(replace(signed, "sign", "")), cregis.ErrCallbackMalformed},
		{"MissingSign", orderedJSON(without(signed, "sign")), cregis.ErrCallbackMalformed},
		{"SignNotAString", orderedJSON(replace(signed, "sign", json.Number("1"))), cregis.ErrCallbackMalformed},
		{"OtherProject", orderedJSON(signPairs(testKey, replace(walletCallbackPairs(), "pid", json.Number("7")))), cregis.ErrCallbackPID},
		{"MissingPID", orderedJSON(signPairs(testKey, without(walletCallbackPairs(), "pid"))), cregis.ErrCallbackMalformed},
		{"MissingCID", orderedJSON(signPairs(testKey, without(walletCallbackPairs(), "cid"))), cregis.ErrCallbackMalformed},
		{"ZeroCID", orderedJSON(signPairs(testKey, replace(walletCallbackPairs(), "cid", json.Number("0")))), cregis.ErrCallbackMalformed},
		{"MissingStatus", orderedJSON(signPairs(testKey, without(walletCallbackPairs(), "status"))), cregis.ErrCallbackMalformed},
		{"MissingThirdPartyID", orderedJSON(signPairs(testKey, without(walletCallbackPairs(), "third_party_id"))), cregis.ErrCallbackMalformed},
		{"FractionalCID", orderedJSON(signPairs(testKey, replace(walletCallbackPairs(), "cid", json.Number("1.5")))), cregis.ErrCallbackMalformed},
		{"BooleanAmount", orderedJSON(signPairs(testKey, replace(walletCallbackPairs(), "amount", true))), cregis.ErrCallbackMalformed},
		{"NestedObject", orderedJSON(append(slices.Clone(signed), kv{"extra", map[string]any{"a": "b"}})), cregis.ErrCallbackMalformed},
		{"NestedArray", orderedJSON(append(slices.Clone(signed), kv{"extra", []string{"a"}})), cregis.ErrCallbackMalformed},
		{"TopLevelArray", []byte(`[{"pid":1}]`), cregis.ErrCallbackMalformed},
		{"TopLevelNull", []byte(`null`), cregis.ErrCallbackMalformed},
		{"TopLevelString", []byte(`"x"`), cregis.ErrCallbackMalformed},
		{"EmptyBody", []byte(``), cregis.ErrCallbackMalformed},
		{"FormEncodedBody", []byte(`pid=1&cid=2&sign=abc`), cregis.ErrCallbackMalformed},
		{"TrailingData", append(orderedJSON(signed), []byte(` {}`)...), cregis.ErrCallbackMalformed},
		{"TruncatedJSON", orderedJSON(signed)[:40], cregis.ErrCallbackMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			cb, err := c.ParseCallback(tt.body)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseCallback = %+v, %v; want %v", cb, err, tt.want)
			}
			assertNoSecrets(t, err, signOf(tt.body))
		})
	}
}

// signOf returns the sign field of a JSON body, or "".
func signOf(body []byte) string {
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	s, _ := m["sign"].(string)
	return s
}

func FuzzParseCallback(f *testing.F) {
	f.Add(orderedJSON(signPairs(testKey, walletCallbackPairs())), "payout", int64(1))
	f.Add(orderedJSON(signPairs(testKey, subAddressCallbackPairs())), "", int64(9007199254740993))
	f.Add([]byte(`{"pid":1,"cid":2,"status":"6","sign":"x","n":{"a":[]}}`), "ü\xff", int64(-1))
	f.Add([]byte(`[]`), "<&>", int64(0))
	f.Add([]byte(`{"pid":1e400}`), `"\`, int64(42))
	c, err := cregis.New(cregis.Config{BaseURL: "https://cregis.example", PID: testPID, APIKey: testKey})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, remark string, cid int64) {
		cb, err := c.ParseCallback(body)
		switch {
		case err == nil && cb.PID != testPID:
			t.Fatalf("accepted pid %d, want %d", cb.PID, testPID)
		case err != nil && !errors.Is(err, cregis.ErrCallbackMalformed) &&
			!errors.Is(err, cregis.ErrCallbackSignature) && !errors.Is(err, cregis.ErrCallbackPID):
			t.Fatalf("error %v wraps none of the callback errors", err)
		case err != nil && strings.Contains(err.Error(), testKey):
			t.Fatalf("error contains the key: %v", err)
		}
		if cid <= 0 {
			return
		}
		remark = strings.ToValidUTF8(remark, "?")
		pairs := []kv{
			{"pid", json.Number("1382528827416576")}, {"cid", json.Number(itoa(cid))},
			{"status", json.Number("7")}, {"third_party_id", "tp"}, {"remark", remark},
		}
		cb, err = c.ParseCallback(orderedJSON(signPairs(testKey, pairs)))
		if err != nil || cb.CID != cid || cb.Remark != remark || !utf8.ValidString(cb.Remark) {
			t.Fatalf("round trip of cid %d remark %q = %+v, %v", cid, remark, cb, err)
		}
	})
}
