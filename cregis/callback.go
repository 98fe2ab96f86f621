package cregis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// CallbackAck is the exact body a callback receiver answers (with HTTP 200)
// once it has durably recorded the outcome. Any other answer is a failed
// delivery to Cregis.
const CallbackAck = "success"

// Errors from ParseCallback and ParseVerification (both parse a push Cregis
// signs with the API key).
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
//
// body must be one flat JSON object: a nested object or array is
// ErrCallbackMalformed, as is a missing sign, pid, cid, status or
// third_party_id. Old timestamps are accepted: Cregis re-pushes failed
// deliveries by hand with the original timestamp. Every error wraps one of
// ErrCallbackMalformed, ErrCallbackSignature or ErrCallbackPID and never
// contains a field's value. The caller bounds the size of body.
func (c *Client) ParseCallback(body []byte) (*Callback, error) {
	fields, err := c.verifiedFields(body)
	if err != nil {
		return nil, err
	}
	cb, err := callbackFrom(fields)
	if err != nil {
		return nil, err
	}
	if err := c.checkPID(cb.PID); err != nil {
		return nil, err
	}
	return cb, nil
}

// verifiedFields decodes body, a signed push from Cregis, as one flat JSON
// object and verifies its sign over every other field received.
func (c *Client) verifiedFields(body []byte) (map[string]any, error) {
	fields, err := decodeFlatObject(body)
	if err != nil {
		return nil, err
	}
	sign, ok := fields["sign"].(string)
	if !ok || sign == "" {
		return nil, fmt.Errorf("%w: sign is missing or not a string", ErrCallbackMalformed)
	}
	if !Verify(c.cfg.APIKey, fields, sign) {
		return nil, ErrCallbackSignature
	}
	return fields, nil
}

// checkPID refuses a push signed for another project.
func (c *Client) checkPID(pid int64) error {
	if pid != c.cfg.PID {
		return fmt.Errorf("%w: got pid %d, want %d", ErrCallbackPID, pid, c.cfg.PID)
	}
	return nil
}

// decodeFlatObject decodes body as one JSON object whose values are strings,
// numbers (kept as json.Number), booleans or null.
func decodeFlatObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return nil, fmt.Errorf("%w: not a JSON object", ErrCallbackMalformed)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrCallbackMalformed)
	}
	for key, v := range fields {
		switch v.(type) {
		case string, json.Number, bool, nil:
		default:
			return nil, fmt.Errorf("%w: field %.64q holds an object or array", ErrCallbackMalformed, key)
		}
	}
	return fields, nil
}

// callbackFrom types the fields of a verified callback.
func callbackFrom(fields map[string]any) (*Callback, error) {
	f := fieldReader{fields: fields}
	cb := &Callback{
		PID:          f.int("pid", true),
		CID:          f.int("cid", true),
		ChainID:      f.str("chain_id"),
		TokenID:      f.str("token_id"),
		Currency:     f.str("currency"),
		Address:      f.str("address"),
		FromAddress:  f.str("from_address"),
		ToAddress:    f.str("to_address"),
		Amount:       f.str("amount"),
		ThirdPartyID: f.str("third_party_id"),
		Remark:       f.str("remark"),
		Memo:         f.str("memo"),
		Status:       Status(f.int("status", true)),
		TxID:         f.str("txid"),
		BlockHeight:  f.str("block_height"),
		BlockTime:    f.int("block_time", false),
		Nonce:        f.str("nonce"),
		Timestamp:    f.int("timestamp", false),
	}
	switch {
	case f.err != nil:
		return nil, f.err
	case cb.CID <= 0:
		return nil, fmt.Errorf("%w: cid must be positive", ErrCallbackMalformed)
	case cb.ThirdPartyID == "":
		return nil, fmt.Errorf("%w: third_party_id is required", ErrCallbackMalformed)
	}
	return cb, nil
}

// fieldReader reads typed values from decoded callback fields, keeping the
// first error. Its errors name the field, never its value.
type fieldReader struct {
	fields map[string]any
	err    error
}

// str reads a string; a number is taken verbatim, a missing field or null
// is "".
func (f *fieldReader) str(key string) string {
	switch v := f.fields[key].(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	}
	f.fail(key, "is not a string")
	return ""
}

// int reads an integer exactly from a number or a string of digits; ""
// and null read as 0, and as missing when required.
func (f *fieldReader) int(key string, required bool) int64 {
	text := f.str(key)
	if text == "" {
		if required {
			f.fail(key, "is required")
		}
		return 0
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		f.fail(key, "is not an integer")
	}
	return n
}

func (f *fieldReader) fail(key, reason string) {
	if f.err == nil {
		f.err = fmt.Errorf("%w: %s %s", ErrCallbackMalformed, key, reason)
	}
}

// required reads a string that must not be empty.
func (f *fieldReader) required(key string) string {
	s := f.str(key)
	if s == "" {
		f.fail(key, "is required")
	}
	return s
}
