package cregistest

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/payoutd/payoutd/cregis"
)

// Limits the fake enforces.
const (
	maxRemarkChars  = 256        // documented
	maxAddressBytes = 128        // an inference: no chain's address is longer
	maxXRPTag       = 4294967295 // documented: an XRP destination tag is below it
)

// createRequest is a create call's business fields.
type createRequest struct {
	path         string // the create endpoint
	walletID     int64
	currency     string
	fromAddress  string
	toAddress    string
	amount       string
	callbackURL  string
	thirdPartyID string
	remark       string
	memo         string
	foreign      bool // made with CreateForeign
}

// parseCreate reads a create body. A sub-address withdrawal must name the
// sub-address it pays from (an inference: it has no default wallet).
func parseCreate(path string, fields map[string]any) (createRequest, *apiError) {
	r := fieldReader{fields: fields}
	req := createRequest{path: path}
	if path == cregis.PathPayout {
		req.walletID = r.integer("wallet_id", false)
	}
	req.currency = r.str("currency", true)
	req.toAddress = r.str("to_address", true)
	req.amount = r.str("amount", true)
	req.thirdPartyID = r.str("third_party_id", true)
	req.fromAddress = r.str("from_address", path == cregis.PathSubAddressWithdrawal)
	req.callbackURL = r.str("callback_url", false)
	req.remark = r.str("remark", false)
	req.memo = r.str("memo", false)
	return req, r.err
}

// validate checks a create's values in the order Cregis's codes are listed,
// and returns the coin its currency names.
func (s *Server) validate(req createRequest) (cregis.Coin, *apiError) {
	if utf8.RuneCountInString(req.remark) > maxRemarkChars {
		return cregis.Coin{}, fail("E0002")
	}
	coin, ok := s.coins.lookup(req.currency)
	if !ok {
		return cregis.Coin{}, fail("E0005")
	}
	if e := checkAmount(req.amount, coin.Decimals); e != nil {
		return cregis.Coin{}, e
	}
	if !s.addressValid(req.toAddress) || (req.fromAddress != "" && !s.addressValid(req.fromAddress)) {
		return cregis.Coin{}, fail("E0008")
	}
	if e := checkMemo(req.memo, coin.ChainID); e != nil {
		return cregis.Coin{}, e
	}
	return coin, checkCallbackURL(req.callbackURL)
}

// checkAmount accepts a plain positive decimal ("12", "0.5") with at most
// decimals significant fraction digits: E0016 for anything that is not a
// decimal (exponents, signs other than a leading "-", spaces), E0006 for
// values <= 0, E0007 for too many decimals.
func checkAmount(amount string, decimals int) *apiError {
	neg := strings.HasPrefix(amount, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(amount, "-"), ".")
	if !allDigits(whole) || (strings.Contains(amount, ".") && !allDigits(frac)) {
		return fail("E0016")
	}
	if neg || strings.Trim(whole+frac, "0") == "" {
		return fail("E0006")
	}
	if len(strings.TrimRight(frac, "0")) > decimals {
		return fail("E0007")
	}
	return nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// addressValid refuses addresses marked invalid and the obviously invalid:
// empty, too long, or holding spaces or control characters.
func (s *Server) addressValid(addr string) bool {
	if addr == "" || len(addr) > maxAddressBytes || s.ledger.invalidAddress(addr) {
		return false
	}
	return !strings.ContainsFunc(addr, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError
	})
}

// checkMemo allows a memo on XRP and TON only; an XRP memo is a destination
// tag, a number below 4294967295.
func checkMemo(memo, chainID string) *apiError {
	switch {
	case memo == "":
		return nil
	case chainID == chainTON:
		return nil
	case chainID != chainXRP:
		return fail("E0032")
	}
	if !allDigits(memo) {
		return fail("E0032")
	}
	tag, err := strconv.ParseUint(memo, 10, 64)
	if err != nil || tag >= maxXRPTag {
		return fail("E0032")
	}
	return nil
}

// checkCallbackURL requires an absolute http or https URL.
func checkCallbackURL(raw string) *apiError {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return paramError("callback_url must be an http or https URL")
	}
	return nil
}
