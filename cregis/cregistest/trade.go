package cregistest

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/payoutd/payoutd/cregis"
)

// Business types of the fake's trade records (an inference: the values are
// not documented).
const (
	businessPayout     = "payout"                 // /api/v2/payout and CreateForeign
	businessSubAddress = "sub_address_withdrawal" // /api/v1/sub_address_withdrawal
)

// maxUnixSeconds is the largest 10-digit Unix time.
const maxUnixSeconds = 9999999999

// tradeFilter is a /api/v1/trade/page request.
type tradeFilter struct {
	cid               int64
	txID, business    string
	chainID, tokenID  string
	status, tradeType int64 // -1: any
	start, end        int64 // -1: none
	pageNum, pageSize int64
}

// handleTradePage lists the payouts that reached the chain (status 1, 6 or
// 7) as transaction records, ordered by block_time then cid.
func (s *Server) handleTradePage(c *call) (any, *apiError) {
	f, e := parseTradeFilter(c.fields)
	if e != nil {
		return nil, e
	}
	payouts, jobs := s.ledger.observeAll(s.now())
	s.dispatch(jobs)
	var rows []map[string]any
	for _, p := range payouts {
		if onChain(p.Status) && f.matches(p) {
			rows = append(rows, p.tradeRow(s.PID))
		}
	}
	slices.SortStableFunc(rows, func(a, b map[string]any) int {
		return cmp.Or(cmp.Compare(a["block_time"].(int64), b["block_time"].(int64)),
			cmp.Compare(a["cid"].(int64), b["cid"].(int64)))
	})
	return map[string]any{"total": len(rows), "rows": f.page(rows), "pageNum": f.pageNum, "pageSize": f.pageSize}, nil
}

// parseTradeFilter reads the filters: integers as JSON integers, status
// 0..2, trade_type 1..2, block times 0..9999999999 (seconds), page_num at
// least 1, page_size 1..100; anything else is A0001 naming the field.
func parseTradeFilter(fields map[string]any) (tradeFilter, *apiError) {
	r := fieldReader{fields: fields}
	f := tradeFilter{
		cid:       r.integer("cid", false),
		txID:      r.str("tx_id", false),
		business:  r.str("business_type", false),
		chainID:   r.str("chain_id", false),
		tokenID:   r.str("token_id", false),
		status:    r.bounded("status", 0, 2, -1),
		tradeType: r.bounded("trade_type", cregis.TradeTypeIn, cregis.TradeTypeOut, -1),
		start:     r.bounded("blocktime_start", 0, maxUnixSeconds, -1),
		end:       r.bounded("blocktime_end", 0, maxUnixSeconds, -1),
		pageNum:   r.bounded("page_num", 1, 1<<31, 1),
		pageSize:  r.bounded("page_size", 1, cregis.MaxTradePageSize, cregis.DefaultTradePageSize),
	}
	return f, r.err
}

// bounded reads an optional JSON integer in [lo, hi], def when absent.
func (r *fieldReader) bounded(name string, lo, hi, def int64) int64 {
	v, ok := r.present(name, false)
	if !ok {
		return def
	}
	n, isNum := v.(json.Number)
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if !isNum || err != nil || i < lo || i > hi {
		r.fail(paramError("%s must be a JSON integer from %d to %d", name, lo, hi))
		return def
	}
	return i
}

// matches reports whether a payout on chain passes every filter.
func (f tradeFilter) matches(p Payout) bool {
	secs := p.BlockTime / 1000
	return (f.cid == 0 || f.cid == p.CID) &&
		(f.txID == "" || f.txID == p.TxID) &&
		(f.business == "" || f.business == p.businessType()) &&
		(f.chainID == "" || f.chainID == p.ChainID) &&
		(f.tokenID == "" || f.tokenID == p.TokenID) &&
		(f.status < 0 || f.status == txStatus(p.Status)) &&
		(f.tradeType < 0 || f.tradeType == cregis.TradeTypeOut) &&
		(f.start < 0 || secs >= f.start) &&
		(f.end < 0 || secs <= f.end)
}

// page returns the rows of the requested page, never nil.
func (f tradeFilter) page(rows []map[string]any) []map[string]any {
	from := min(int64(len(rows)), (f.pageNum-1)*f.pageSize)
	to := min(int64(len(rows)), from+f.pageSize)
	return append([]map[string]any{}, rows[from:to]...)
}

// txStatus is the chain transaction's status of a payout on chain: 0
// pending (payout status 1), 1 success (6), 2 fail (7).
func txStatus(s cregis.Status) int64 {
	switch s {
	case cregis.StatusSucceeded:
		return 1
	case cregis.StatusFailed:
		return 2
	}
	return 0
}

func (p Payout) businessType() string {
	if p.Path == cregis.PathSubAddressWithdrawal {
		return businessSubAddress
	}
	return businessPayout
}

// tradeRow is p as a transaction record: the status data's currency, txid
// and block_height, and its block_time in seconds (floored).
func (p Payout) tradeRow(pid int64) map[string]any {
	return map[string]any{
		"pid": pid, "cid": p.CID, "chain_id": p.ChainID, "token_id": p.TokenID, "currency": p.CoinName,
		"from_address": p.FromAddress, "to_address": p.ToAddress, "amount": p.Amount, "fee": "0",
		"status": txStatus(p.Status), "txid": p.TxID, "block_height": p.BlockHeight,
		"block_time": p.BlockTime / 1000, "trade_type": strconv.Itoa(cregis.TradeTypeOut),
		"business_type": p.businessType(), "remark": p.Remark, "memo": p.Memo,
	}
}
