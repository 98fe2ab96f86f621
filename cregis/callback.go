package cregis

import "errors"

// CallbackAck is the exact body a callback receiver answers (with HTTP 200)
// once it has durably recorded the outcome. Any other answer is a failed
// delivery to Cregis.
const CallbackAck = "success"

// Errors from ParseCallback.
var (
	ErrCallbackMalformed = errors.New("cregis: callback is not a JSON object with the required fields")
	ErrCallbackSignature = errors.New("cregis: callback signature does not verify")
	ErrCallbackPID       = errors.New("cregis: callback is for another project")
)

// Callback is a verified payout notification. Wallet payouts name the
// recipient Address; sub-address withdrawals send FromAddress and ToAddress.
type Callback struct {
	PID          int64
	CID          int64
	ChainID      string
	TokenID      string
	Currency     string
	Address      string
	FromAddress  string
	ToAddress    string
	Amount       string
	ThirdPartyID string
	Remark       string
	Memo         string
	Status       Status
	TxID         string
	BlockHeight  string
	BlockTime    int64
	Nonce        string
	Timestamp    int64 // Unix milliseconds; may be old (manual re-push)
}

// Recipient returns Address, or ToAddress for a sub-address withdrawal.
func (cb *Callback) Recipient() string {
	if cb.Address != "" {
		return cb.Address
	}
	return cb.ToAddress
}

// ParseCallback verifies body, the raw JSON Cregis POSTed, and decodes it. The
// signature is checked over every field received (decoded with UseNumber, so
// fields unknown to this package are covered too) in constant time, and the
// pid must be the client's.
func (c *Client) ParseCallback(body []byte) (*Callback, error) {
	panic("unimplemented")
}
