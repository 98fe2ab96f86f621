// Package cregistest is a stateful fake of the Cregis WaaS API, shipped beside
// the cregis client as net/http/httptest is beside net/http.
//
// NewServer(t) starts a fake on a free loopback port and stops it when the test
// ends. Start(cfg) does the same without a test, for demos and the
// cregis-sandbox binary. The fake behaves as Cregis is documented to (see
// API.md in the project's notes), not as any client happens to call it:
//
//   - It serves POST /api/v2/payout, /api/v1/sub_address_withdrawal,
//     /api/v1/sub_address_withdrawal/info, /api/v1/payout/query,
//     /api/v1/address/legal, /api/v1/coins and /api/v1/trade/page, always
//     answering the envelope
//     {"code","msg","data"} with HTTP 200 for API errors.
//   - It verifies every request: pid (E0003), nonce and timestamp (A0001),
//     the signature over every received field except sign (B0001), required
//     fields and their JSON types (A0001, naming the field), remark length
//     (E0002), currency (E0005), amount (E0016, E0006, E0007), addresses
//     (E0008), memo (E0032) and duplicate third_party_id (E0009).
//   - Cids start above 2^53 and increase, and the default PID is above 2^53
//     too, so decoding either through float64 anywhere breaks a test.
//   - Each payout moves 0 -> 5 -> 1 -> terminal over Config.Dwell. The terminal
//     status is scripted per payout with SetFate or SetStatus, or by a marker
//     in the recipient address (see below). Statuses 3 and 4 end from 0, 2 ends
//     from 5, 6 and 7 end from 1.
//   - When a payout with a callback_url reaches 2, 4, 6 or 7 (never 3) the fake
//     POSTs one signed callback and records whether it was acknowledged.
//   - With Config.VerificationURL set (or SetVerificationURL), every payout it
//     creates afterwards (both create endpoints and CreateForeign) is POSTed
//     there as a signed Payout External Verification request, asynchronously:
//     the create answers with the cid first, and the request may arrive
//     before that answer. The payout stays in status 0, whatever its Dwell or
//     fate and however often it is queried, until the answer is HTTP 200
//     with the body exactly "ok"; "deny" ends it in 4. See Verifications,
//     VerificationFields and SendVerification.
//   - /api/v1/trade/page lists the payouts on chain as transaction records.
//   - CreateForeign makes a payout payoutd never asked for, as a holder of the
//     API key or a person in the Cregis client would.
//   - Faults are injected with methods (FailCreatesBeforeApply,
//     FailCreatesAfterApply, FailQueries, SetLatency, SetErrorStorm) or at
//     random with Config.FaultRates.
//   - Everything it saw can be read back: Requests, Creates, Duplicates,
//     Queries, Callbacks, Verifications, Payouts, Rate.
//
// # Address markers
//
// A recipient address containing one of these substrings scripts the payout's
// fate when no SetFate applies, so that a fake running as a separate process
// can be driven from outside:
//
//	"sigreject2"  ends 2 (signature rejected) after 0 and 5
//	"reject4"     ends 4 (review rejected) from 0
//	"cancel3"     ends 3 (approval cancelled) from 0; no callback
//	"fail7"       ends 7 (failed on chain) after 0, 5 and 1
//	"hold0"       stays 0 (pending approval) for ever
//	"hold5"       stays 5 (pending signature) for ever
//	"hold1"       stays 1 (on chain, unconfirmed) for ever
//	(none)        ends 6 (succeeded) after 0, 5 and 1
//
// # Inferences
//
// Where the public material is silent the fake chooses, and says so here:
// the status data and callbacks name the currency by coin name ("XRP"), as
// the documentation's example does; a /api/v2/payout without from_address
// reports "cregistest-payout-wallet-<chain_id>"; a sub-address withdrawal
// must name its from_address; E0009 covers both create endpoints; an
// amount's precision counts significant decimals ("1.500000000" is fine for
// a 6-decimal token); timestamps are not checked for age and nonces are not
// checked for reuse, since no tolerance or replay rule is documented.
//
// Payout External Verification: every verification request carries pid,
// cid, third_party_id, chain_id, token_id, from_address (the default
// wallet's when the create named none), to_address, amount, nonce, timestamp
// and sign, plus remark and memo when set. Only an HTTP 200 whose body is
// exactly "ok" or "deny" (no trailing newline) is a verdict. Everything else
// (another status or body, a timeout after Config.CallbackTimeout, a refused
// connection) is retried every Config.VerificationRetry of wall-clock time,
// with a fresh nonce, timestamp and sign, for as long as the fake runs: it
// fails closed. "ok" starts the payout's dwell in status 0 at that moment;
// "deny" ends it in status 4 (review rejected: it never entered approval),
// which sends the usual status-4 callback to a callback_url. Turning the URL
// off leaves waiting payouts waiting (nothing is sent while it is ""); a
// changed URL takes effect from the next retry. SetStatus ends a wait
// (Payout.Verification "forced"). A request sent with SendVerification is
// recorded but decides nothing. Foreign payouts are verified too.
//
// Transaction records: only payouts in status 1, 6 or 7 are listed, with the
// chain transaction status 0 (pending), 1 (success) and 2 (fail); never 0,
// 5 or a payout that ended 2, 3 or 4. Each row is trade_type "2",
// business_type "payout" (/api/v2/payout and CreateForeign) or
// "sub_address_withdrawal", fee "0", cid the payout's cid, currency and
// txid and block_height as the status data names them, and block_time the
// status data's block_time (milliseconds) divided by 1000, in seconds. Rows
// are ordered by block_time then cid, ascending; total counts every match.
// Filters are exact matches; blocktime_start and blocktime_end are
// inclusive. Integer fields must be JSON integers: status 0 to 2,
// trade_type 1 or 2 (1 matches nothing: the fake has no deposits),
// blocktime_* at most 10 digits, page_num at least 1 (default 1), page_size
// 1 to 100 (default 10); anything else is A0001 naming the field.
//
// CreateForeign applies /api/v2/payout's validation and E0009, and returns
// the *cregis.APIError the endpoint would answer. Its payouts are listed by
// Payouts (Payout.Foreign) but not counted by Creates or Duplicates, which
// count API calls.
//
// The fake never logs, and never echoes its API key.
package cregistest
