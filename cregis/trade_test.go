package cregis_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/payoutd/payoutd/cregis"
)

func intPtr(n int) *int { return &n }

func TestTradePageSendsEveryFilterSigned(t *testing.T) {
	s := newStub(t, okData(`{"total":0,"rows":[],"pageNum":2,"pageSize":50}`))
	c := newClient(t, s.URL)
	req := cregis.TradePageRequest{
		CID: 9007199254740993, TxID: "0xabc", Status: intPtr(0), TradeType: cregis.TradeTypeOut,
		BusinessType: "payout", BlockTimeStart: 1700000000, BlockTimeEnd: 1700000100,
		ChainID: "60", TokenID: "60", PageNum: 2, PageSize: 50,
	}
	if _, err := c.TradePage(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got := s.last(t)
	want := map[string]any{
		"cid": jsonNumber("9007199254740993"), "tx_id": "0xabc", "status": jsonNumber("0"),
		"trade_type": jsonNumber("2"), "business_type": "payout", "blocktime_start": jsonNumber("1700000000"),
		"blocktime_end": jsonNumber("1700000100"), "chain_id": "60", "token_id": "60",
		"page_num": jsonNumber("2"), "page_size": jsonNumber("50"),
	}
	if got.Path != cregis.PathTradePage {
		t.Errorf("path = %s, want %s", got.Path, cregis.PathTradePage)
	}
	for k, v := range want {
		if got.Fields[k] != v {
			t.Errorf("field %s = %v, want %v", k, got.Fields[k], v)
		}
	}
	if sign := got.Fields["sign"]; sign != canonicalMD5(t, testKey, got.Fields) {
		t.Errorf("sign = %v does not match the body", sign)
	}
}

func TestTradePageDefaultsAndOmitsEmptyFilters(t *testing.T) {
	s := newStub(t, okData(`{"total":0,"rows":null}`))
	page, err := newClient(t, s.URL).TradePage(context.Background(), cregis.TradePageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got := s.last(t).Fields
	for _, k := range []string{"cid", "tx_id", "status", "trade_type", "business_type", "blocktime_start", "blocktime_end", "chain_id", "token_id"} {
		if _, ok := got[k]; ok {
			t.Errorf("field %s = %v sent, want it left out", k, got[k])
		}
	}
	if got["page_num"] != jsonNumber("1") || got["page_size"] != jsonNumber("10") {
		t.Errorf("page_num %v page_size %v, want 1 and 10", got["page_num"], got["page_size"])
	}
	if page.PageNum != 1 || page.PageSize != 10 || page.Rows == nil || len(page.Rows) != 0 {
		t.Errorf("page = %+v, want page 1 of size 10 with no rows (rows null)", page)
	}
}

func TestTradePageDecodesTolerantly(t *testing.T) {
	data := `{"total":"3","pageNum":1,"pageSize":10,"extra":{"x":1},"rows":[
		{"pid":1382528827416576,"cid":9007199254740993,"chain_id":"195","token_id":"195","currency":"195@195",
		 "from_address":"TFrom","to_address":"TTo","amount":"1.50","fee":"0.1","status":1,"txid":"tx1",
		 "block_height":34527604,"block_time":1700000000,"trade_type":2,"business_type":"payout",
		 "remark":"r","memo":"m","unknown":[1]},
		{"cid":"9223372036854775807","status":"2","block_time":"1700000001","trade_type":"1","amount":0.10000000000000000001},
		{"status":null,"block_time":"","txid":null}]}`
	s := newStub(t, okData(data))
	page, err := newClient(t, s.URL).TradePage(context.Background(), cregis.TradePageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := &cregis.TradePage{Total: 3, PageNum: 1, PageSize: 10, Rows: []cregis.TradeRecord{
		{PID: 1382528827416576, CID: 9007199254740993, ChainID: "195", TokenID: "195", Currency: "195@195",
			FromAddress: "TFrom", ToAddress: "TTo", Amount: "1.50", Fee: "0.1", Status: 1, TxID: "tx1",
			BlockHeight: "34527604", BlockTime: 1700000000, TradeType: "2", BusinessType: "payout", Remark: "r", Memo: "m"},
		{CID: 9223372036854775807, Status: 2, BlockTime: 1700000001, TradeType: "1", Amount: "0.10000000000000000001"},
		{},
	}}
	if !reflect.DeepEqual(page, want) {
		t.Errorf("page = %+v\nwant %+v", page, want)
	}
}

func TestTradePageWithoutTotalIsHTTPError(t *testing.T) {
	for _, data := range []string{`{}`, `null`, `{"rows":[]}`, `{"total":-1}`, `{"total":1.5}`, `{"total":1,"rows":{}}`, `{"total":1,"rows":[{"cid":1.5}]}`} {
		s := newStub(t, okData(data))
		_, err := newClient(t, s.URL).TradePage(context.Background(), cregis.TradePageRequest{})
		var he *cregis.HTTPError
		if !errors.As(err, &he) {
			t.Errorf("TradePage with data %s error = %v, want *HTTPError", data, err)
		}
	}
}

func TestTradePageRefusesBeforeSending(t *testing.T) {
	tests := []struct {
		desc  string
		req   cregis.TradePageRequest
		field string
	}{
		{"PageSizeAboveMax", cregis.TradePageRequest{PageSize: cregis.MaxTradePageSize + 1}, "page_size"},
		{"NegativePageSize", cregis.TradePageRequest{PageSize: -1}, "page_size"},
		{"NegativePageNum", cregis.TradePageRequest{PageNum: -1}, "page_num"},
		{"NegativeCID", cregis.TradePageRequest{CID: -1}, "cid"},
		{"UnknownStatus", cregis.TradePageRequest{Status: intPtr(3)}, "status"},
		{"NegativeStatus", cregis.TradePageRequest{Status: intPtr(-1)}, "status"},
		{"UnknownTradeType", cregis.TradePageRequest{TradeType: 3}, "trade_type"},
		{"BlockTimeInMilliseconds", cregis.TradePageRequest{BlockTimeStart: 1700000000000}, "blocktime_start"},
		{"NegativeBlockTime", cregis.TradePageRequest{BlockTimeEnd: -1}, "blocktime_end"},
		{"EndBeforeStart", cregis.TradePageRequest{BlockTimeStart: 1700000100, BlockTimeEnd: 1700000000}, "blocktime_end"},
		{"InvalidUTF8", cregis.TradePageRequest{TxID: "\xff"}, "tx_id"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := newStub(t, okData(`{"total":0}`))
			_, err := newClient(t, s.URL).TradePage(context.Background(), tt.req)
			var re *cregis.RequestError
			if !errors.As(err, &re) || re.Field != tt.field || !errors.Is(err, cregis.ErrParameter) {
				t.Fatalf("TradePage error = %v, want a *RequestError naming %s", err, tt.field)
			}
			if n := len(s.requests()); n != 0 {
				t.Errorf("%d requests sent, want none", n)
			}
		})
	}
}

func TestTradePageMaxSizeIsSent(t *testing.T) {
	s := newStub(t, okData(`{"total":0}`))
	if _, err := newClient(t, s.URL).TradePage(context.Background(), cregis.TradePageRequest{PageSize: cregis.MaxTradePageSize}); err != nil {
		t.Fatal(err)
	}
	if got := s.last(t).Fields["page_size"]; got != jsonNumber("100") {
		t.Errorf("page_size = %v, want 100", got)
	}
}

func TestTradePageAPIErrorIsReported(t *testing.T) {
	s := newStub(t, reply(200, `{"code":"A0001","msg":"page_size too large","data":null}`))
	_, err := newClient(t, s.URL).TradePage(context.Background(), cregis.TradePageRequest{})
	if !errors.Is(err, cregis.ErrParameter) || !cregis.NotApplied(err) {
		t.Errorf("TradePage error = %v, want an Axxxx *APIError", err)
	}
}
