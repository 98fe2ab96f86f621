// Package cregis is a client for the parts of the Cregis WaaS API that a payout
// worker relies on: creating payouts, querying their status, listing transaction
// records (TradePage), checking addresses, listing enabled coins, and verifying
// the pushes Cregis signs: callbacks (ParseCallback) and Payout External
// Verification requests (ParseVerification). A push is signed with the API key,
// so whoever holds the key can forge one: it is a claim to confirm with a status
// query. SameAmount and SameAddress compare such a claim with a record.
//
// The package reports facts and never applies policy: it never retries and never
// logs. A call fails with exactly one of
//
//   - *APIError: Cregis answered with a well-formed envelope whose code is not
//     "00000". Nothing was created by that call. Compare with errors.Is against
//     the named codes (ErrDuplicateThirdPartyID, ErrSignature, ErrParameter, ...).
//   - *HTTPError: Cregis answered with a non-2xx status, or with a body that is
//     not the envelope. The request reached the server: its outcome is unknown.
//     A "00000" envelope whose data lacks the cid of a create (or the status of
//     a query) is reported the same way: Cregis may have created the payout, but
//     the answer cannot be trusted.
//   - *TransportError: the exchange failed below HTTP. Its Sent field says
//     whether the request may have reached Cregis.
//   - *RequestError: the client refused to send the request (a required field
//     empty, a string not valid UTF-8). Nothing was sent.
//
// OutcomeUnknown tells which of these leave a create call's outcome open: a
// caller must then retry with the same third_party_id, never a new one.
// NotApplied tells which prove the call changed nothing.
//
// No error string contains the API key or a sign value.
//
// It depends on the standard library only.
package cregis
