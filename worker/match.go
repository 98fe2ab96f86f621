package worker

import (
	"fmt"
	"strings"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
)

// mismatch compares Cregis's answer about a cid with the payout record. It
// returns "" when the answer describes the record's payout (the same
// third_party_id, currency, amount as a decimal, and recipient), else what
// differs. This is the one test a cid from outside (a callback, a
// verification request, a trade record, an operator's resolve) must pass
// before it is bound to a record: there every field must be present.
func mismatch(rec *tasks.Record, info *cregis.PayoutInfo) string {
	return compare(rec, info, false)
}

// contradicts is mismatch for the answer about the record's own cid (a
// poll): the cid came from Cregis's answer to payoutd's create, so a field
// the answer leaves out contradicts nothing; one it gives must agree.
func contradicts(rec *tasks.Record, info *cregis.PayoutInfo) string {
	return compare(rec, info, true)
}

func compare(rec *tasks.Record, info *cregis.PayoutInfo, lenient bool) string {
	given := func(v string) bool { return !lenient || v != "" }
	switch {
	case given(info.ThirdPartyID) && info.ThirdPartyID != rec.ThirdPartyID:
		return fmt.Sprintf("third_party_id %q, want %q", info.ThirdPartyID, rec.ThirdPartyID)
	case given(info.ChainID+info.TokenID+info.Currency) && !sameCurrency(rec.Currency, info.ChainID, info.TokenID, info.Currency):
		return fmt.Sprintf("currency %s@%s (%s), want %s", info.ChainID, info.TokenID, info.Currency, rec.Currency)
	case given(info.Amount) && !cregis.SameAmount(info.Amount, rec.Amount):
		return fmt.Sprintf("amount %q, want %q", info.Amount, rec.Amount)
	case given(info.ToAddress) && !cregis.SameAddress(info.ToAddress, rec.ToAddress):
		return fmt.Sprintf("recipient %q, want %q", info.ToAddress, rec.ToAddress)
	}
	return ""
}

// sameCurrency reports whether a record's currency (chain_id@token_id) is
// the one Cregis names: by chain_id and token_id when it gives them (a token
// contract address compares as an address: EVM hex case-insensitively),
// else by its currency field.
func sameCurrency(want, chainID, tokenID, currency string) bool {
	if chainID == "" && tokenID == "" {
		return want == currency
	}
	wantChain, wantToken, ok := strings.Cut(want, "@")
	return ok && wantChain == chainID && cregis.SameAddress(wantToken, tokenID)
}
