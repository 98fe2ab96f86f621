package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// validRequest returns a valid TRX payout.
func validRequest(id string) Request {
	return Request{
		ThirdPartyID: id,
		Currency:     "195@195",
		ToAddress:    "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS",
		Amount:       "1.5",
	}
}

// testDecimals is the decimals table of the validation tests.
var testDecimals = DecimalsTable{
	"195@195":   6,
	"144@144":   6,
	"2000@2000": 9,
	"0@0":       0, // a token without decimals
	"60@60":     2, // pretend: two decimals
}

// failingDecimals fails every lookup, like a CoinCache whose Redis is down.
type failingDecimals struct{}

func (failingDecimals) Decimals(context.Context, string) (int, bool, error) {
	return 0, false, errors.New("redis down")
}

func TestValidate(t *testing.T) {
	cases := []struct {
		desc      string
		edit      func(r *Request)
		wantField string // "" means valid
		wantCode  string
	}{
		{"a minimal wallet payout is valid", func(r *Request) {}, "", ""},
		{"every optional field set is valid", func(r *Request) {
			r.Currency, r.Memo, r.Remark, r.WalletID = "144@144", "123", "payout", 11434198045401088
			r.FromAddress, r.Source = "rhAZ673nG6fSXovPAkw3EcrhKyWwXducoi", SourceWallet
			r.NotifyURL, r.Metadata = "https://backend.example/payouts/hook?x=1", json.RawMessage(`{"order":42}`)
		}, "", ""},

		{"an empty third_party_id is required", func(r *Request) { r.ThirdPartyID = "" }, "third_party_id", CodeRequired},
		{"a third_party_id of 64 characters is valid", func(r *Request) { r.ThirdPartyID = strings.Repeat("a", 64) }, "", ""},
		{"a third_party_id of 65 characters is invalid", func(r *Request) { r.ThirdPartyID = strings.Repeat("a", 65) }, "third_party_id", CodeInvalidThirdPartyID},
		{"a third_party_id with . _ : - is valid", func(r *Request) { r.ThirdPartyID = "order.1_a:b-c" }, "", ""},
		{"a third_party_id with a space is invalid", func(r *Request) { r.ThirdPartyID = "order 1" }, "third_party_id", CodeInvalidThirdPartyID},
		{"a third_party_id with a brace is invalid", func(r *Request) { r.ThirdPartyID = "a{b}" }, "third_party_id", CodeInvalidThirdPartyID},
		{"a third_party_id with a non-ASCII letter is invalid", func(r *Request) { r.ThirdPartyID = "ordé" }, "third_party_id", CodeInvalidThirdPartyID},

		{"an empty currency is required", func(r *Request) { r.Currency = "" }, "currency", CodeRequired},
		{"a currency without @ is invalid", func(r *Request) { r.Currency = "USDT" }, "currency", CodeInvalidCurrency},
		{"a currency with a non-digit chain id is invalid", func(r *Request) { r.Currency = "tron@195" }, "currency", CodeInvalidCurrency},
		{"a currency with an empty chain id is invalid", func(r *Request) { r.Currency = "@195" }, "currency", CodeInvalidCurrency},
		{"a currency with an empty token id is invalid", func(r *Request) { r.Currency = "195@" }, "currency", CodeInvalidCurrency},
		{"a currency with whitespace is invalid", func(r *Request) { r.Currency = "195@19 5" }, "currency", CodeInvalidCurrency},
		{"a currency with two @ is invalid", func(r *Request) { r.Currency = "195@195@1" }, "currency", CodeInvalidCurrency},
		{"an unknown currency is unsupported", func(r *Request) { r.Currency = "195@TXXX" }, "currency", CodeUnsupportedCurrency},

		{"an empty to_address is required", func(r *Request) { r.ToAddress = "" }, "to_address", CodeRequired},
		{"a to_address with whitespace is invalid", func(r *Request) { r.ToAddress = "TXsm KpEu" }, "to_address", CodeInvalidAddress},
		{"a to_address with a newline is invalid", func(r *Request) { r.ToAddress = "TXsm\n" }, "to_address", CodeInvalidAddress},
		{"a to_address of 128 characters is valid", func(r *Request) { r.ToAddress = strings.Repeat("T", 128) }, "", ""},
		{"a to_address of 129 characters is invalid", func(r *Request) { r.ToAddress = strings.Repeat("T", 129) }, "to_address", CodeInvalidAddress},

		{"an empty amount is required", func(r *Request) { r.Amount = "" }, "amount", CodeRequired},
		{"an amount with too many decimals for its token", func(r *Request) { r.Currency, r.Amount = "60@60", "1.001" }, "amount", CodeTooManyDecimals},
		{"an amount whose trailing zeros exceed the decimals", func(r *Request) { r.Currency, r.Amount = "60@60", "1.500" }, "amount", CodeTooManyDecimals},
		{"an amount at exactly the decimals", func(r *Request) { r.Currency, r.Amount = "60@60", "1.50" }, "", ""},
		{"a fraction for a token without decimals", func(r *Request) { r.Currency, r.Amount = "0@0", "1.0" }, "amount", CodeTooManyDecimals},
		{"an integer for a token without decimals", func(r *Request) { r.Currency, r.Amount = "0@0", "7" }, "", ""},
		{"an amount that is a float literal", func(r *Request) { r.Amount = "1e3" }, "amount", CodeInvalidAmount},

		{"a numeric XRP memo is valid", func(r *Request) { r.Currency, r.Memo = "144@144", "4294967294" }, "", ""},
		{"an XRP memo of 0 is valid", func(r *Request) { r.Currency, r.Memo = "144@144", "0" }, "", ""},
		{"an XRP memo of 4294967295 is invalid", func(r *Request) { r.Currency, r.Memo = "144@144", "4294967295" }, "memo", CodeInvalidMemo},
		{"an XRP memo far above uint64 is invalid", func(r *Request) { r.Currency, r.Memo = "144@144", "99999999999999999999999" }, "memo", CodeInvalidMemo},
		{"an XRP memo with letters is invalid", func(r *Request) { r.Currency, r.Memo = "144@144", "12a" }, "memo", CodeInvalidMemo},
		{"a negative XRP memo is invalid", func(r *Request) { r.Currency, r.Memo = "144@144", "-1" }, "memo", CodeInvalidMemo},
		{"an XRP memo with a plus sign is invalid", func(r *Request) { r.Currency, r.Memo = "144@144", "+1" }, "memo", CodeInvalidMemo},
		{"an XRP memo with a leading zero is invalid", func(r *Request) { r.Currency, r.Memo = "144@144", "007" }, "memo", CodeInvalidMemo},
		{"a TON text memo is valid", func(r *Request) { r.Currency, r.Memo = "2000@2000", "deposit for Zoë 42" }, "", ""},
		{"a TON memo of 128 characters is valid", func(r *Request) { r.Currency, r.Memo = "2000@2000", strings.Repeat("é", 128) }, "", ""},
		{"a TON memo of 129 characters is invalid", func(r *Request) { r.Currency, r.Memo = "2000@2000", strings.Repeat("é", 129) }, "memo", CodeInvalidMemo},
		{"a TON memo with a control character is invalid", func(r *Request) { r.Currency, r.Memo = "2000@2000", "a\x00b" }, "memo", CodeInvalidMemo},
		{"a memo on TRX is not supported", func(r *Request) { r.Memo = "123" }, "memo", CodeMemoNotSupported},

		{"a remark of 256 characters is valid", func(r *Request) { r.Remark = strings.Repeat("ü", 256) }, "", ""},
		{"a remark of 257 characters is too long", func(r *Request) { r.Remark = strings.Repeat("ü", 257) }, "remark", CodeRemarkTooLong},
		{"a remark that is not UTF-8 is invalid", func(r *Request) { r.Remark = "a\xffb" }, "remark", CodeInvalidRemark},

		{"a negative wallet_id is invalid", func(r *Request) { r.WalletID = -1 }, "wallet_id", CodeInvalidWalletID},
		{"a wallet_id with source sub_address is invalid", func(r *Request) {
			r.Source, r.FromAddress, r.WalletID = SourceSubAddress, "TFrom", 7
		}, "wallet_id", CodeInvalidWalletID},

		{"a from_address with whitespace is invalid", func(r *Request) { r.FromAddress = "T From" }, "from_address", CodeInvalidAddress},
		{"a from_address of 129 characters is invalid", func(r *Request) { r.FromAddress = strings.Repeat("T", 129) }, "from_address", CodeInvalidAddress},
		{"source sub_address requires from_address", func(r *Request) { r.Source = SourceSubAddress }, "from_address", CodeRequired},
		{"source sub_address with from_address is valid", func(r *Request) { r.Source, r.FromAddress = SourceSubAddress, "TFrom" }, "", ""},

		{"source wallet is valid", func(r *Request) { r.Source = SourceWallet }, "", ""},
		{"an unknown source is invalid", func(r *Request) { r.Source = "hot" }, "source", CodeInvalidSource},

		{"an http notify_url is valid", func(r *Request) { r.NotifyURL = "http://10.0.0.1:8080/hook" }, "", ""},
		{"a relative notify_url is invalid", func(r *Request) { r.NotifyURL = "/hook" }, "notify_url", CodeInvalidNotifyURL},
		{"an ftp notify_url is invalid", func(r *Request) { r.NotifyURL = "ftp://example.com/hook" }, "notify_url", CodeInvalidNotifyURL},
		{"a notify_url without a host is invalid", func(r *Request) { r.NotifyURL = "https:///hook" }, "notify_url", CodeInvalidNotifyURL},
		{"a notify_url with only a port is invalid", func(r *Request) { r.NotifyURL = "https://:443/hook" }, "notify_url", CodeInvalidNotifyURL},
		{"a notify_url with user info is invalid", func(r *Request) { r.NotifyURL = "https://user:pw@example.com/hook" }, "notify_url", CodeInvalidNotifyURL},
		{"a notify_url with a space is invalid", func(r *Request) { r.NotifyURL = "https://example.com/a hook" }, "notify_url", CodeInvalidNotifyURL},
		{"an opaque notify_url is invalid", func(r *Request) { r.NotifyURL = "https:example.com" }, "notify_url", CodeInvalidNotifyURL},

		{"metadata that is an object is valid", func(r *Request) { r.Metadata = json.RawMessage(` {"a":[1,2]} `) }, "", ""},
		{"metadata that is an array is invalid", func(r *Request) { r.Metadata = json.RawMessage(`[1]`) }, "metadata", CodeInvalidMetadata},
		{"metadata that is null is invalid", func(r *Request) { r.Metadata = json.RawMessage(`null`) }, "metadata", CodeInvalidMetadata},
		{"metadata that is a string is invalid", func(r *Request) { r.Metadata = json.RawMessage(`"x"`) }, "metadata", CodeInvalidMetadata},
		{"metadata that is not JSON is invalid", func(r *Request) { r.Metadata = json.RawMessage(`{"a":}`) }, "metadata", CodeInvalidMetadata},
		{"metadata with trailing data is invalid", func(r *Request) { r.Metadata = json.RawMessage(`{} {}`) }, "metadata", CodeInvalidMetadata},
		{"metadata of exactly 4096 bytes is valid", func(r *Request) { r.Metadata = jsonObjectOfSize(4096) }, "", ""},
		{"metadata of 4097 bytes is invalid", func(r *Request) { r.Metadata = jsonObjectOfSize(4097) }, "metadata", CodeInvalidMetadata},

		{"the first offending field is reported", func(r *Request) { r.ThirdPartyID, r.Amount = "", "x" }, "third_party_id", CodeRequired},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			r := validRequest("order-1")
			tc.edit(&r)
			assertValidation(t, r.Validate(context.Background(), testDecimals), tc.wantField, tc.wantCode)
		})
	}
}

