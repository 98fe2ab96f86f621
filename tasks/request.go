package tasks

import (
	"context"
	"encoding/json"
)

// Source says which Cregis endpoint creates a payout.
type Source string

// Payout sources.
const (
	SourceWallet     Source = "wallet"      // POST /api/v2/payout (the default)
	SourceSubAddress Source = "sub_address" // POST /api/v1/sub_address_withdrawal
)

// Request is a payout as a producer submits it. ThirdPartyID identifies it
// everywhere, at Cregis too, and never changes. JSON field names are the
// public contract of the HTTP intake and of the record; they change only
// additively.
type Request struct {
	ThirdPartyID string          `json:"third_party_id"`
	Currency     string          `json:"currency"` // chain_id@token_id
	ToAddress    string          `json:"to_address"`
	Amount       string          `json:"amount"` // decimal string, never a float
	Memo         string          `json:"memo,omitempty"`
	Remark       string          `json:"remark,omitempty"`
	WalletID     Int64String     `json:"wallet_id,omitempty"`
	FromAddress  string          `json:"from_address,omitempty"`
	Source       Source          `json:"source,omitempty"` // "" means SourceWallet
	NotifyURL    string          `json:"notify_url,omitempty"`
	Metadata     json.RawMessage `json:"metadata,omitempty"` // a JSON object, <= 4 KiB
}

// Int64String is an int64 that encodes as a JSON string (JavaScript clients
// lose precision above 2^53) and decodes from a JSON number or string.
type Int64String int64

// Decimals tells how many decimals a currency has, and whether it is
// supported at all.
type Decimals interface {
	Decimals(ctx context.Context, currency string) (decimals int, ok bool, err error)
}

// Validate checks r at the edge. It returns nil or a *ValidationError naming
// the first offending field with a stable code. It normalises nothing the
// caller did not send: a valid request is stored as given (Source "" stays "").
func (r *Request) Validate(ctx context.Context, dec Decimals) error {
	panic("unimplemented")
}
