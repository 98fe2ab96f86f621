// Package cregis is a client for the parts of the Cregis WaaS API that a payout
// worker relies on: creating payouts, querying their status, checking addresses,
// listing enabled coins, and verifying the callbacks Cregis sends.
//
// The package reports facts and never applies policy: it never retries and never
// logs. A call fails with exactly one of
//
//   - *APIError: Cregis answered with a well-formed envelope whose code is not
//     "00000". Nothing was created by that call. Compare with errors.Is against
//     the named codes (ErrDuplicateThirdPartyID, ErrSignature, ErrParameter, ...).
//   - *HTTPError: Cregis answered with a non-2xx status, or with a body that is
//     not the envelope. The request reached the server: its outcome is unknown.
//   - *TransportError: the exchange failed below HTTP. Its Sent field says
//     whether the request may have reached Cregis.
//
// OutcomeUnknown tells which of these leave a create call's outcome open: a
// caller must then retry with the same third_party_id, never a new one.
//
// It depends on the standard library only.
package cregis