// jsonObjectOfSize returns a JSON object of exactly n >= 10 bytes.
func jsonObjectOfSize(n int) json.RawMessage {
	return json.RawMessage(`{"k":"` + strings.Repeat("x", n-len(`{"k":""}`)) + `"}`)
}

func assertValidation(t *testing.T, err error, wantField, wantCode string) {
	t.Helper()
	if wantField == "" {
		if err != nil {
			t.Fatalf("got error %v, want valid", err)
		}
		return
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got error %v, want a *ValidationError for %s/%s", err, wantField, wantCode)
	}
	if ve.Field != wantField || ve.Code != wantCode {
		t.Fatalf("got %s/%s (%q), want %s/%s", ve.Field, ve.Code, ve.Message, wantField, wantCode)
	}
}

func TestValidateReturnsDecimalsErrorsUnwrappedFromValidation(t *testing.T) {
	r := validRequest("order-1")
	err := r.Validate(context.Background(), failingDecimals{})
	var ve *ValidationError
	if err == nil || errors.As(err, &ve) || !strings.Contains(err.Error(), "redis down") {
		t.Fatalf("got %v, want the lookup error, not a *ValidationError", err)
	}
}

func TestValidateAmount(t *testing.T) {
	cases := []struct {
		desc     string
		amount   string
		decimals int
		wantCode string // "" means valid
	}{
		{"an integer", "12", 6, ""},
		{"a fraction", "12.5", 6, ""},
		{"a fraction below one", "0.001", 6, ""},
		{"the smallest unit", "0.000001", 6, ""},
		{"30 integer digits", strings.Repeat("9", 30), 6, ""},
		{"31 integer digits", "1" + strings.Repeat("0", 30), 6, CodeInvalidAmount},
		{"18 decimals for an 18-decimal token", "1." + strings.Repeat("1", 18), 18, ""},
		{"7 decimals for a 6-decimal token", "1.0000001", 6, CodeTooManyDecimals},
		{"trailing zeros beyond the decimals", "1.5000000", 6, CodeTooManyDecimals},
		{"trailing zeros within the decimals", "1.500000", 6, ""},
		{"zero", "0", 6, CodeInvalidAmount},
		{"zero with a fraction", "0.000", 6, CodeInvalidAmount},
		{"a leading zero", "01", 6, CodeInvalidAmount},
		{"a leading zero before a fraction", "00.5", 6, CodeInvalidAmount},
		{"a leading dot", ".5", 6, CodeInvalidAmount},
		{"a trailing dot", "1.", 6, CodeInvalidAmount},
		{"a lone dot", ".", 6, CodeInvalidAmount},
		{"two dots", "1.2.3", 6, CodeInvalidAmount},
		{"a minus sign", "-1", 6, CodeInvalidAmount},
		{"a plus sign", "+1", 6, CodeInvalidAmount},
		{"an exponent", "1e6", 6, CodeInvalidAmount},
		{"a comma as thousands separator", "1,000", 6, CodeInvalidAmount},
		{"a comma as decimal point", "1,5", 6, CodeInvalidAmount},
		{"a leading space", " 1", 6, CodeInvalidAmount},
		{"a trailing space", "1 ", 6, CodeInvalidAmount},
		{"an inner space", "1 000", 6, CodeInvalidAmount},
		{"hex", "0x10", 6, CodeInvalidAmount},
		{"infinity", "Inf", 6, CodeInvalidAmount},
		{"NaN", "NaN", 6, CodeInvalidAmount},
		{"Arabic-Indic digits", "١", 6, CodeInvalidAmount},
		{"underscores", "1_000", 6, CodeInvalidAmount},
		{"empty", "", 6, CodeRequired},
		{"a fraction for negative decimals", "1.5", -1, CodeTooManyDecimals},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			field := "amount"
			if tc.wantCode == "" {
				field = ""
			}
			assertValidation(t, validateAmount(tc.amount, tc.decimals), field, tc.wantCode)
		})
	}
}

