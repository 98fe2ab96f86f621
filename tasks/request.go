package tasks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
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

// MarshalJSON encodes n as a JSON string of base-10 digits.
func (n Int64String) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, strconv.FormatInt(int64(n), 10)), nil
}

// UnmarshalJSON accepts a JSON integer (such as 123 or -1) or a JSON string
// of digits (such as "123"), exactly, never through float64. null leaves n
// unchanged. Anything else (a fraction, an exponent, an overflow, a string
// that is not only digits) is a *ValidationError for "wallet_id", which
// encoding/json returns as is, so the HTTP intake can report it like any
// other invalid field.
func (n *Int64String) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	text := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &text); err != nil || !isDigits(text) {
			return errWalletIDSyntax
		}
	} else if !isJSONInteger(text) {
		return errWalletIDSyntax
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return errWalletIDSyntax
	}
	*n = Int64String(v)
	return nil
}

var errWalletIDSyntax = &ValidationError{Field: "wallet_id", Code: CodeInvalidWalletID,
	Message: "must be an integer: a JSON number or a string of digits"}

// isJSONInteger reports whether s is a JSON number without fraction or
// exponent: -?(0|[1-9][0-9]*).
func isJSONInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	return isDigits(s) && (s == "0" || s[0] != '0')
}

// Decimals tells how many decimals a currency has, and whether it is
// supported at all.
type Decimals interface {
	Decimals(ctx context.Context, currency string) (decimals int, ok bool, err error)
}

// Limits of a Request's fields.
const (
	MaxThirdPartyIDLen = 64         // characters of [A-Za-z0-9._:-]
	MaxAddressLen      = 128        // to_address and from_address, characters
	MaxAmountIntDigits = 30         // digits before the decimal point
	MaxRemarkLen       = 256        // runes (Cregis's limit)
	MaxTONMemoLen      = 128        // runes
	MaxXRPMemo         = 4294967295 // exclusive: an XRP destination tag is below this
	MaxNotifyURLLen    = 2048       // bytes
	MaxMetadataLen     = 4096       // bytes of JSON
	maxTokenIDLen      = 128
	maxChainIDLen      = 20
)

// Chains with a memo (see the Cregis API notes).
const (
	chainXRP = "144"  // memo: a destination tag, plain digits
	chainTON = "2000" // memo: text
)

// Validate checks r at the edge. It returns nil or a *ValidationError naming
// the first offending field with a stable code. It normalises nothing the
// caller did not send: a valid request is stored as given (Source "" stays "").
//
// Fields are checked in this order: third_party_id, source, currency,
// to_address, amount, memo, remark, wallet_id, from_address, notify_url,
// metadata. An error from dec (Redis unreachable, say) is returned wrapped,
// not as a *ValidationError: the request may well be valid.
//
// An amount is sent to Cregis exactly as written, so trailing zeros count as
// decimals: "1.50" is valid for a token with 2 decimals, "1.500" is
// too_many_decimals.
func (r *Request) Validate(ctx context.Context, dec Decimals) error {
	if err := r.validateLocal(); err != nil {
		return err
	}
	decimals, ok, err := dec.Decimals(ctx, r.Currency)
	if err != nil {
		return fmt.Errorf("tasks: decimals of %s: %w", r.Currency, err)
	}
	if !ok {
		return invalid("currency", CodeUnsupportedCurrency, "is not enabled for payouts")
	}
	if err := validateAmount(r.Amount, decimals); err != nil {
		return err
	}
	return r.validateRest()
}

