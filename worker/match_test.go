package worker

import (
	"testing"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
)

func TestMismatch(t *testing.T) {
	rec := &tasks.Record{Request: tasks.Request{ThirdPartyID: "po-1", Amount: "1.50",
		Currency: "60@0xdac17f958d2ee523a2206206994597c13d831ec7", ToAddress: "0xAbCdEf0123456789aBcDeF0123456789abcdef01"}}
	same := func() *cregis.PayoutInfo {
		return &cregis.PayoutInfo{ThirdPartyID: "po-1", ChainID: "60", TokenID: "0xDAC17F958D2EE523A2206206994597C13D831EC7",
			Amount: "1.5", ToAddress: "0xabcdef0123456789abcdef0123456789abcdef01"}
	}
	cases := []struct {
		desc        string
		edit        func(*cregis.PayoutInfo)
		strict, own bool // mismatch, contradicts: does it differ?
	}{
		{"the same payout, written otherwise (decimal, EVM case)", nil, false, false},
		{"another third_party_id", func(i *cregis.PayoutInfo) { i.ThirdPartyID = "po-2" }, true, true},
		{"another amount", func(i *cregis.PayoutInfo) { i.Amount = "1.51" }, true, true},
		{"another recipient", func(i *cregis.PayoutInfo) { i.ToAddress = "0xabcdef0123456789abcdef0123456789abcdef02" }, true, true},
		{"another token", func(i *cregis.PayoutInfo) { i.TokenID = "60" }, true, true},
		{"another chain", func(i *cregis.PayoutInfo) { i.ChainID = "56" }, true, true},
		{"no third_party_id: unproven, but no contradiction for its own cid", func(i *cregis.PayoutInfo) { i.ThirdPartyID = "" }, true, false},
		{"no amount", func(i *cregis.PayoutInfo) { i.Amount = "" }, true, false},
		{"no currency at all", func(i *cregis.PayoutInfo) { i.ChainID, i.TokenID = "", "" }, true, false},
	}
	for _, c := range cases {
		info := same()
		if c.edit != nil {
			c.edit(info)
		}
		if got := mismatch(rec, info) != ""; got != c.strict {
			t.Errorf("%s: mismatch differs = %v, want %v (%q)", c.desc, got, c.strict, mismatch(rec, info))
		}
		if got := contradicts(rec, info) != ""; got != c.own {
			t.Errorf("%s: contradicts = %v, want %v (%q)", c.desc, got, c.own, contradicts(rec, info))
		}
	}
}
