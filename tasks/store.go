package tasks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
	"unicode/utf8"

	"github.com/payoutd/payoutd/internal/clock"
	"github.com/redis/go-redis/v9"
)

// DefaultKeyPrefix starts payoutd's Redis keys unless configured otherwise.
const DefaultKeyPrefix = "payoutd:"

// Store limits.
const (
	// MaxLastErrorLen caps Record.LastError, in bytes. The store does not
	// know secrets: the worker sanitises what it stores there.
	MaxLastErrorLen = 512
	// maxUpdateAttempts bounds Update's compare-and-set retries.
	maxUpdateAttempts = 100
	// postWriteTimeout bounds the index and event writes that follow a
	// record write; they run even if the caller's context just ended.
	postWriteTimeout = 5 * time.Second
)

// StoreConfig configures a Store.
type StoreConfig struct {
	// KeyPrefix starts every key. Default "payoutd:".
	KeyPrefix string
	// NowFunc returns the current time. Default time.Now.
	NowFunc func() time.Time
	// EventsMaxLen is the approximate length the events stream is trimmed
	// to. Default 100000.
	EventsMaxLen int64
	// EventsMaxAge is how long an event is kept at most: TrimEvents (the
	// sweeper) drops older ones. Default 7 days.
	EventsMaxAge time.Duration
	// IndexErrorFunc, when set, is called when an index or events-stream
	// write that follows a record write fails (on Redis Cluster only: on a
	// single Redis they are part of the record's write). Those writes are
	// best-effort: the record is already written, and Reindex (the sweeper)
	// repairs the indexes. Default: ignore.
	IndexErrorFunc func(id string, err error)
	// OrphanGrace is how long Reindex leaves an index entry without a
	// record alone (on Redis Cluster, Create adds the entry a moment before
	// the record). It is
	// measured by Redis's own clock between two sightings, never by the
	// clock of the process that calls Reindex. Default 1m.
	OrphanGrace time.Duration
	// MinReplicas, when above 0, makes the writes a promise rests on wait
	// for that many replicas to confirm them (Redis WAIT, on the connection
	// that wrote): Create, every transition into a terminal state, every
	// UpdateDurable, and Sync. An unconfirmed write returns ErrNotDurable.
	// Default 0: no WAIT, no extra round trip.
	MinReplicas int
	// WaitTimeout bounds each WAIT; keep it below the Redis client's read
	// timeout (go-redis: 3s). Default 1s.
	WaitTimeout time.Duration
}

// Store keeps payout records in Redis. Each record lives in one key whose hash
// tag is its ThirdPartyID, so every atomic operation touches one hash slot and
// the layout works on Redis Cluster. Indexes (by creation time, by state, open
// records) live in other keys, are updated after the record, and are repaired
// by the sweeper.
//
// See the package documentation for the key layout and the events stream.
// A Store is safe for concurrent use.
type Store struct {
	rdb redis.UniversalClient
	cfg StoreConfig
}

// NewStore returns a Store over rdb.
func NewStore(rdb redis.UniversalClient, cfg StoreConfig) *Store {
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = DefaultKeyPrefix
	}
	if cfg.NowFunc == nil {
		cfg.NowFunc = time.Now
	}
	if cfg.WaitTimeout <= 0 {
		cfg.WaitTimeout = DefaultWaitTimeout
	}
	if cfg.EventsMaxLen <= 0 {
		cfg.EventsMaxLen = 100000
	}
	if cfg.EventsMaxAge <= 0 {
		cfg.EventsMaxAge = DefaultEventsMaxAge
	}
	if cfg.OrphanGrace <= 0 {
		cfg.OrphanGrace = defaultOrphanGrace
	}
	return &Store{rdb: rdb, cfg: cfg}
}

// RecordKey returns the Redis key of a payout's record.
func (s *Store) RecordKey(id string) string { return s.cfg.KeyPrefix + "payout:{" + id + "}" }

// now is the store's clock, truncated to the millisecond: the stored
// encoding keeps times in Unix ms, so a record reads back as it was written.
func (s *Store) now() time.Time { return s.cfg.NowFunc().UTC().Truncate(time.Millisecond) }

