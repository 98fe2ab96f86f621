package cregistest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
)

func intp(n int) *int { return &n }

// tradeLedger creates payouts heading for each fate and moves the clock so
// that some are on chain: it returns the cids by third_party_id.
func tradeLedger(t *testing.T) (*cregistest.Server, *cregistest.Clock, map[string]int64) {
	s, clock := newClocked(t)
	c := s.Client()
	cids := map[string]int64{}
	for _, tc := range []struct {
		id   string
		fate cregis.Status
		cur  string
	}{
		{"ok6", 6, "195@195"}, {"fail7", 7, "195@195"}, {"hold1", 1, "60@60"},
		{"sig2", 2, "195@195"}, {"cancel3", 3, "195@195"}, {"reject4", 4, "195@195"},
		{"hold0", 0, "195@195"}, {"hold5", 5, "195@195"},
	} {
		s.SetFate(tc.id, tc.fate)
		to := "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS"
		if tc.cur == "60@60" {
			to = "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01"
		}
		cid, err := c.Payout(context.Background(), cregis.PayoutRequest{Currency: tc.cur, ToAddress: to,
			Amount: "1.5", ThirdPartyID: tc.id, Remark: "r-" + tc.id})
		if err != nil {
			t.Fatal(err)
		}
		cids[tc.id] = cid
		clock.Advance(1500 * time.Millisecond) // block times fall in different seconds
	}
	clock.Advance(10 * dwell)
	return s, clock, cids
}

