package cregis

import (
	"context"
	"strconv"
)

// PathTradePage is the transaction-record endpoint.
const PathTradePage = "/api/v1/trade/page"

// Trade types of TradePageRequest.TradeType (on a TradeRecord they arrive as
// the strings "1" and "2").
const (
	TradeTypeIn  = 1
	TradeTypeOut = 2
)

// Paging of TradePage.
const (
	MaxTradePageSize     = 100
	DefaultTradePageSize = 10
)

// maxUnixSeconds is the largest 10-digit Unix time: a larger block time is
// almost surely milliseconds passed by mistake.
const maxUnixSeconds = 9999999999

// TradePageRequest filters POST /api/v1/trade/page. Every filter is
// optional; its zero value means "any". There is no filter by address,
// amount or third_party_id.
type TradePageRequest struct {
	CID            int64  // 0: any; otherwise positive
	TxID           string // wire name tx_id
	Status         *int   // the chain transaction's status: 0 pending, 1 success, 2 fail; nil: any
	TradeType      int    // TradeTypeIn or TradeTypeOut; 0: any
	BusinessType   string
	BlockTimeStart int64 // Unix SECONDS (10 digits), inclusive; 0: none
	BlockTimeEnd   int64 // Unix SECONDS (10 digits), inclusive; 0: none
	ChainID        string
	TokenID        string
	PageNum        int // 1-based; 0 means 1
	PageSize       int // 0 means DefaultTradePageSize; at most MaxTradePageSize
}

// TradePage is one page of transaction records.
type TradePage struct {
	Total    int64 // every record matching the filters, across all pages
	PageNum  int
	PageSize int
	Rows     []TradeRecord
}

// TradeRecord is one on-chain transaction of the project. It carries no
// third_party_id: confirm a candidate cid with a status query.
type TradeRecord struct {
	PID, CID     int64
	ChainID      string
	TokenID      string
	Currency     string
	FromAddress  string
	ToAddress    string
	Amount       string
	Fee          string
	Status       int // the chain transaction's status: 0 pending, 1 success, 2 fail
	TxID         string
	BlockHeight  string
	BlockTime    int64  // Unix seconds
	TradeType    string // "1" in, "2" out
	BusinessType string
	Remark       string
	Memo         string
}

// TradePage queries POST /api/v1/trade/page. The client refuses to send
// (a *RequestError, never sent) a negative cid, page number or block time, a
// status other than 0..2, a trade type other than 0..2, a block time above 10
// digits (milliseconds, not seconds), an end before the start, and a page
// size above MaxTradePageSize. page_num and page_size are always sent, with
// the defaults applied. A "00000" answer without total is an *HTTPError;
// rows may be null. Missing pageNum or pageSize read as the ones sent.
func (c *Client) TradePage(ctx context.Context, req TradePageRequest) (*TradePage, error) {
	req = req.withDefaults()
	r := newRequest(PathTradePage)
	r.optionalID("cid", req.CID)
	r.optional("tx_id", req.TxID)
	r.tradeFilters(req)
	r.blockTimes(req.BlockTimeStart, req.BlockTimeEnd)
	r.optional("chain_id", req.ChainID)
	r.optional("token_id", req.TokenID)
	r.paging(req.PageNum, req.PageSize)
	var d tradePageData
	if err := c.call(ctx, r, &d); err != nil {
		return nil, err
	}
	return d.page(req), nil
}

func (req TradePageRequest) withDefaults() TradePageRequest {
	if req.PageNum == 0 {
		req.PageNum = 1
	}
	if req.PageSize == 0 {
		req.PageSize = DefaultTradePageSize
	}
	return req
}

// tradeFilters adds status, trade_type and business_type.
func (r *request) tradeFilters(req TradePageRequest) {
	if req.Status != nil {
		r.small("status", *req.Status, 0, 2)
	}
	if req.TradeType != 0 {
		r.small("trade_type", req.TradeType, TradeTypeIn, TradeTypeOut)
	}
	r.optional("business_type", req.BusinessType)
}