// Create writes a new queued record for req unless one exists. It returns the
// record and whether it was created. The same request again returns the
// existing record; a different request with the same ThirdPartyID returns
// ErrConflict (with the existing record). req must be valid.
//
// Requests are compared by their canonical JSON: Source "" equals "wallet",
// and metadata objects are equal when they hold the same keys and values
// (key order and whitespace do not matter; numbers compare as written).
// Creation is one atomic step, so of concurrent creates of one id exactly one
// returns created true. The record, its index entry and its event are
// written by one script on a single Redis; on Redis Cluster the id enters the
// queued index before the record is written, so a crash can never hide a
// record from the sweeper.
//
// With MinReplicas above 0 the write (or, for the same request again, the
// record's earlier writes: see Sync) is followed by WAIT; when the replicas
// do not confirm it in time, Create returns the record and created as they
// are with an error wrapping ErrNotDurable.
func (s *Store) Create(ctx context.Context, req Request) (*Record, bool, error) {
	if err := validateThirdPartyID(req.ThirdPartyID); err != nil {
		return nil, false, err // the id makes the key: never trust it unchecked
	}
	if err := req.validateMetadata(); err != nil {
		return nil, false, err // metadata that is not JSON cannot be stored
	}
	rec := newRecord(req, s.now())
	addedOpen, err := s.openFirst(ctx, rec)
	if err != nil {
		return nil, false, fmt.Errorf("tasks: create %s: index: %w", req.ThirdPartyID, err)
	}
	res, werr := s.create(ctx, rec)
	switch {
	case res.won:
		return rec, true, werr
	case res.current == nil:
		return nil, false, fmt.Errorf("tasks: create %s: %w", req.ThirdPartyID, werr)
	}
	return s.existing(ctx, req, res.current, addedOpen)
}

// openFirst puts a new record's id in the queued index before the record is
// written, on Redis Cluster, where the two cannot be written in one step: a
// crash in between must never hide a record from the sweeper. On a single
// Redis the create script writes both at once.
func (s *Store) openFirst(ctx context.Context, rec *Record) (bool, error) {
	if s.singleSlot() {
		return false, nil
	}
	added, err := s.rdb.ZAddNX(ctx, s.stateKey(StateQueued), rec.z()).Result()
	return added == 1, err
}

// existing answers a Create that found a record already there.
func (s *Store) existing(ctx context.Context, req Request, raw []byte, addedOpen bool) (*Record, bool, error) {
	cur, err := decodeRecord(req.ThirdPartyID, raw)
	if err != nil {
		return nil, false, err
	}
	if addedOpen { // our open entry may be wrong for it (terminal, or a newer score)
		s.reindex(ctx, cur)
	}
	if !sameRequest(cur.Request, req) {
		return cur, false, ErrConflict
	}
	return cur, false, s.Sync(ctx, req.ThirdPartyID)
}

// sameRequest reports whether a and b are the same payout request (by their
// canonical JSON; see Create).
func sameRequest(a, b Request) bool { return bytes.Equal(a.canonicalJSON(), b.canonicalJSON()) }

func newRecord(req Request, now time.Time) *Record {
	return &Record{
		Request:   req,
		State:     StateQueued,
		CreatedAt: now,
		UpdatedAt: now,
		Version:   1,
		History:   []Transition{{At: now, To: StateQueued, Reason: "created"}},
	}
}

func (r *Record) encode() []byte {
	return encodeRecord(r) // panics only on metadata that is not JSON; Create refuses it
}

func decodeRecord(id string, raw []byte) (*Record, error) {
	r, err := decodeStored(raw)
	if err != nil {
		return nil, fmt.Errorf("tasks: decode record %s: %w", id, err)
	}
	return r, nil
}

// Get returns the record, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (*Record, error) {
	raw, err := s.getRaw(ctx, id)
	if err != nil {
		return nil, err
	}
	return decodeRecord(id, raw)
}

func (s *Store) getRaw(ctx context.Context, id string) ([]byte, error) {
	if !validThirdPartyID(id) {
		return nil, ErrNotFound // no such key can exist
	}
	raw, err := s.rdb.Get(ctx, s.RecordKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("tasks: get %s: %w", id, err)
	}
	return raw, nil
}

