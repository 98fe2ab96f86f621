package worker

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
)

// Trade scan bounds.
const (
	// tradeScanLead starts a payout's block-time window this long before the
	// record was created, for clocks that disagree.
	tradeScanLead = 10 * time.Minute
	// maxTradeScanPayouts bounds the unconfirmed payouts one scan looks for.
	maxTradeScanPayouts = 1000
	// maxTradeScanPages bounds the pages one scan reads per token.
	maxTradeScanPages = 20
	// tradeScanTimeout bounds one scan.
	tradeScanTimeout = 5 * time.Minute
)

// HandleTradeScan handles tasks.TypeTradeScan: it looks for the cid of every
// unconfirmed payout (Cregis has its third_party_id, E0009, but payoutd never
// learned its cid) in Cregis's transaction records.
//
// For each token with unconfirmed payouts it pages POST /api/v1/trade/page
// (trade_type 2, the token's chain_id and token_id, block times from
// tradeScanLead before the oldest such payout was created until now) and
// takes every row whose recipient and amount match a payout, and whose cid
// is neither pending nor contradicted on it, as a hint: a confirm task
// queries that cid and binds it only when Cregis answers with the payout's
// own third_party_id (HandleConfirm). Rows carry no third_party_id, so two
// payouts of one amount to one address both get the row's cid as a hint,
// and the query tells which one it is. Each page takes one call from the
// fleet-wide rate limit. No call is made while nothing is unconfirmed. Only
// one scan runs at a time across the fleet.
//
// Blind spots: a payout appears there only once it reached the chain, so
// nothing is found while it waits in status 0 or 5, nor for a payout that
// ended 2, 3 or 4 (the safety poll cannot help either: without a cid there
// is nothing to poll; the verification request is what covers those).
func (p *Pipeline) HandleTradeScan(ctx context.Context, _ *asynq.Task) error {
	unlock, err := p.lock(ctx, "lock:trade_scan", tradeScanTimeout+time.Minute)
	if errors.Is(err, errBusy) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unlock()
	byToken, err := p.unconfirmedByToken(ctx)
	if err != nil || len(byToken) == 0 {
		return err
	}
	found := 0
	for token, recs := range byToken {
		n, err := p.scanToken(ctx, token, recs)
		found += n
		if err != nil {
			p.log.Warn().Err(err).Str("currency", token).Msg("trade scan stopped for a token")
		}
	}
	p.log.Info().Int("tokens", len(byToken)).Int("candidates", found).Msg("trade scan done")
	return nil
}

// unconfirmedByToken returns the unconfirmed records grouped by currency.
func (p *Pipeline) unconfirmedByToken(ctx context.Context) (map[string][]*tasks.Record, error) {
	out := map[string][]*tasks.Record{}
	cursor, n := "", 0
	for n < maxTradeScanPayouts {
		recs, next, err := p.cfg.Store.List(ctx, tasks.ListOptions{State: tasks.StateUnconfirmed, Limit: 500, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			out[r.Currency] = append(out[r.Currency], r)
		}
		n += len(recs)
		if next == "" {
			break
		}
		cursor = next
	}
	return out, nil
}

// scanToken pages the outgoing trade records of one currency and records
// the candidates it finds. It returns how many.
func (p *Pipeline) scanToken(ctx context.Context, currency string, recs []*tasks.Record) (int, error) {
	chainID, tokenID, ok := strings.Cut(currency, "@")
	if !ok {
		return 0, nil // a token name, not chain_id@token_id: no filter to page by
	}
	req := cregis.TradePageRequest{TradeType: cregis.TradeTypeOut, ChainID: chainID, TokenID: tokenID,
		BlockTimeStart: oldest(recs).Add(-tradeScanLead).Unix(), BlockTimeEnd: p.now().Unix(),
		PageSize: cregis.MaxTradePageSize}
	found := 0
	for req.PageNum = 1; req.PageNum <= maxTradeScanPages; req.PageNum++ {
		page, err := p.tradePage(ctx, req)
		if err != nil {
			return found, err
		}
		found += p.candidates(ctx, page.Rows, recs)
		if len(page.Rows) < req.PageSize || int64(req.PageNum*req.PageSize) >= page.Total {
			break
		}
	}
	return found, nil
}

func (p *Pipeline) tradePage(ctx context.Context, req cregis.TradePageRequest) (*cregis.TradePage, error) {
	if err := p.limiter.wait(ctx); err != nil {
		return nil, err
	}
	start := time.Now()
	page, err := p.cfg.Cregis.TradePage(ctx, req)
	p.observeCall(cregis.PathTradePage, err, time.Since(start))
	return page, err
}

// candidates records, on each record, the rows that may be its payout.
func (p *Pipeline) candidates(ctx context.Context, rows []cregis.TradeRecord, recs []*tasks.Record) int {
	n := 0
	for _, row := range rows {
		for _, rec := range recs {
			if !tradeCandidate(rec, row) {
				continue
			}
			cid := strconv.FormatInt(row.CID, 10)
			h := tasks.Hint{CID: cid, Source: tasks.HintTradeScan, At: p.now().UTC()}
			if _, err := p.recordHint(ctx, rec.ThirdPartyID, h, 0); err != nil {
				p.recLog(ctx, rec).Debug().Err(err).Str("hint_cid", cid).Msg("trade scan candidate not recorded")
				continue
			}
			n++
		}
	}
	return n
}

// tradeCandidate reports whether row may be rec's payout: the same
// recipient and amount, on chain after the record was created (less the
// lead), and a cid not already pending or contradicted on it.
func tradeCandidate(rec *tasks.Record, row cregis.TradeRecord) bool {
	cid := strconv.FormatInt(row.CID, 10)
	return row.CID > 0 && cregis.SameAddress(row.ToAddress, rec.ToAddress) && cregis.SameAmount(row.Amount, rec.Amount) &&
		row.BlockTime >= rec.CreatedAt.Add(-tradeScanLead).Unix() &&
		rec.PendingHint(cid) == nil && !rec.Contradicted(cid)
}

// oldest returns the earliest CreatedAt of recs.
func oldest(recs []*tasks.Record) time.Time {
	t := recs[0].CreatedAt
	for _, r := range recs[1:] {
		if r.CreatedAt.Before(t) {
			t = r.CreatedAt
		}
	}
	return t
}
