package tasks

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// removeScript deletes KEYS (the record first, then keys of the same payout,
// all in its hash slot) if the record still holds ARGV[1]. It returns 1 when
// it deleted, 0 when the record is gone, -1 when it changed.
var removeScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
if cur ~= ARGV[1] then return -1 end
redis.call('DEL', unpack(KEYS))
return 1`)

// Settled returns the ids of terminal records created before before, oldest
// first, at most limit of each terminal state (limit <= 0 means 100). They
// are candidates for removal (Remove decides by the record itself): a
// record's index score is its CreatedAt, and it settled at or after that.
func (s *Store) Settled(ctx context.Context, before time.Time, limit int) ([]string, error) {
	limit = clamp(limit, defaultOpenLimit, maxOpenLimit)
	var ids []string
	for _, st := range States {
		if !st.Terminal() {
			continue
		}
		got, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: s.stateKey(st), ByScore: true,
			Start: "-inf", Stop: "(" + strconv.FormatInt(before.UnixMilli(), 10), Count: int64(limit)}).Result()
		if err != nil {
			return nil, fmt.Errorf("tasks: settled %s: %w", st, err)
		}
		ids = append(ids, got...)
	}
	return ids, nil
}

// Remove deletes a record that has been terminal since before (its
// UpdatedAt: a terminal record never changes), with its index entries and
// also (keys of the same payout, which must carry its hash tag {<id>}, e.g.
// the worker's lease and unsure marker). It returns the removed record, or
// nil when the record is not terminal or settled later, or is gone.
//
// The index entries go first and the keys then in one script on the
// record's slot, so a Create of the same id meanwhile can never lose its
// index entry. After Remove the id
// is unknown: the same third_party_id enqueued again is a new payout.
func (s *Store) Remove(ctx context.Context, id string, before time.Time, also ...string) (*Record, error) {
	raw, err := s.getRaw(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, s.dropSettledIndexes(ctx, id) // repair: an entry without a record
	}
	if err != nil {
		return nil, err
	}
	rec, err := decodeRecord(id, raw)
	if err != nil || !rec.State.Terminal() || !rec.UpdatedAt.Before(before) {
		return nil, err
	}
	if err := s.dropSettledIndexes(ctx, id); err != nil {
		return nil, err
	}
	keys := append([]string{s.RecordKey(id)}, also...)
	n, err := removeScript.Run(ctx, s.rdb, keys, raw).Int()
	if err != nil || n != 1 {
		s.reindex(ctx, rec) // still there: put its entries back
		return nil, err
	}
	return rec, nil
}

// dropSettledIndexes removes id from the terminal states' indexes (and the
// legacy ones), never from a non-terminal state's: on Redis Cluster a Create
// of the same id meanwhile puts it in queued's before its record (see
// Remove).
func (s *Store) dropSettledIndexes(ctx context.Context, id string) error {
	err := s.pipelined(ctx, func(p redis.Pipeliner) {
		for _, k := range append(s.stateKeys(State.Terminal), s.legacyKeys()...) {
			p.ZRem(ctx, k, id)
		}
	})
	if err != nil {
		return fmt.Errorf("tasks: drop the index entries of %s: %w", id, err)
	}
	return nil
}
