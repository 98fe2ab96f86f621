package cregistest

import (
	"slices"
	"strconv"
	"time"

	"github.com/payoutd/payoutd/cregis"
)

// Payout is a snapshot of one payout in the fake's ledger.
type Payout struct {
	CID          int64          `json:"cid"`
	Path         string         `json:"path"` // the create endpoint
	WalletID     int64          `json:"wallet_id,omitempty"`
	Currency     string         `json:"currency"` // as requested
	ChainID      string         `json:"chain_id"`
	TokenID      string         `json:"token_id"`
	CoinName     string         `json:"coin_name"`
	FromAddress  string         `json:"from_address"` // as requested, or the default wallet's
	ToAddress    string         `json:"to_address"`
	Amount       string         `json:"amount"`
	ThirdPartyID string         `json:"third_party_id"`
	Remark       string         `json:"remark,omitempty"`
	Memo         string         `json:"memo,omitempty"`
	CallbackURL  string         `json:"callback_url,omitempty"`
	Status       cregis.Status  `json:"status"`
	Fate         cregis.Status  `json:"fate"`   // where it is heading
	Pinned       bool           `json:"pinned"` // held by SetStatus at a non-terminal status
	TxID         string         `json:"txid,omitempty"`
	BlockHeight  string         `json:"block_height,omitempty"`
	BlockTime    int64          `json:"block_time,omitempty"` // Unix ms
	CreatedAt    time.Time      `json:"created_at"`
	History      []StatusChange `json:"history"`
	// Foreign marks a payout made with CreateForeign, not through the API.
	Foreign bool `json:"foreign,omitempty"`
	// Verification is where the payout stands with Payout External
	// Verification; "" when it was created with verification off.
	Verification VerificationState `json:"verification,omitempty"`
}

// VerificationState is where a payout stands with Payout External
// Verification.
type VerificationState string

// The verification states.
const (
	VerificationPending  VerificationState = "pending"  // waiting in status 0 for "ok" or "deny"
	VerificationApproved VerificationState = "approved" // answered "ok": it went on to approval
	VerificationDenied   VerificationState = "denied"   // answered "deny": it ended in status 4
	VerificationForced   VerificationState = "forced"   // SetStatus ended the wait
)

// StatusChange is one status a payout entered, and when.
type StatusChange struct {
	Status cregis.Status `json:"status"`
	At     time.Time     `json:"at"`
}

// payout is a payout in the ledger; the ledger's mutex guards it.
type payout struct {
	Payout
	since    time.Time              // when it entered Status
	notified map[cregis.Status]bool // callbacks already sent on their own
}

func (p *payout) snapshot() Payout {
	s := p.Payout
	s.History = slices.Clone(p.History)
	return s
}

// awaiting reports whether p waits for a verification verdict.
func (p *payout) awaiting() bool { return p.Verification == VerificationPending }

// verificationFields are the fields of p's verification request less nonce,
// timestamp and sign; remark and memo only when set.
func (p Payout) verificationFields(pid int64) map[string]any {
	f := map[string]any{
		"pid": pid, "cid": p.CID, "third_party_id": p.ThirdPartyID, "chain_id": p.ChainID,
		"token_id": p.TokenID, "from_address": p.FromAddress, "to_address": p.ToAddress, "amount": p.Amount,
	}
	if p.Remark != "" {
		f["remark"] = p.Remark
	}
	if p.Memo != "" {
		f["memo"] = p.Memo
	}
	return f
}

// defaultFromAddress stands for the project's default payout wallet on a
// chain, reported when a /api/v2/payout names no from_address.
func defaultFromAddress(chainID string) string {
	return "cregistest-payout-wallet-" + chainID
}

// statusData is the data of a status query. recipient is "to_address" for
// /api/v1/sub_address_withdrawal/info and "address" for /api/v1/payout/query.
// currency is the coin's name, as in the documentation's example.
func (p Payout) statusData(pid int64, recipient string) map[string]any {
	return map[string]any{
		"pid":            pid,
		"chain_id":       p.ChainID,
		"token_id":       p.TokenID,
		"currency":       p.CoinName,
		"from_address":   p.FromAddress,
		recipient:        p.ToAddress,
		"amount":         p.Amount,
		"status":         int(p.Status),
		"third_party_id": p.ThirdPartyID,
		"remark":         p.Remark,
		"memo":           p.Memo,
		"txid":           p.TxID,
		"block_height":   p.BlockHeight,
		"block_time":     p.BlockTime,
	}
}

// callbackFields are a callback's fields less nonce, timestamp and sign.
// Wallet payouts name the recipient address; sub-address withdrawals send
// from_address and to_address.
func (p Payout) callbackFields(pid int64) map[string]any {
	f := p.statusData(pid, "address")
	f["cid"] = p.CID
	if p.Path == cregis.PathSubAddressWithdrawal {
		delete(f, "address")
		f["to_address"] = p.ToAddress
	} else {
		delete(f, "from_address")
	}
	return f
}

// blockHeightString formats a block height as the API does, a string.
func blockHeightString(h int64) string { return strconv.FormatInt(h, 10) }