// blockTimes adds the inclusive block-time range, in Unix seconds.
func (r *request) blockTimes(start, end int64) {
	r.unixSeconds("blocktime_start", start)
	r.unixSeconds("blocktime_end", end)
	if start != 0 && end != 0 && end < start {
		r.fail("blocktime_end", "must not be before blocktime_start")
	}
}

// paging adds page_num and page_size, defaults already applied.
func (r *request) paging(num, size int) {
	if num < 1 {
		r.fail("page_num", "must be positive")
	}
	r.small("page_size", size, 1, MaxTradePageSize)
	r.fields["page_num"] = int64(num)
}

// small adds an integer field that must lie in [lo, hi].
func (r *request) small(key string, val, lo, hi int) {
	if val < lo || val > hi {
		r.fail(key, "must be from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
		return
	}
	r.fields[key] = int64(val)
}

// unixSeconds adds a Unix time in seconds unless it is 0.
func (r *request) unixSeconds(key string, val int64) {
	switch {
	case val == 0:
	case val < 0:
		r.fail(key, "must not be negative")
	case val > maxUnixSeconds:
		r.fail(key, "must be Unix seconds (at most 10 digits), not milliseconds")
	default:
		r.fields[key] = val
	}
}

// tradePageData is the data of /api/v1/trade/page, decoded tolerantly.
type tradePageData struct {
	Total    wireInt        `json:"total"`
	PageNum  wireInt        `json:"pageNum"`
	PageSize wireInt        `json:"pageSize"`
	Rows     []tradeRowData `json:"rows"`
}

func (d *tradePageData) complete() bool { return d.Total.Set && d.Total.Val >= 0 }

func (d *tradePageData) page(req TradePageRequest) *TradePage {
	p := &TradePage{Total: d.Total.Val, PageNum: req.PageNum, PageSize: req.PageSize}
	if d.PageNum.Set {
		p.PageNum = int(d.PageNum.Val)
	}
	if d.PageSize.Set {
		p.PageSize = int(d.PageSize.Val)
	}
	p.Rows = make([]TradeRecord, 0, len(d.Rows))
	for i := range d.Rows {
		p.Rows = append(p.Rows, d.Rows[i].record())
	}
	return p
}

// tradeRowData is one row: integers exactly from numbers or strings,
// strings from strings or numbers.
type tradeRowData struct {
	PID          wireInt    `json:"pid"`
	CID          wireInt    `json:"cid"`
	ChainID      wireString `json:"chain_id"`
	TokenID      wireString `json:"token_id"`
	Currency     wireString `json:"currency"`
	FromAddress  wireString `json:"from_address"`
	ToAddress    wireString `json:"to_address"`
	Amount       wireString `json:"amount"`
	Fee          wireString `json:"fee"`
	Status       wireInt    `json:"status"`
	TxID         wireString `json:"txid"`
	BlockHeight  wireString `json:"block_height"`
	BlockTime    wireInt    `json:"block_time"`
	TradeType    wireString `json:"trade_type"`
	BusinessType wireString `json:"business_type"`
	Remark       wireString `json:"remark"`
	Memo         wireString `json:"memo"`
}

func (d *tradeRowData) record() TradeRecord {
	return TradeRecord{
		PID:          d.PID.Val,
		CID:          d.CID.Val,
		ChainID:      string(d.ChainID),
		TokenID:      string(d.TokenID),
		Currency:     string(d.Currency),
		FromAddress:  string(d.FromAddress),
		ToAddress:    string(d.ToAddress),
		Amount:       string(d.Amount),
		Fee:          string(d.Fee),
		Status:       int(d.Status.Val),
		TxID:         string(d.TxID),
		BlockHeight:  string(d.BlockHeight),
		BlockTime:    d.BlockTime.Val,
		TradeType:    string(d.TradeType),
		BusinessType: string(d.BusinessType),
		Remark:       string(d.Remark),
		Memo:         string(d.Memo),
	}
}