func TestTradePageListsOnlyPayoutsThatReachedTheChain(t *testing.T) {
	s, _, cids := tradeLedger(t)
	page, err := s.Client().TradePage(context.Background(), cregis.TradePageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantTx := map[int64]int{cids["ok6"]: 1, cids["fail7"]: 2, cids["hold1"]: 0}
	if page.Total != 3 || len(page.Rows) != 3 || page.PageNum != 1 || page.PageSize != 10 {
		t.Fatalf("page = %+v, want the 3 payouts in 1, 6 and 7 on page 1 of size 10", page)
	}
	var prev cregis.TradeRecord
	for i, r := range page.Rows {
		want, ok := wantTx[r.CID]
		if !ok || r.Status != want {
			t.Errorf("row cid %d tx status %d, want one of %v", r.CID, r.Status, wantTx)
		}
		if i > 0 && (r.BlockTime < prev.BlockTime || r.BlockTime == prev.BlockTime && r.CID < prev.CID) {
			t.Errorf("row %d (%d, %d) after (%d, %d): want block_time then cid ascending", i, r.BlockTime, r.CID, prev.BlockTime, prev.CID)
		}
		prev = r
		info, err := s.Client().PayoutQuery(context.Background(), r.CID)
		if err != nil {
			t.Fatal(err)
		}
		if r.TxID != info.TxID || r.BlockHeight != info.BlockHeight || r.BlockTime != info.BlockTime/1000 ||
			r.BlockTime < 1e9 || r.BlockTime > 9999999999 {
			t.Errorf("row %+v disagrees with the status data %+v (block_time must be its seconds)", r, info)
		}
		if r.Currency != info.Currency || r.ToAddress != info.ToAddress || r.Amount != info.Amount ||
			r.PID != s.PID || r.TradeType != "2" || r.BusinessType != "payout" || r.Remark != info.Remark {
			t.Errorf("row %+v, want the payout's currency, recipient, amount, pid, trade type 2, business payout", r)
		}
	}
}

func TestTradePageFilters(t *testing.T) {
	s, _, cids := tradeLedger(t)
	c := s.Client()
	ok6, _ := s.Payout(cids["ok6"])
	secs := ok6.BlockTime / 1000
	tests := []struct {
		desc string
		req  cregis.TradePageRequest
		want []int64
	}{
		{"ByCID", cregis.TradePageRequest{CID: cids["fail7"]}, []int64{cids["fail7"]}},
		{"ByCIDNotOnChain", cregis.TradePageRequest{CID: cids["hold0"]}, nil},
		{"ByTxID", cregis.TradePageRequest{TxID: ok6.TxID}, []int64{cids["ok6"]}},
		{"ByTxStatusPending", cregis.TradePageRequest{Status: intp(0)}, []int64{cids["hold1"]}},
		{"ByTxStatusSuccess", cregis.TradePageRequest{Status: intp(1)}, []int64{cids["ok6"]}},
		{"ByTxStatusFail", cregis.TradePageRequest{Status: intp(2)}, []int64{cids["fail7"]}},
		{"TradeTypeOut", cregis.TradePageRequest{TradeType: cregis.TradeTypeOut}, []int64{cids["ok6"], cids["fail7"], cids["hold1"]}},
		{"TradeTypeInIsEmpty", cregis.TradePageRequest{TradeType: cregis.TradeTypeIn}, nil},
		{"ByBusinessType", cregis.TradePageRequest{BusinessType: "sub_address_withdrawal"}, nil},
		{"ByChain", cregis.TradePageRequest{ChainID: "60"}, []int64{cids["hold1"]}},
		{"ByToken", cregis.TradePageRequest{TokenID: "195"}, []int64{cids["ok6"], cids["fail7"]}},
		{"BlockTimeInclusiveOnBothEnds", cregis.TradePageRequest{BlockTimeStart: secs, BlockTimeEnd: secs}, []int64{cids["ok6"]}},
		{"BlockTimeAfter", cregis.TradePageRequest{BlockTimeStart: secs + 1}, []int64{cids["fail7"], cids["hold1"]}},
		{"BlockTimeBefore", cregis.TradePageRequest{BlockTimeEnd: secs - 1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			page, err := c.TradePage(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, r := range page.Rows {
				got = append(got, r.CID)
			}
			if page.Total != int64(len(tt.want)) || !sameInts(got, tt.want) {
				t.Errorf("cids %v (total %d), want %v", got, page.Total, tt.want)
			}
		})
	}
}

func sameInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTradePagePages(t *testing.T) {
	s, _, cids := tradeLedger(t)
	c := s.Client()
	all := []int64{cids["ok6"], cids["fail7"], cids["hold1"]}
	var got []int64
	for n := 1; n <= 3; n++ {
		page, err := c.TradePage(context.Background(), cregis.TradePageRequest{PageNum: n, PageSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 3 || page.PageNum != n || page.PageSize != 2 {
			t.Errorf("page %d = %+v, want total 3, page %d of size 2", n, page, n)
		}
		for _, r := range page.Rows {
			got = append(got, r.CID)
		}
	}
	if !sameInts(got, all) {
		t.Errorf("pages gave %v, want %v once each", got, all)
	}
	if n := s.Calls(cregis.PathTradePage); n != 3 {
		t.Errorf("Calls(%s) = %d, want 3", cregis.PathTradePage, n)
	}
}

func TestTradePageRefusesAPageSizeAboveTheMaximum(t *testing.T) {
	s := cregistest.NewServer(t)
	r := call(t, s, cregis.PathTradePage, map[string]any{"page_size": cregis.MaxTradePageSize + 1})
	if r.Code != "A0001" || !hasField(r.Msg, "page_size") {
		t.Errorf("page_size 101: %s %q, want A0001 naming page_size", r.Code, r.Msg)
	}
	for field, v := range map[string]any{"status": 3, "trade_type": 0, "blocktime_start": int64(1700000000000), "page_num": 0, "cid": "1"} {
		if r := call(t, s, cregis.PathTradePage, map[string]any{field: v}); r.Code != "A0001" || !hasField(r.Msg, field) {
			t.Errorf("%s %v: %s %q, want A0001 naming it", field, v, r.Code, r.Msg)
		}
	}
	if r := call(t, s, cregis.PathTradePage, map[string]any{"page_size": cregis.MaxTradePageSize}); r.Code != cregis.CodeOK {
		t.Errorf("page_size 100: %s %q, want 00000", r.Code, r.Msg)
	}
	bad := signed(s.PID, s.APIKey, map[string]any{})
	bad["page_num"] = 2 // after signing
	if r := postJSON(t, s.URL+cregis.PathTradePage, bad); r.Code != "B0001" {
		t.Errorf("tampered request: %s, want B0001", r.Code)
	}
}

func TestNothingIsListedBeforeStatusOne(t *testing.T) {
	s, clock := newClocked(t)
	cid := create(t, s, cregis.PathSubAddressWithdrawal, subAddressFields("early"))
	for _, want := range []cregis.Status{0, 5, 1} {
		page, err := s.Client().TradePage(context.Background(), cregis.TradePageRequest{CID: cid})
		if err != nil {
			t.Fatal(err)
		}
		if listed := page.Total == 1; listed != (want == 1) {
			t.Fatalf("at status %v total = %d, want listed only once on chain", want, page.Total)
		}
		if want == 1 && page.Rows[0].BusinessType != "sub_address_withdrawal" {
			t.Errorf("business_type %q, want sub_address_withdrawal", page.Rows[0].BusinessType)
		}
		clock.Advance(dwell)
	}
}

func TestCreateForeignIsAPayoutLikeAnyOther(t *testing.T) {
	s := cregistest.NewServer(t)
	req := cregis.PayoutRequest{Currency: "195@195", ToAddress: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", Amount: "2", ThirdPartyID: "taken"}
	cid := create(t, s, cregis.PathPayout, payoutFields("taken"))
	if _, err := s.CreateForeign(req); !errors.Is(err, cregis.ErrDuplicateThirdPartyID) {
		t.Errorf("CreateForeign with a taken id = %v, want E0009", err)
	}
	req.ThirdPartyID = "foreign-1"
	fcid, err := s.CreateForeign(req)
	if err != nil || fcid <= cid {
		t.Fatalf("CreateForeign = %d, %v; want a later cid", fcid, err)
	}
	if _, err := s.Client().Payout(context.Background(), req); !errors.Is(err, cregis.ErrDuplicateThirdPartyID) {
		t.Errorf("Payout with the foreign id = %v, want E0009", err)
	}
	for _, bad := range []struct {
		edit func(*cregis.PayoutRequest)
		want error
	}{
		{func(r *cregis.PayoutRequest) { r.Amount = "0" }, cregis.ErrAmountNotPositive},
		{func(r *cregis.PayoutRequest) { r.Currency = "1@1" }, cregis.ErrUnsupportedCoin},
		{func(r *cregis.PayoutRequest) { r.ToAddress = "" }, cregis.ErrParameter},
	} {
		r := req
		r.ThirdPartyID = "foreign-bad"
		bad.edit(&r)
		if _, err := s.CreateForeign(r); !errors.Is(err, bad.want) {
			t.Errorf("CreateForeign(%+v) = %v, want %v", r, err, bad.want)
		}
	}
	ps := s.Payouts()
	if len(ps) != 2 || !ps[1].Foreign || ps[1].CID != fcid || ps[0].Foreign {
		t.Errorf("Payouts = %+v, want the API payout and the foreign one", ps)
	}
	if s.Creates("foreign-1") != 0 || s.Duplicates("taken") != 0 {
		t.Errorf("Creates(foreign) %d, Duplicates(taken) %d; want both 0 (they count API calls)", s.Creates("foreign-1"), s.Duplicates("taken"))
	}
	waitFor(t, "the foreign payout to succeed", func() bool { p, _ := s.Payout(fcid); return p.Status == cregis.StatusSucceeded })
}