// Update changes a record atomically (a compare-and-set in one script on the
// record's key, retried on contention). fn gets the current record and
// mutates it; returning an error aborts without a write. If fn changed the
// state, the change must be legal (else ErrIllegalTransition, nothing
// written) and is appended to the history with reason. A terminal record
// never changes: Update returns ErrIllegalTransition without calling fn.
// UpdatedAt is set by the store.
//
// The compare-and-set is a Lua script on the record's slot: it writes only if
// the key still holds what was read, and answers the current value when it
// does not, so the next attempt starts from it without a read. In detail:
//   - fn runs on a copy and may run more than once (once per attempt), so it
//     must only mutate the record it is given.
//   - A terminal record is never passed to fn: Update returns the record with
//     a *TransitionError (To empty) matching ErrIllegalTransition. Callers
//     treat that as "already settled".
//   - An illegal state change returns the current record with a
//     *TransitionError; nothing is written.
//   - If fn changed nothing, nothing is written and the record is returned.
//   - fn must not change the Request or CreatedAt (an error, nothing
//     written); the store owns History and UpdatedAt. LastError is capped at
//     MaxLastErrorLen bytes.
//   - After losing the compare-and-set 100 times in a row (with a short
//     random backoff between attempts), Update returns ErrContention.
//   - A state change also updates the indexes and appends an event to the
//     events stream: in the same script on a single Redis, right after it
//     and best-effort on Redis Cluster (see StoreConfig.IndexErrorFunc).
//   - With StoreConfig.MinReplicas above 0, a write that makes the record
//     terminal is followed by WAIT; unconfirmed, Update returns the written
//     record with an error wrapping ErrNotDurable (retry with Sync).
func (s *Store) Update(ctx context.Context, id, reason string, fn func(r *Record) error) (*Record, error) {
	return s.update(ctx, id, change{reason: reason, fn: fn})
}

// Note appends reason to a non-terminal record's history without changing
// its state or any other field but UpdatedAt: operator actions (retry,
// resolve) are recorded this way. A terminal record refuses it as it refuses
// every update (a *TransitionError with an empty To).
func (s *Store) Note(ctx context.Context, id, reason string) (*Record, error) {
	return s.update(ctx, id, change{reason: reason, fn: func(*Record) error { return nil }, note: true})
}

// Amend changes a record as Update does and always records reason in its
// history, also when the state stays: a claim from outside (a hint) is
// recorded this way. When fn changes nothing, nothing is written.
func (s *Store) Amend(ctx context.Context, id, reason string, fn func(r *Record) error) (*Record, error) {
	return s.update(ctx, id, change{reason: reason, fn: fn, amend: true})
}

// change is one update: fn mutates the record; note forces a history entry
// even without a state change; durable waits after any write; from, lease
// and result are UpdateOptions'.
type change struct {
	reason  string
	fn      func(r *Record) error
	note    bool
	amend   bool // like note, but only when fn changed something
	durable bool
	from    *Record
	lease   *leaseOp
	result  *UpdateResult // never nil once update runs
}

// wrote reports whether the update wrote.
func (c change) wrote() bool { return c.result != nil && c.result.Wrote }

func (s *Store) update(ctx context.Context, id string, c change) (*Record, error) {
	if c.result == nil {
		c.result = &UpdateResult{}
	}
	raw, fresh, err := s.startRaw(ctx, id, c.from)
	if err != nil {
		return nil, err
	}
	for attempt := range maxUpdateAttempts {
		if err := backoff(ctx, attempt); err != nil {
			return nil, err
		}
		var seen *Record // the record raw holds, when the caller's copy saves decoding it
		if !fresh {
			seen = c.from.clone()
		}
		rec, now, err := s.tryUpdate(ctx, id, raw, seen, c)
		switch {
		case now != nil: // lost: the script answered the value that won
			raw, fresh = now, true
		case !fresh && !c.wrote() && !errors.Is(err, ErrLeaseHeld):
			// Decided on the caller's copy: confirm it is current. (A held
			// lease is an answer about the current record: the script
			// compares before it takes.)
			if raw, err = s.getRaw(ctx, id); err != nil {
				return nil, err
			}
			fresh = true
		default:
			return rec, err
		}
	}
	return nil, fmt.Errorf("%w: %s after %d attempts", ErrContention, id, maxUpdateAttempts)
}

