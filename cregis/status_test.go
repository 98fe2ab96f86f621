package cregis_test

import (
	"context"
	"errors"
	"testing"

	"github.com/payoutd/payoutd/cregis"
)

func TestStatus(t *testing.T) {
	tests := []struct {
		status    cregis.Status
		terminal  bool
		succeeded bool
		name      string
	}{
		{0, false, false, "pending_approval"},
		{1, false, false, "signature_approved"},
		{2, true, false, "signature_rejected"},
		{3, true, false, "approval_cancelled"},
		{4, true, false, "review_rejected"},
		{5, false, false, "pending_signature"},
		{6, true, true, "succeeded"},
		{7, true, false, "failed"},
		{8, false, false, "unknown(8)"},
		{-1, false, false, "unknown(-1)"},
		{99, false, false, "unknown(99)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.status.Terminal(); got != tt.terminal {
				t.Errorf("Status(%d).Terminal() = %v, want %v", int(tt.status), got, tt.terminal)
			}
			if got := tt.status.Succeeded(); got != tt.succeeded {
				t.Errorf("Status(%d).Succeeded() = %v, want %v", int(tt.status), got, tt.succeeded)
			}
			if got := tt.status.String(); got != tt.name {
				t.Errorf("Status(%d).String() = %q, want %q", int(tt.status), got, tt.name)
			}
		})
	}
}

const seedInfoData = `{
	"pid": 1382528827416576,
	"from_address": "rqkVSVbsatX3mXAc64g9wTihrmoLwpiuB",
	"to_address": "rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc",
	"chain_id": "144",
	"token_id": "144",
	"currency": "XRP",
	"amount": "1.1",
	"third_party_id": "1e0fb3a0a9454ad8928d26b592e8b3c7",
	"remark": "payout",
	"memo": "123",
	"status": 0,
	"txid": "6dd05b0972075542219a3fcc116c58feaf9480f1f698cc46c4367ded83955cfd",
	"block_height": "34527604",
	"block_time": 1686814482000
}`

func TestSubAddressWithdrawalInfoDecodesTheSeedResponse(t *testing.T) {
	s := newStub(t, okData(seedInfoData))
	info, err := newClient(t, s.URL).SubAddressWithdrawalInfo(context.Background(), 1382626461605888)
	if err != nil {
		t.Fatal(err)
	}
	want := cregis.PayoutInfo{
		PID: 1382528827416576, ChainID: "144", TokenID: "144", Currency: "XRP",
		FromAddress: "rqkVSVbsatX3mXAc64g9wTihrmoLwpiuB", ToAddress: "rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc",
		Amount: "1.1", Status: cregis.StatusPendingApproval, ThirdPartyID: "1e0fb3a0a9454ad8928d26b592e8b3c7",
		Remark: "payout", Memo: "123", TxID: "6dd05b0972075542219a3fcc116c58feaf9480f1f698cc46c4367ded83955cfd",
		BlockHeight: "34527604", BlockTime: 1686814482000,
	}
	if *info != want {
		t.Errorf("info = %+v\nwant %+v", *info, want)
	}
	if p := s.last(t).Path; p != cregis.PathSubAddressWithdrawalInfo {
		t.Errorf("path = %s, want %s", p, cregis.PathSubAddressWithdrawalInfo)
	}
}

func TestQueryDecodesTolerantly(t *testing.T) {
	tests := []struct {
		desc  string
		data  string
		check func(*cregis.PayoutInfo) bool
	}{
		{"PayoutQueryAddressFillsToAddress", `{"status":6,"address":"TX1"}`,
			func(i *cregis.PayoutInfo) bool { return i.ToAddress == "TX1" && i.Status == cregis.StatusSucceeded }},
		{"StatusAsStringDecodes", `{"status":"7"}`,
			func(i *cregis.PayoutInfo) bool { return i.Status == cregis.StatusFailed }},
		{"UnknownStatusDecodesAsNonTerminal", `{"status":42}`,
			func(i *cregis.PayoutInfo) bool { return i.Status == 42 && !i.Status.Terminal() }},
		{"BlockTimeAsStringDecodes", `{"status":6,"block_time":"1686814482000"}`,
			func(i *cregis.PayoutInfo) bool { return i.BlockTime == 1686814482000 }},
		{"BlockTimeEmptyStringIsZero", `{"status":1,"block_time":""}`,
			func(i *cregis.PayoutInfo) bool { return i.BlockTime == 0 }},
		{"BlockTimeNullIsZero", `{"status":1,"block_time":null,"txid":null}`,
			func(i *cregis.PayoutInfo) bool { return i.BlockTime == 0 && i.TxID == "" }},
		{"BlockHeightAsNumberDecodes", `{"status":6,"block_height":34527604}`,
			func(i *cregis.PayoutInfo) bool { return i.BlockHeight == "34527604" }},
		{"PIDAboveTwoToThe53IsExact", `{"status":0,"pid":9007199254740993}`,
			func(i *cregis.PayoutInfo) bool { return i.PID == 9007199254740993 }},
		{"UnknownFieldsAreIgnored", `{"status":5,"fee":{"x":[1]},"ok":true}`,
			func(i *cregis.PayoutInfo) bool { return i.Status == cregis.StatusPendingSignature }},
		{"AmountAsNumberIsKeptVerbatim", `{"status":0,"amount":0.10000000000000000001}`,
			func(i *cregis.PayoutInfo) bool { return i.Amount == "0.10000000000000000001" }},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := newStub(t, okData(tt.data))
			info, err := newClient(t, s.URL).PayoutQuery(context.Background(), 1)
			if err != nil {
				t.Fatalf("PayoutQuery(%s) error = %v", tt.data, err)
			}
			if !tt.check(info) {
				t.Errorf("PayoutQuery(%s) = %+v, not as wanted", tt.data, *info)
			}
		})
	}
}

func TestQueryWithoutStatusIsHTTPError(t *testing.T) {
	for _, data := range []string{`{}`, `null`, `{"status":null}`, `{"status":true}`, `{"status":"x"}`} {
		s := newStub(t, okData(data))
		_, err := newClient(t, s.URL).PayoutQuery(context.Background(), 1)
		var he *cregis.HTTPError
		if !errors.As(err, &he) {
			t.Errorf("PayoutQuery with data %s error = %v, want *HTTPError", data, err)
		}
	}
}

func TestQuerySendsCIDExactly(t *testing.T) {
	s := newStub(t, okData(`{"status":0}`))
	if _, err := newClient(t, s.URL).PayoutQuery(context.Background(), 9007199254740993); err != nil {
		t.Fatal(err)
	}
	got := s.last(t)
	if got.Path != cregis.PathPayoutQuery || got.Fields["cid"] != jsonNumber("9007199254740993") {
		t.Errorf("request %s cid = %v, want %s cid 9007199254740993", got.Path, got.Fields["cid"], cregis.PathPayoutQuery)
	}
}

func TestQueryRefusesNonPositiveCID(t *testing.T) {
	c := newClient(t, "https://cregis.example")
	for _, cid := range []int64{0, -1} {
		if _, err := c.SubAddressWithdrawalInfo(context.Background(), cid); !errors.Is(err, cregis.ErrInvalidRequest) {
			t.Errorf("SubAddressWithdrawalInfo(%d) error = %v, want ErrInvalidRequest", cid, err)
		}
	}
}
