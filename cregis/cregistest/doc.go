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
//     /api/v1/address/legal and /api/v1/coins, always answering the envelope
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
//   - Faults are injected with methods (FailCreatesBeforeApply,
//     FailCreatesAfterApply, FailQueries, SetLatency, SetErrorStorm) or at
//     random with Config.FaultRates.
//   - Everything it saw can be read back: Requests, Creates, Duplicates,
//     Queries, Callbacks, Payouts, Rate.
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
// The fake never logs, and never echoes its API key.
package cregistest