// FuzzValidateAmount checks that an accepted amount has the shape the rules
// promise, whatever the input.
func FuzzValidateAmount(f *testing.F) {
	for _, s := range []string{"1", "1.5", "0.000001", "01", "1.", ".5", "1e3", "-1", "0", "1,5", "١", strings.Repeat("9", 31)} {
		f.Add(s, 6)
	}
	f.Fuzz(func(t *testing.T, amount string, decimals int) {
		err := validateAmount(amount, decimals)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != "amount" {
				t.Fatalf("validateAmount(%q, %d) = %v, want a *ValidationError for amount", amount, decimals, err)
			}
			return
		}
		intPart, frac, _ := strings.Cut(amount, ".")
		if !isDigits(intPart) || len(intPart) > MaxAmountIntDigits || len(intPart) > 1 && intPart[0] == '0' {
			t.Fatalf("accepted %q: bad integer part", amount)
		}
		if strings.Contains(amount, ".") && (!isDigits(frac) || len(frac) > decimals) {
			t.Fatalf("accepted %q with %d decimals: bad fraction", amount, decimals)
		}
		if strings.Trim(intPart+frac, "0") == "" {
			t.Fatalf("accepted %q: not above zero", amount)
		}
	})
}

// FuzzRequestJSON decodes a request from arbitrary JSON and validates it:
// neither step may panic, and a valid request survives a JSON round trip.
func FuzzRequestJSON(f *testing.F) {
	f.Add(`{"third_party_id":"a","currency":"195@195","to_address":"T1","amount":"1.5"}`)
	f.Add(`{"third_party_id":"a","currency":"144@144","to_address":"r1","amount":"1","memo":"7","wallet_id":"12"}`)
	f.Add(`{"third_party_id":"a","currency":"2000@2000","to_address":"E","amount":"1","metadata":{"x":[1]},"wallet_id":9007199254740993}`)
	f.Add(`{"wallet_id":1.5,"metadata":null,"notify_url":"http://[::1]:80/"}`)
	f.Fuzz(func(t *testing.T, body string) {
		var r Request
		if json.Unmarshal([]byte(body), &r) != nil {
			return
		}
		if r.Validate(context.Background(), testDecimals) != nil {
			return
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("marshal valid request %+v: %v", r, err)
		}
		var back Request
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		if string(back.canonicalJSON()) != string(r.canonicalJSON()) {
			t.Fatalf("round trip changed the request: got %s, want %s", back.canonicalJSON(), r.canonicalJSON())
		}
	})
}

