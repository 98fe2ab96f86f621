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
func (c *Client) SubAddressWithdrawalInfo(ctx context.Context, cid int64) (*PayoutInfo, error) {
	panic("unimplemented")
}

// PayoutQuery queries POST /api/v1/payout/query.
func (c *Client) PayoutQuery(ctx context.Context, cid int64) (*PayoutInfo, error) {
	panic("unimplemented")
}
