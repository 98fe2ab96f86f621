package tasks

import (
	"context"
	"errors"
	"github.com/redis/go-redis/v9"
	"time"
)

// Lease is a short lock on one payout that a write can take or give back in
// the same atomic step as the record (UpdateOptions.Take and Give): the
// worker's submit lease. Its two keys must carry the record's hash tag
// {<id>}, so that on Redis Cluster they share the record's slot.
//
// Taking it fails with ErrLeaseHeld while another token holds Key, and
// otherwise sets Key to Token for TTL and sets MarkerKey, reporting whether
// MarkerKey was already set (UpdateResult.Lease). Giving it back deletes Key
// if it still holds Token, and MarkerKey too when asked; a lease that is
// never given back expires.
type Lease struct {
	Key       string
	MarkerKey string
	Token     string
	TTL       time.Duration
}

// ErrLeaseHeld means a write that takes a Lease found it held by another
// token: nothing was written.
var ErrLeaseHeld = errors.New("tasks: lease held by another holder")

// UpdateOptions adjust one update (Store.UpdateWith).
type UpdateOptions struct {
	// From is the record as the caller last read it from this store: the
	// first compare-and-set is made against it instead of a fresh read. A
	// stale From costs one lost attempt (the script answers the current
	// value); an answer that writes nothing is confirmed by a read.
	From *Record
	// Durable waits for the replicas after the write, and makes the
	// record's earlier writes durable when there is nothing to write (see
	// UpdateDurable).
	Durable bool
	// Take takes this lease with the write; while another token holds it
	// the update writes nothing and returns ErrLeaseHeld.
	Take *Lease
	// Give gives this lease back with the write (if it still holds its
	// token), and clears its marker when ClearMarker is set. An update that
	// writes nothing gives nothing back (UpdateResult.Lease false): the
	// caller then gives it back itself (Store.GiveBack).
	Give        *Lease
	ClearMarker bool
}

// UpdateResult says what an update did besides the record it returns.
type UpdateResult struct {
	// Wrote is set when the record was written.
	Wrote bool
	// Lease, with Take, is whether the lease's marker was set before the
	// take; with Give, whether the lease was still held and was given back.
	Lease bool
}

// UpdateWith is Update with options: a starting copy, durability, and a
// lease taken or given back atomically with the write (see UpdateOptions).
func (s *Store) UpdateWith(ctx context.Context, id, reason string, opt UpdateOptions, fn func(r *Record) error) (*Record, UpdateResult, error) {
	c := change{reason: reason, fn: fn, durable: opt.Durable, from: opt.From, result: &UpdateResult{}}
	switch {
	case opt.Take != nil && opt.Give != nil:
		return nil, UpdateResult{}, errors.New("tasks: an update takes or gives back a lease, not both")
	case opt.Take != nil:
		c.lease = &leaseOp{lease: *opt.Take, take: true}
	case opt.Give != nil:
		c.lease = &leaseOp{lease: *opt.Give, clear: opt.ClearMarker}
	}
	rec, err := s.update(ctx, id, c)
	if opt.Durable && !c.result.Wrote {
		err = s.syncUnwritten(ctx, id, rec, err)
	}
	return rec, *c.result, err
}

// takeScript takes the lease KEYS[1] for token ARGV[1] and ARGV[2] ms and
// sets the marker KEYS[2], returning -1 when the lease is held, else
// whether the marker was set before.
var takeScript = redis.NewScript(`
if not redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then
	return -1
end
local was = redis.call("EXISTS", KEYS[2])
redis.call("SET", KEYS[2], "1")
return was`)

// TakeLease takes l without a record write and reports whether its marker
// was set before; ErrLeaseHeld while another token holds it.
func (s *Store) TakeLease(ctx context.Context, l Lease) (markerWasSet bool, err error) {
	n, err := takeScript.Run(ctx, s.rdb, []string{l.Key, l.MarkerKey}, l.Token, l.TTL.Milliseconds()).Int()
	switch {
	case err != nil:
		return false, err
	case n < 0:
		return false, ErrLeaseHeld
	}
	return n == 1, nil
}

// giveBackScript deletes the lease KEYS[1] if it holds ARGV[1], and the
// marker KEYS[2] too when ARGV[2] is "1"; it returns whether it deleted.
var giveBackScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) ~= ARGV[1] then
	return 0
end
redis.call("DEL", KEYS[1])
if ARGV[2] == "1" then
	redis.call("DEL", KEYS[2])
end
return 1`)

// GiveBack gives l back without a record write: it deletes l.Key if it still
// holds l.Token, and l.MarkerKey too when clear is set.
func (s *Store) GiveBack(ctx context.Context, l Lease, clear bool) error {
	return giveBackScript.Run(ctx, s.rdb, []string{l.Key, l.MarkerKey}, l.Token, flag(clear)).Err()
}