func TestInt64StringJSON(t *testing.T) {
	cases := []struct {
		desc    string
		in      string
		want    Int64String
		wantErr bool
	}{
		{"a number", `123`, 123, false},
		{"a number above 2^53 decodes exactly", `11434198045401089`, 11434198045401089, false},
		{"the largest int64", `9223372036854775807`, 9223372036854775807, false},
		{"a string of digits", `"11434198045401089"`, 11434198045401089, false},
		{"a negative number decodes (Validate refuses it)", `-5`, -5, false},
		{"null leaves the value", `null`, 42, false},
		{"an overflowing number", `9223372036854775808`, 0, true},
		{"a fraction", `1.5`, 0, true},
		{"a whole fraction", `1.0`, 0, true},
		{"an exponent", `1e3`, 0, true},
		{"an empty string", `""`, 0, true},
		{"a negative string", `"-5"`, 0, true},
		{"a string with spaces", `" 5"`, 0, true},
		{"a boolean", `true`, 0, true},
		{"an object", `{}`, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			var r Request
			r.WalletID = 42
			err := json.Unmarshal([]byte(`{"wallet_id":`+tc.in+`}`), &r)
			if tc.wantErr {
				assertValidation(t, err, "wallet_id", CodeInvalidWalletID)
				return
			}
			if err != nil || r.WalletID != tc.want {
				t.Fatalf("got %d, %v; want %d", r.WalletID, err, tc.want)
			}
		})
	}
}

