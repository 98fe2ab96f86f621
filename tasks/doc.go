// Package tasks is the contract between payout producers and the worker: the
// payout request and its validation, the payout record kept in Redis (the
// source of truth), the asynq task types and payloads, and the producer API
// (Producer.Enqueue) a Go backend calls directly.
//
// # Payout states
//
// A record moves only along these edges (LegalTransition is the single
// source of truth; Store.Update enforces it). Every non-terminal state may
// also "move" to itself: an update of other fields. Terminal states
// (succeeded, failed, rejected, canceled) never change again.
//
//	stateDiagram-v2
//	    [*] --> queued: Create
//	    queued --> submitting: create call about to be made
//	    queued --> rejected: refused before any create call
//	    queued --> canceled: withdrawn before any create call
//	    submitting --> submitted: Cregis returned the cid
//	    submitting --> unconfirmed: E0009, cid unknown
//	    submitting --> rejected: Cregis refused the create (nothing exists there)
//	    submitting --> canceled: withdrawn; every attempt provably created nothing
//	    submitting --> succeeded: a callback or poll beat the create response
//	    submitting --> failed: a callback or poll beat the create response
//	    unconfirmed --> submitted: cid learned (callback, operator)
//	    unconfirmed --> succeeded
//	    unconfirmed --> failed
//	    submitted --> succeeded: Cregis status 6
//	    submitted --> failed: Cregis status 2, 3, 4 or 7
//	    succeeded --> [*]
//	    failed --> [*]
//	    rejected --> [*]
//	    canceled --> [*]
//
// # Redis layout
//
// With the default prefix "payoutd:":
//
//	payoutd:payout:{<id>}          the record, compact JSON ({"v":2,...}: see codec.go;
//	                               the Record JSON of earlier versions is still read);
//	                               one key per third_party_id.
//	                               The hash tag {<id>} keeps every atomic
//	                               operation in one slot (Redis Cluster).
//	payoutd:payouts:state:<state>  sorted set of the ids in <state>, scored by
//	                               created_at (ms): a record's one index entry
//	payoutd:webhooks:{<id>}        hash of webhook event name to its Delivery JSON
//	                               (body, attempts, outcome), in the record's slot
//	payoutd:events                 stream of state transitions (see Store.EventsKey)
//	payoutd:coins                  the Cregis coin list and when it was fetched (CoinCache)
//	payoutd:sync:{<id>}            a 10 s marker Store.Sync writes in the record's
//	                               slot so that WAIT covers the record's writes
//	payoutd:orphan:{<id>}          when Reindex first saw an index entry without
//	                               its record, by Redis's clock (expires by itself)
//
// Earlier versions also kept payoutd:payouts:created and payoutd:payouts:open,
// one more entry each per record; nothing reads them now, and Reindex and
// Remove take their ids out, so they empty by themselves.
//
// The worker keeps per-payout keys of its own in the same slot (the submit
// lease, the unsure marker, the verification decisions <prefix>verify:{<id>}).
//
// # Durability across a failover
//
// Redis replicates asynchronously. With StoreConfig.MinReplicas above 0 the
// writes a promise rests on (Create, a transition into a terminal state,
// UpdateDurable, Sync) are followed by WAIT on the connection that made them
// (on Redis Cluster, the master of the record's slot); fewer confirmations
// than MinReplicas within WaitTimeout is ErrNotDurable: the write stands on
// the primary, and Sync confirms it later.
//
// Every record write is one Lua script (a create-if-absent, or a
// compare-and-set against the value the writer read, which answers the
// current value when it loses). On a single Redis (standalone or behind
// Sentinel) the same script writes the record's index entries and its event,
// so they change together. On Redis Cluster, where those keys live in other
// slots, the script writes the record alone (with any lease key of its hash
// tag) and the index and event writes follow in one pipelined round trip,
// best-effort, repaired by Store.Reindex; there the queued index gets the id
// before the record is created, so that a crash never hides a record from
// the sweeper. Readers check the record itself: a stale index entry never
// makes List lie.
// Records are never expired by Redis; Store.Remove deletes a settled one
// (the worker's retention sweep calls it).
//
// # Events
//
// Each transition (creation included) is appended to the events stream with
// the fields third_party_id, from, to, reason, at and cid. It is how outcomes
// reach backends that read Redis; it is trimmed to about 100000 entries, its
// entries older than 7 days are dropped (StoreConfig.EventsMaxAge), and on
// Redis Cluster it is best-effort (see Store.EventsKey).
//
// # Amounts
//
// Amounts are decimal strings, checked with string and digit rules only and
// sent to Cregis exactly as written. Trailing zeros therefore count as
// decimals: with 2 decimals "1.50" is valid and "1.500" is too_many_decimals.
package tasks
