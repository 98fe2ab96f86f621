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
// Currency, ToAddress, Amount and ThirdPartyID are required; empty optional
// fields are left out of the body.
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
//
// A "00000" answer without a positive cid is an *HTTPError: the payout may
// exist, so the outcome is unknown.
func (c *Client) Payout(ctx context.Context, req PayoutRequest) (cid int64, err error) {
	r := newRequest(PathPayout)
	r.optionalID("wallet_id", req.WalletID)
	r.required("currency", req.Currency)
	r.optional("from_address", req.FromAddress)
	r.required("to_address", req.ToAddress)
	r.required("amount", req.Amount)
	r.optional("callback_url", req.CallbackURL)
	r.required("third_party_id", req.ThirdPartyID)
	r.optional("remark", req.Remark)
	r.optional("memo", req.Memo)
	return c.create(ctx, r)
}

// SubAddressWithdrawal creates a payout from a project sub-address and returns
// its cid. Like Payout, it signs afresh on each call.
func (c *Client) SubAddressWithdrawal(ctx context.Context, req SubAddressWithdrawalRequest) (cid int64, err error) {
	r := newRequest(PathSubAddressWithdrawal)
	r.required("currency", req.Currency)
	r.optional("from_address", req.FromAddress)
	r.required("to_address", req.ToAddress)
	r.required("amount", req.Amount)
	r.optional("callback_url", req.CallbackURL)
	r.required("third_party_id", req.ThirdPartyID)
	r.optional("remark", req.Remark)
	r.optional("memo", req.Memo)
	return c.create(ctx, r)
}

// createData is the data of a create call.
type createData struct {
	CID wireInt `json:"cid"`
}

func (d *createData) complete() bool { return d.CID.Set && d.CID.Val > 0 }

func (c *Client) create(ctx context.Context, r *request) (int64, error) {
	var d createData
	if err := c.call(ctx, r, &d); err != nil {
		return 0, err
	}
	return d.CID.Val, nil
}
