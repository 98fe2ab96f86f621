package cregis

import "fmt"

// VerificationApprove and VerificationDeny are the exact bodies a
// verification receiver answers (HTTP 200, text/plain): approve lets the
// payout go on to approval and signing, deny ends it.
const (
	VerificationApprove = "ok"
	VerificationDeny    = "deny"
)

// Verification is a verified Payout External Verification request: Cregis
// asks whether it may go on with a payout it has just created. Like a
// callback it is signed with the API key, so it is a claim, not an answer:
// anyone holding the key can forge one.
type Verification struct {
	PID, CID     int64
	ThirdPartyID string
	ChainID      string
	TokenID      string
	FromAddress  string
	ToAddress    string
	Amount       string
	Remark       string
	Memo         string
	Nonce        string
	Timestamp    int64 // Unix milliseconds; may be old
}

// Currency returns the payout's currency, ChainID + "@" + TokenID (the
// request carries no currency field).
func (v *Verification) Currency() string { return v.ChainID + "@" + v.TokenID }

// ParseVerification verifies body, the raw JSON of a Payout External
// Verification request, and decodes it, exactly as ParseCallback does: one
// flat JSON object, the sign checked in constant time over every field
// received except sign (fields unknown to this package included), the pid the
// client's. Old timestamps are accepted.
//
// Required: sign, pid, cid (positive), third_party_id, chain_id, token_id,
// to_address and amount; from_address, remark, memo, nonce and timestamp are
// optional. Both are signed pushes, so errors wrap the callback sentinels:
// ErrCallbackMalformed, ErrCallbackSignature or ErrCallbackPID. They name
// the field and never contain a value. The caller bounds the size of body.
func (c *Client) ParseVerification(body []byte) (*Verification, error) {
	fields, err := c.verifiedFields(body)
	if err != nil {
		return nil, err
	}
	v, err := verificationFrom(fields)
	if err != nil {
		return nil, err
	}
	if err := c.checkPID(v.PID); err != nil {
		return nil, err
	}
	return v, nil
}

// verificationFrom types the fields of a verified verification request.
func verificationFrom(fields map[string]any) (*Verification, error) {
	f := fieldReader{fields: fields}
	v := &Verification{
		PID:          f.int("pid", true),
		CID:          f.int("cid", true),
		ThirdPartyID: f.required("third_party_id"),
		ChainID:      f.required("chain_id"),
		TokenID:      f.required("token_id"),
		FromAddress:  f.str("from_address"),
		ToAddress:    f.required("to_address"),
		Amount:       f.required("amount"),
		Remark:       f.str("remark"),
		Memo:         f.str("memo"),
		Nonce:        f.str("nonce"),
		Timestamp:    f.int("timestamp", false),
	}
	switch {
	case f.err != nil:
		return nil, f.err
	case v.CID <= 0:
		return nil, fmt.Errorf("%w: cid must be positive", ErrCallbackMalformed)
	}
	return v, nil
}
