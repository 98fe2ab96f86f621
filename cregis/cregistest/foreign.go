package cregistest

import (
	"encoding/json"
	"strconv"

	"github.com/payoutd/payoutd/cregis"
)

// CreateForeign creates a payout that payoutd never asked for, as a holder
// of the API key on an allowlisted IP, or a person in the Cregis client,
// would: the validation and the E0009 uniqueness of third_party_id of
// /api/v2/payout, the same lifecycle, verification request and callbacks.
// An error is the *cregis.APIError the endpoint would have answered (Op
// cregis.PathPayout). The payout is listed by Payouts (Foreign set) but not
// counted by Creates or Duplicates, which count API calls.
func (s *Server) CreateForeign(req cregis.PayoutRequest) (int64, error) {
	parsed, e := parseCreate(cregis.PathPayout, foreignFields(req))
	if e != nil {
		return 0, e.public()
	}
	parsed.foreign = true
	cid, e := s.apply(parsed, s.now())
	if e != nil {
		return 0, e.public()
	}
	return cid, nil
}

// foreignFields are req's fields as a create body would carry them, empty
// ones left out.
func foreignFields(req cregis.PayoutRequest) map[string]any {
	f := map[string]any{}
	if req.WalletID != 0 {
		f["wallet_id"] = json.Number(strconv.FormatInt(req.WalletID, 10))
	}
	for k, v := range map[string]string{
		"currency": req.Currency, "from_address": req.FromAddress, "to_address": req.ToAddress,
		"amount": req.Amount, "callback_url": req.CallbackURL, "third_party_id": req.ThirdPartyID,
		"remark": req.Remark, "memo": req.Memo,
	} {
		if v != "" {
			f[k] = v
		}
	}
	return f
}

// public returns e as the client would report it.
func (e *apiError) public() *cregis.APIError {
	return &cregis.APIError{Op: cregis.PathPayout, Code: e.code, Msg: e.msg}
}