// startRaw is the value the first compare-and-set is made against: the
// caller's copy when it gave one (fresh false: it may be stale), else the
// record as read now.
func (s *Store) startRaw(ctx context.Context, id string, from *Record) (raw []byte, fresh bool, err error) {
	if from != nil && from.ThirdPartyID == id {
		return from.encode(), false, nil
	}
	raw, err = s.getRaw(ctx, id)
	return raw, true, err
}

// tryUpdate is one compare-and-set attempt against raw. When it lost it
// returns the record's current value as now; a record deleted meanwhile is
// ErrNotFound.
func (s *Store) tryUpdate(ctx context.Context, id string, raw []byte, seen *Record, c change) (rec *Record, now []byte, err error) {
	cur, next, err := s.apply(id, raw, seen, c)
	if err != nil || next == nil {
		return cur, nil, err
	}
	w := write{id: id, expect: raw, value: next.encode(), lease: c.lease, after: s.updateCommands(cur, next),
		wait: s.durable() && (c.durable || next.State.Terminal())}
	res, werr := s.exec(ctx, w)
	switch {
	case res.busy:
		return cur, nil, ErrLeaseHeld
	case res.won:
		c.result.Wrote, c.result.Lease = true, res.lease
		return next, nil, werr
	case res.current == nil && werr == nil:
		return nil, nil, ErrNotFound
	case res.current == nil:
		return nil, nil, fmt.Errorf("tasks: update %s: %w", id, werr)
	}
	return next, res.current, nil
}

// apply runs fn on a copy of the record stored as raw (seen, when not nil, is
// that record already decoded: the caller's copy). It returns the current
// record and the one to write, next nil when fn changed nothing. On a
// refused transition it returns the current record with the error; on any
// other error, no record.
func (s *Store) apply(id string, raw []byte, seen *Record, c change) (cur, next *Record, err error) {
	if cur = seen; cur == nil {
		if cur, err = decodeRecord(id, raw); err != nil {
			return nil, nil, err
		}
	}
	if cur.State.Terminal() {
		return cur, nil, &TransitionError{ID: id, From: cur.State}
	}
	next = cur.clone()
	if err := c.fn(next); err != nil {
		return nil, nil, err
	}
	if err := checkImmutable(cur, next); err != nil {
		return nil, nil, err
	}
	next.History, next.UpdatedAt, next.Version = cur.History, cur.UpdatedAt, cur.Version
	next.LastError = truncateUTF8(next.LastError, MaxLastErrorLen)
	next.roundHintTimes()
	if !c.note && equalRecord(cur, next) {
		return cur, nil, nil
	}
	return cur, next, s.stamp(cur, next, c)
}

// stamp sets UpdatedAt, increments Version and records a state change (or a note) in the history.
func (s *Store) stamp(cur, next *Record, c change) error {
	now := s.now()
	next.UpdatedAt, next.Version = now, cur.Version+1
	if next.State == cur.State && !c.note && !c.amend {
		return nil
	}
	if !LegalTransition(cur.State, next.State) {
		return &TransitionError{ID: cur.ThirdPartyID, From: cur.State, To: next.State}
	}
	next.History = append(next.History, Transition{At: now, From: cur.State, To: next.State, Reason: c.reason})
	return nil
}

func checkImmutable(cur, next *Record) error {
	if !equalRequest(&cur.Request, &next.Request) || !cur.CreatedAt.Equal(next.CreatedAt) {
		return fmt.Errorf("tasks: update %s: the request and created_at of a payout never change", cur.ThirdPartyID)
	}
	return nil
}

// backoff waits before attempt (none before the first): a short random delay
// growing with the attempt, so that contending updaters spread out.
func backoff(ctx context.Context, attempt int) error {
	if attempt == 0 {
		return nil
	}
	ceiling := min(100*time.Microsecond<<min(attempt, 10), 10*time.Millisecond)
	return clock.Sleep(ctx, rand.N(ceiling)+1)
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n-- // do not cut a rune in two
	}
	return s[:n]
}

// reportIndexError passes a failed post-write to IndexErrorFunc.
func (s *Store) reportIndexError(id string, err error) {
	if err != nil && s.cfg.IndexErrorFunc != nil {
		s.cfg.IndexErrorFunc(id, err)
	}
}

// postWriteContext outlives ctx: once the record is written, its index and
// event writes should happen even if the caller has gone.
func postWriteContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), postWriteTimeout)
}
