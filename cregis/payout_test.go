package cregis_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
)

// fixedAttempt makes the client sign with the given nonce and timestamp.
func fixedAttempt(nonce string, ms int64) func(*cregis.Config) {
	return func(c *cregis.Config) {
		c.NonceFunc = func() string { return nonce }
		c.NowFunc = func() time.Time { return time.UnixMilli(ms) }
	}
}

func TestPayoutSendsExactlyTheSignedSeedBody(t *testing.T) {
	s := newStub(t, okData(`{"cid":1382688606330880}`))
	c := newClient(t, s.URL, fixedAttempt("hwlkk6", 1688004243314))
	cid, err := c.Payout(context.Background(), cregis.PayoutRequest{
		WalletID:     11434198045401088,
		Currency:     "144@144",
		FromAddress:  "rhAZ673nG6fSXovPAkw3EcrhKyWwXducoi",
		ToAddress:    "rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc",
		Amount:       "1.1",
		CallbackURL:  "http://xxx.com/payout/callback",
		ThirdPartyID: "c9231e604da54469a735af3f449c880f",
		Remark:       "payout",
		Memo:         "123",
	})
	if err != nil || cid != 1382688606330880 {
		t.Fatalf("Payout = %d, %v; want 1382688606330880, nil", cid, err)
	}
	got := s.last(t)
	if got.Path != cregis.PathPayout {
		t.Errorf("path = %s, want %s", got.Path, cregis.PathPayout)
	}
	want := map[string]any{"sign": "84ef5ab680531a3a59272efb7e10b993"}
	for k, v := range v2PayoutFields {
		want[k] = v
	}
	assertFields(t, got.Fields, want)
}

func TestSubAddressWithdrawalInfoSendsExactlyTheSignedSeedBody(t *testing.T) {
	s := newStub(t, okData(`{"status":0}`))
	c := newClient(t, s.URL, fixedAttempt("sw7kv5", 1687853722065))
	if _, err := c.SubAddressWithdrawalInfo(context.Background(), 1382626461605888); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"sign": "af825ddb839e6796d62977caf18d3394"}
	for k, v := range queryFields {
		want[k] = v
	}
	assertFields(t, s.last(t).Fields, want)
}

// assertFields compares a received body with the wanted fields, key by key.
func assertFields(t *testing.T, got, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("body field %s = %#v, want %#v", k, g, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("body has unexpected field %s = %#v", k, g)
		}
	}
}

func TestEmptyOptionalFieldsAreLeftOutOfBodyAndSignature(t *testing.T) {
	s := newStub(t, okData(`{"cid":1}`))
	c := newClient(t, s.URL)
	tests := []struct {
		desc string
		call func() error
		want []string // every key the body must hold
	}{
		{
			"PayoutWithOnlyRequiredFields",
			func() error { _, err := c.Payout(context.Background(), validPayout()); return err },
			[]string{"amount", "currency", "nonce", "pid", "sign", "third_party_id", "timestamp", "to_address"},
		},
		{
			"SubAddressWithdrawalWithOnlyRequiredFields",
			func() error {
				p := validPayout()
				_, err := c.SubAddressWithdrawal(context.Background(), cregis.SubAddressWithdrawalRequest{
					Currency: p.Currency, ToAddress: p.ToAddress, Amount: p.Amount, ThirdPartyID: p.ThirdPartyID,
				})
				return err
			},
			[]string{"amount", "currency", "nonce", "pid", "sign", "third_party_id", "timestamp", "to_address"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			got := s.last(t)
			var keys []string
			for k := range got.Fields {
				keys = append(keys, k)
			}
			if strings.Join(sorted(keys), ",") != strings.Join(tt.want, ",") {
				t.Errorf("body keys = %v, want %v (raw %s)", sorted(keys), tt.want, got.Body)
			}
			if sign := got.Fields["sign"]; sign != canonicalMD5(t, testKey, got.Fields) {
				t.Errorf("sign = %v, want the recomputed %s", sign, canonicalMD5(t, testKey, got.Fields))
			}
		})
	}
}

