package cregis

import "context"

// PayoutRequest is the body of POST /api/v2/payout, less pid, nonce,
// timestamp and sign. Empty optional fields are left out of the body.
type PayoutRequest struct {
	WalletID     int64  // optional; 0 means the project's default payout wallet
	Currency     string // required, e.g. "195@195"
	FromAddress  string // optional
	ToAddress    string // required
	Amount       string // required, a decimal string
	CallbackURL  string // optional
	ThirdPartyID string // required, the caller's unique id
	Remark       string // optional, at most 256 characters
	Memo         string // optional, TON and XRP only
}

// SubAddressWithdrawalRequest is the body of POST
// /api/v1/sub_address_withdrawal, less pid, nonce, timestamp and sign.
type SubAddressWithdrawalRequest struct {
	Currency     string
	FromAddress  string
	ToAddress    string
	Amount       string
	CallbackURL  string
	ThirdPartyID string
	Remark       string
	Memo         string
}

// Payout creates a payout from the project's payout wallet and returns its
// cid. Each call signs afresh (new nonce and timestamp), so retrying with the
// same request is the safe way to settle an unknown outcome.
func (c *Client) Payout(ctx context.Context, req PayoutRequest) (cid int64, err error) {
	panic("unimplemented")
}

// SubAddressWithdrawal creates a payout from a project sub-address and returns
// its cid.
func (c *Client) SubAddressWithdrawal(ctx context.Context, req SubAddressWithdrawalRequest) (cid int64, err error) {
	panic("unimplemented")
}
