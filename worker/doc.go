// Package worker runs payouts: the asynq task handlers (submit, poll, notify,
// sweep, confirm, trade scan), the one place that classifies errors into
// retry policy, the operator actions (retry, resolve), the Cregis callback
// and verification paths, the asynq
// server assembly, and payoutd's HTTP surface (in worker/httpapi).
//
// # Money safety
//
// A payout's third_party_id is fixed at intake and every create call reuses
// it. At most one create per payout is in flight: the submit handler holds a
// short Redis lease (key <prefix>lease:{id}) around the call, so asynq
// running the same task twice at once makes one call. A call whose outcome is
// unknown (timeout, 5xx, reset, a body that is not the envelope, a worker
// killed mid-call) is retried with the same id, never treated as failed: the
// retry's 00000 gives the cid, its E0009 proves the first call landed
// (the record becomes unconfirmed until a callback or an operator's Resolve
// brings the cid).
//
// A permanent refusal (parameter errors and the like) rejects a payout only
// when no earlier attempt may have been applied. The lease keeps a sticky
// marker (<prefix>unsure:{id}) that is set before every create call and
// cleared only when every call so far was answered with a refusal proving
// nothing was applied, or when the record left submitting. Cregis may
// validate a request before it checks for a duplicate id, and some checks
// depend on state that changes (a coin disabled, a wallet removed), so after
// an unknown outcome a refusal proves nothing: the payout is held with
// LastError saying so, for an operator (or a callback) to settle.
//
// Configuration errors (B0001, E0001, E0003, E0004, E0034, T0062) and
// undocumented codes hold the payout in submitting: the task is retried on a
// slow capped backoff (30s doubling to 10m) that does not consume its retry
// budget, and every occurrence is logged at error level and counted. One bad
// key never rejects a batch. A configuration error proves nothing was
// created; an undocumented code proves nothing, so it leaves the unsure
// marker set.
//
// # Retry policy
//
// classify(err) maps every handler error to a policy: the retry delay,
// whether the retry counts against the task's budget (asynq's IsFailure) and
// whether to archive at once (asynq.SkipRetry). Waiting (the fleet-wide rate
// limit, a held lease, a poll with no verdict, a held payout) never counts.
//
// # Polls, callbacks and claims
//
// A submitted payout is polled by a chain of tasks "poll:<id>:<seq>"; each
// enqueues the next before advancing the record's PollSeq, and a poll whose
// seq is below PollSeq is dropped. With callbacks on, each poll is a safety
// net, PollSafetyInterval apart; without, the delay follows the status:
// PollOnChainInterval on chain, PollApprovalInterval growing with age
// towards PollMaxInterval while people approve or sign.
//
// What Cregis pushes (callbacks, verification requests) and what the trade
// scan finds is a claim: the API key that signs a push can leak. A claim is
// recorded on the record as a hint (tasks.Hint) and a confirm task
// ("confirm:<id>:<cid>") queries its cid; only an answer that describes the
// record's payout (mismatch: third_party_id, currency, amount, recipient)
// binds the cid or moves the state, through the same transitions as a poll
// (applyEvent). News that contradicts a terminal outcome changes nothing and
// is reported.
//
// # Sweeper and server
//
// The sweeper (one at a time across the fleet) re-drives open records that
// lost their task, repairs their index entries, flags payouts open longer
// than StuckAfter and sets the gauges. A Server runs the handlers on asynq
// (and, for the scheduler role, the periodic sweep); its Run never takes over
// OS signals: it starts, waits for its context, then stops and shuts down.
package worker
