package cregis

import (
	"context"
	"strconv"
)

// Status is the status of a payout at Cregis. Values outside the named ones
// decode without error and are treated as non-terminal.
type Status int

// The payout statuses Cregis documents.
const (
	StatusPendingApproval   Status = 0 // waiting for approval by people; can last hours
	StatusSignatureApproved Status = 1 // signed; being broadcast and confirmed on chain
	StatusSignatureRejected Status = 2 // terminal, failed
	StatusApprovalCancelled Status = 3 // terminal, failed; Cregis sends no callback for it
	StatusReviewRejected    Status = 4 // terminal, failed
	StatusPendingSignature  Status = 5 // waiting for signers; can last hours
	StatusSucceeded         Status = 6 // terminal: the transaction succeeded on chain
	StatusFailed            Status = 7 // terminal: the transaction failed on chain
)

// Terminal reports whether s is final: 2, 3, 4, 6 or 7.
func (s Status) Terminal() bool {
	switch s {
	case StatusSignatureRejected, StatusApprovalCancelled, StatusReviewRejected, StatusSucceeded, StatusFailed:
		return true
	}
	return false
}

// Succeeded reports whether s is StatusSucceeded.
func (s Status) Succeeded() bool { return s == StatusSucceeded }

// String returns a short snake_case name, or "unknown(N)".
func (s Status) String() string {
	switch s {
	case StatusPendingApproval:
		return "pending_approval"
	case StatusSignatureApproved:
		return "signature_approved"
	case StatusSignatureRejected:
		return "signature_rejected"
	case StatusApprovalCancelled:
		return "approval_cancelled"
	case StatusReviewRejected:
		return "review_rejected"
	case StatusPendingSignature:
		return "pending_signature"
	case StatusSucceeded:
		return "succeeded"
	case StatusFailed:
		return "failed"
	}
	return "unknown(" + strconv.Itoa(int(s)) + ")"
}

// PayoutInfo is the status of one payout as the query endpoints report it.
// Both query endpoints fill ToAddress (/api/v1/payout/query names it
// "address" on the wire).
type PayoutInfo struct {
	PID          int64
	ChainID      string
	TokenID      string
	Currency     string
	FromAddress  string
	ToAddress    string
	Amount       string
	Status       Status
	ThirdPartyID string
	Remark       string
	Memo         string
	TxID         string
	BlockHeight  string
	BlockTime    int64 // Unix milliseconds; 0 until on chain
}

// SubAddressWithdrawalInfo queries POST /api/v1/sub_address_withdrawal/info.
// A "00000" answer without a status is an *HTTPError.
func (c *Client) SubAddressWithdrawalInfo(ctx context.Context, cid int64) (*PayoutInfo, error) {
	return c.query(ctx, PathSubAddressWithdrawalInfo, cid)
}

// PayoutQuery queries POST /api/v1/payout/query. Its recipient, "address" on
// the wire, is reported as ToAddress.
func (c *Client) PayoutQuery(ctx context.Context, cid int64) (*PayoutInfo, error) {
	return c.query(ctx, PathPayoutQuery, cid)
}

func (c *Client) query(ctx context.Context, op string, cid int64) (*PayoutInfo, error) {
	r := newRequest(op)
	r.id("cid", cid)
	var d infoData
	if err := c.call(ctx, r, &d); err != nil {
		return nil, err
	}
	return d.info(), nil
}

// infoData is the data of both query endpoints, decoded tolerantly: integers
// from numbers or strings (exactly), strings from strings or numbers.
type infoData struct {
	PID          wireInt    `json:"pid"`
	ChainID      wireString `json:"chain_id"`
	TokenID      wireString `json:"token_id"`
	Currency     wireString `json:"currency"`
	FromAddress  wireString `json:"from_address"`
	ToAddress    wireString `json:"to_address"`
	Address      wireString `json:"address"`
	Amount       wireString `json:"amount"`
	Status       wireInt    `json:"status"`
	ThirdPartyID wireString `json:"third_party_id"`
	Remark       wireString `json:"remark"`
	Memo         wireString `json:"memo"`
	TxID         wireString `json:"txid"`
	BlockHeight  wireString `json:"block_height"`
	BlockTime    wireInt    `json:"block_time"`
}

func (d *infoData) complete() bool { return d.Status.Set }

func (d *infoData) info() *PayoutInfo {
	to := d.ToAddress
	if to == "" {
		to = d.Address
	}
	return &PayoutInfo{
		PID:          d.PID.Val,
		ChainID:      string(d.ChainID),
		TokenID:      string(d.TokenID),
		Currency:     string(d.Currency),
		FromAddress:  string(d.FromAddress),
		ToAddress:    string(to),
		Amount:       string(d.Amount),
		Status:       Status(d.Status.Val),
		ThirdPartyID: string(d.ThirdPartyID),
		Remark:       string(d.Remark),
		Memo:         string(d.Memo),
		TxID:         string(d.TxID),
		BlockHeight:  string(d.BlockHeight),
		BlockTime:    d.BlockTime.Val,
	}
}