func TestSignedFieldsAreExactlyTheSentFields(t *testing.T) {
	s := newStub(t, okData(`{"cid":1}`))
	req := validPayout()
	req.Remark = `<b>"A&B"</b> ünïcödé`
	req.WalletID = 9007199254740993
	if _, err := newClient(t, s.URL).Payout(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got := s.last(t)
	if got.Fields["remark"] != req.Remark {
		t.Errorf("remark = %q, want %q", got.Fields["remark"], req.Remark)
	}
	if got.Fields["wallet_id"] != json.Number("9007199254740993") {
		t.Errorf("wallet_id = %v, want 9007199254740993 exactly", got.Fields["wallet_id"])
	}
	if got.Fields["pid"] != json.Number("1382528827416576") {
		t.Errorf("pid = %v, want 1382528827416576 exactly", got.Fields["pid"])
	}
	if sign := got.Fields["sign"]; sign != canonicalMD5(t, testKey, got.Fields) {
		t.Errorf("sign = %v, want the recomputed %s", sign, canonicalMD5(t, testKey, got.Fields))
	}
}

func TestCreateDecodesCID(t *testing.T) {
	tests := []struct {
		desc string
		data string
		want int64
	}{
		{"CIDAboveTwoToThe53IsExact", `{"cid":9007199254740993}`, 9007199254740993},
		{"MaxInt64IsExact", `{"cid":9223372036854775807}`, 9223372036854775807},
		{"CIDAsStringIsAccepted", `{"cid":"9007199254740993"}`, 9007199254740993},
		{"UnknownFieldsAreIgnored", `{"cid":5,"fee":"0.1","extra":{"a":[1,2]}}`, 5},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := newStub(t, okData(tt.data))
			cid, err := newClient(t, s.URL).Payout(context.Background(), validPayout())
			if err != nil || cid != tt.want {
				t.Errorf("Payout = %d, %v; want %d, nil", cid, err, tt.want)
			}
		})
	}
	t.Run("OldOkFieldIsFine", func(t *testing.T) {
		s := newStub(t, reply(200, `{"code":"00000","msg":"ok","ok":true,"data":{"cid":3}}`))
		cid, err := newClient(t, s.URL).SubAddressWithdrawal(context.Background(), cregis.SubAddressWithdrawalRequest{
			Currency: "195@195", ToAddress: "T", Amount: "1", ThirdPartyID: "x",
		})
		if err != nil || cid != 3 {
			t.Errorf("SubAddressWithdrawal = %d, %v; want 3, nil", cid, err)
		}
	})
}

func TestSuccessWithoutUsableCIDIsOutcomeUnknown(t *testing.T) {
	tests := []struct {
		desc string
		data string
	}{
		{"DataNull", `null`},
		{"DataEmptyObject", `{}`},
		{"CIDZero", `{"cid":0}`},
		{"CIDNegative", `{"cid":-4}`},
		{"CIDFloat", `{"cid":1.5}`},
		{"CIDAboveInt64", `{"cid":9223372036854775808}`},
		{"CIDNotANumber", `{"cid":"abc"}`},
		{"CIDEmptyString", `{"cid":""}`},
		{"DataNotAnObject", `[1]`},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := newStub(t, okData(tt.data))
			cid, err := newClient(t, s.URL).Payout(context.Background(), validPayout())
			var he *cregis.HTTPError
			if !errors.As(err, &he) || he.StatusCode != 200 {
				t.Fatalf("Payout = %d, %v; want *HTTPError with status 200", cid, err)
			}
			if !cregis.OutcomeUnknown(err) || cregis.NotApplied(err) {
				t.Error("want OutcomeUnknown and not NotApplied")
			}
		})
	}
	t.Run("DataMissing", func(t *testing.T) {
		s := newStub(t, reply(200, `{"code":"00000","msg":"ok"}`))
		_, err := newClient(t, s.URL).Payout(context.Background(), validPayout())
		if !cregis.OutcomeUnknown(err) {
			t.Errorf("Payout error = %v, want outcome unknown", err)
		}
	})
}

func TestInvalidRequestIsRefusedBeforeSending(t *testing.T) {
	tests := []struct {
		desc  string
		edit  func(*cregis.PayoutRequest)
		field string
	}{
		{"MissingCurrency", func(r *cregis.PayoutRequest) { r.Currency = "" }, "currency"},
		{"MissingToAddress", func(r *cregis.PayoutRequest) { r.ToAddress = "" }, "to_address"},
		{"MissingAmount", func(r *cregis.PayoutRequest) { r.Amount = "" }, "amount"},
		{"MissingThirdPartyID", func(r *cregis.PayoutRequest) { r.ThirdPartyID = "" }, "third_party_id"},
		{"NegativeWalletID", func(r *cregis.PayoutRequest) { r.WalletID = -1 }, "wallet_id"},
		{"RemarkNotUTF8", func(r *cregis.PayoutRequest) { r.Remark = "bad \xff" }, "remark"},
	}
	s := newStub(t, okData(`{"cid":1}`))
	c := newClient(t, s.URL)
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			req := validPayout()
			tt.edit(&req)
			_, err := c.Payout(context.Background(), req)
			var re *cregis.RequestError
			if !errors.As(err, &re) || re.Field != tt.field {
				t.Fatalf("Payout error = %v, want *RequestError for %s", err, tt.field)
			}
			if !errors.Is(err, cregis.ErrInvalidRequest) || !errors.Is(err, cregis.ErrParameter) {
				t.Error("want errors.Is ErrInvalidRequest and ErrParameter")
			}
			if !cregis.NotApplied(err) || cregis.OutcomeUnknown(err) {
				t.Error("want NotApplied and not OutcomeUnknown")
			}
		})
	}
	t.Run("NothingWasSent", func(t *testing.T) {
		if n := len(s.requests()); n != 0 {
			t.Errorf("server received %d requests, want 0", n)
		}
	})
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	slices.Sort(out)
	return out
}