func TestInt64StringEncodesAsString(t *testing.T) {
	b, err := json.Marshal(Request{WalletID: 11434198045401089})
	if err != nil || !strings.Contains(string(b), `"wallet_id":"11434198045401089"`) {
		t.Fatalf("got %s, %v; want wallet_id as a JSON string", b, err)
	}
	b, _ = json.Marshal(Request{})
	if strings.Contains(string(b), "wallet_id") {
		t.Fatalf("got %s; want wallet_id 0 left out", b)
	}
}

func TestCanonicalJSON(t *testing.T) {
	cases := []struct {
		desc      string
		a, b      Request
		wantEqual bool
	}{
		{"source empty equals wallet",
			Request{ThirdPartyID: "a"}, Request{ThirdPartyID: "a", Source: SourceWallet}, true},
		{"source sub_address differs from wallet",
			Request{ThirdPartyID: "a"}, Request{ThirdPartyID: "a", Source: SourceSubAddress}, false},
		{"metadata key order and whitespace do not matter",
			Request{Metadata: json.RawMessage(`{"a":1,"b":{"c":2}}`)}, Request{Metadata: json.RawMessage(`{ "b": {"c":2}, "a":1 }`)}, true},
		{"metadata values matter",
			Request{Metadata: json.RawMessage(`{"a":1}`)}, Request{Metadata: json.RawMessage(`{"a":2}`)}, false},
		{"no metadata differs from empty metadata",
			Request{}, Request{Metadata: json.RawMessage(`{}`)}, false},
		{"amounts compare as written",
			Request{Amount: "1.5"}, Request{Amount: "1.50"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			got := string(tc.a.canonicalJSON()) == string(tc.b.canonicalJSON())
			if got != tc.wantEqual {
				t.Fatalf("got equal=%v, want %v:\n%s\n%s", got, tc.wantEqual, tc.a.canonicalJSON(), tc.b.canonicalJSON())
			}
		})
	}
}