// validateLocal checks the fields before amount that need no lookup.
func (r *Request) validateLocal() error {
	for _, check := range []func() error{r.validateThirdPartyID, r.validateSource,
		r.validateCurrency, r.validateToAddress} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// validateRest checks the fields after amount.
func (r *Request) validateRest() error {
	for _, check := range []func() error{r.validateMemo, r.validateRemark,
		r.validateWalletID, r.validateFromAddress, r.validateNotifyURL, r.validateMetadata} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func invalid(field, code, msg string) *ValidationError {
	return &ValidationError{Field: field, Code: code, Message: msg}
}

func required(field string) *ValidationError {
	return invalid(field, CodeRequired, "is required")
}

func (r *Request) validateThirdPartyID() error {
	return validateThirdPartyID(r.ThirdPartyID)
}

func validateThirdPartyID(id string) error {
	if id == "" {
		return required("third_party_id")
	}
	if !validThirdPartyID(id) {
		return invalid("third_party_id", CodeInvalidThirdPartyID,
			"must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'")
	}
	return nil
}

func validThirdPartyID(id string) bool {
	if len(id) == 0 || len(id) > MaxThirdPartyIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !isAlnum(c) && c != '.' && c != '_' && c != ':' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func (r *Request) validateSource() error {
	switch r.Source {
	case "", SourceWallet, SourceSubAddress:
		return nil
	}
	return invalid("source", CodeInvalidSource, `must be "wallet" or "sub_address"`)
}

func (r *Request) validateCurrency() error {
	if r.Currency == "" {
		return required("currency")
	}
	if _, ok := chainOf(r.Currency); !ok {
		return invalid("currency", CodeInvalidCurrency, "must be chain_id@token_id, such as 195@195")
	}
	return nil
}

// chainOf splits a currency "chain_id@token_id" and returns its chain id.
func chainOf(currency string) (string, bool) {
	chain, token, ok := strings.Cut(currency, "@")
	ok = ok && isDigits(chain) && len(chain) <= maxChainIDLen &&
		token != "" && len(token) <= maxTokenIDLen && plainText(token) && !strings.Contains(token, "@")
	return chain, ok
}

func (r *Request) validateToAddress() error {
	if r.ToAddress == "" {
		return required("to_address")
	}
	return validateAddress("to_address", r.ToAddress)
}

func validateAddress(field, addr string) error {
	if utf8.RuneCountInString(addr) > MaxAddressLen || !plainText(addr) {
		return invalid(field, CodeInvalidAddress,
			"must be at most 128 characters without whitespace or control characters")
	}
	return nil
}

// plainText reports whether s is valid UTF-8 without whitespace or control
// characters.
func plainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validateAmount checks a decimal amount against a token's decimals with
// string and digit checks only (money is never a float). The rules: digits
// with an optional fraction ("12", "12.5", "0.001"); no sign, exponent,
// spaces, commas, leading or trailing dot, or leading zero ("01"); at most
// MaxAmountIntDigits integer digits; greater than zero; at most decimals
// fraction digits, trailing zeros included (the amount is sent verbatim).
func validateAmount(amount string, decimals int) error {
	if amount == "" {
		return required("amount")
	}
	intPart, frac, hasDot := strings.Cut(amount, ".")
	if !isDigits(intPart) || hasDot && !isDigits(frac) {
		return invalid("amount", CodeInvalidAmount, "must be a plain decimal number such as 12.5")
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		return invalid("amount", CodeInvalidAmount, "must not have leading zeros")
	}
	if len(intPart) > MaxAmountIntDigits {
		return invalid("amount", CodeInvalidAmount, "must have at most 30 digits before the decimal point")
	}
	if strings.Trim(intPart+frac, "0") == "" {
		return invalid("amount", CodeInvalidAmount, "must be greater than zero")
	}
	if len(frac) > max(decimals, 0) {
		return invalid("amount", CodeTooManyDecimals,
			fmt.Sprintf("has %d decimals; the currency allows %d (trailing zeros count)", len(frac), max(decimals, 0)))
	}
	return nil
}

func (r *Request) validateMemo() error {
	if r.Memo == "" {
		return nil
	}
	chain, _ := chainOf(r.Currency)
	switch chain {
	case chainXRP:
		return validateXRPMemo(r.Memo)
	case chainTON:
		return validateTONMemo(r.Memo)
	}
	return invalid("memo", CodeMemoNotSupported, "is only accepted for XRP (chain 144) and TON (chain 2000)")
}

func validateXRPMemo(memo string) error {
	n, err := strconv.ParseUint(memo, 10, 64)
	if !isDigits(memo) || err != nil || n >= MaxXRPMemo || len(memo) > 1 && memo[0] == '0' {
		return invalid("memo", CodeInvalidMemo,
			"must be an XRP destination tag: an integer from 0 to 4294967294 in plain digits")
	}
	return nil
}

func validateTONMemo(memo string) error {
	if !utf8.ValidString(memo) || utf8.RuneCountInString(memo) > MaxTONMemoLen ||
		strings.ContainsFunc(memo, unicode.IsControl) {
		return invalid("memo", CodeInvalidMemo, "must be text of at most 128 characters without control characters")
	}
	return nil
}

func (r *Request) validateRemark() error {
	if !utf8.ValidString(r.Remark) {
		return invalid("remark", CodeInvalidRemark, "must be valid UTF-8")
	}
	if utf8.RuneCountInString(r.Remark) > MaxRemarkLen {
		return invalid("remark", CodeRemarkTooLong, "must be at most 256 characters")
	}
	return nil
}

func (r *Request) validateWalletID() error {
	if r.WalletID < 0 {
		return invalid("wallet_id", CodeInvalidWalletID, "must not be negative (0 is the default wallet)")
	}
	if r.WalletID != 0 && r.Source == SourceSubAddress {
		return invalid("wallet_id", CodeInvalidWalletID, `applies to source "wallet" only`)
	}
	return nil
}

func (r *Request) validateFromAddress() error {
	if r.FromAddress == "" {
		if r.Source == SourceSubAddress {
			return invalid("from_address", CodeRequired, `is required with source "sub_address"`)
		}
		return nil
	}
	return validateAddress("from_address", r.FromAddress)
}

// ValidateNotifyURL checks u as the intake checks a request's notify_url:
// nil for "" or a valid URL, else a *ValidationError.
func ValidateNotifyURL(u string) error {
	r := Request{NotifyURL: u}
	return r.validateNotifyURL()
}

func (r *Request) validateNotifyURL() error {
	if r.NotifyURL == "" {
		return nil
	}
	const msg = "must be an absolute http or https URL with a host and no user info"
	if len(r.NotifyURL) > MaxNotifyURLLen || !plainText(r.NotifyURL) {
		return invalid("notify_url", CodeInvalidNotifyURL, msg)
	}
	u, err := url.Parse(r.NotifyURL)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.User != nil || u.Hostname() == "" {
		return invalid("notify_url", CodeInvalidNotifyURL, msg)
	}
	return nil
}

func (r *Request) validateMetadata() error {
	if len(r.Metadata) == 0 { // absent (omitempty drops an empty one too)
		return nil
	}
	if len(r.Metadata) > MaxMetadataLen {
		return invalid("metadata", CodeInvalidMetadata, "must be at most 4096 bytes of JSON")
	}
	trimmed := bytes.TrimLeft(r.Metadata, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(r.Metadata) {
		return invalid("metadata", CodeInvalidMetadata, "must be a JSON object")
	}
	return nil
}

// canonicalJSON is the encoding two requests are compared by: Source ""
// becomes "wallet" and metadata is re-encoded with sorted keys and no
// insignificant whitespace (numbers stay as written).
func (r Request) canonicalJSON() []byte {
	if r.Source == "" {
		r.Source = SourceWallet
	}
	r.Metadata = canonicalMetadata(r.Metadata)
	b, _ := json.Marshal(r) // cannot fail: metadata is valid JSON or dropped below
	return b
}

func canonicalMetadata(m json.RawMessage) json.RawMessage {
	if len(m) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(m))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		b, _ := json.Marshal(string(m)) // not JSON: compare the bytes as written
		return b
	}
	b, _ := json.Marshal(v)
	return b
}
