package tasks

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Index limits.
const (
	defaultListLimit = 50
	maxListLimit     = 500
	defaultOpenLimit = 100
	maxOpenLimit     = 10000
	// maxListRounds bounds the index reads of one List call when stale
	// entries make it skip records.
	maxListRounds = 10
	// defaultOrphanGrace is StoreConfig.OrphanGrace's default.
	defaultOrphanGrace = time.Minute
)

// stateKey is the index of the records in one state: a sorted set of ids
// scored by the record's CreatedAt in Unix milliseconds; ties are ordered by
// id. A record has one index entry, in its state's index: every record is
// the union of all of them, the open records that of the non-terminal ones.
func (s *Store) stateKey(st State) string { return s.cfg.KeyPrefix + "payouts:state:" + string(st) }

// legacyKeys are the indexes of every record and of the open ones that
// earlier versions kept beside the state indexes. Nothing reads or adds to
// them any more; Reindex and Remove take their ids out, so they empty as the
// sweeper walks and retention removes.
func (s *Store) legacyKeys() []string {
	return []string{s.cfg.KeyPrefix + "payouts:created", s.cfg.KeyPrefix + "payouts:open"}
}

// stateKeys are the indexes of the states for which keep says true.
func (s *Store) stateKeys(keep func(State) bool) []string {
	var keys []string
	for _, st := range States {
		if keep(st) {
			keys = append(keys, s.stateKey(st))
		}
	}
	return keys
}

func anyState(State) bool       { return true }
func nonTerminal(st State) bool { return !st.Terminal() }

// z is rec's entry in the index sorted sets.
func (r *Record) z() redis.Z {
	return redis.Z{Score: float64(r.CreatedAt.UnixMilli()), Member: r.ThirdPartyID}
}

// pipelined sends the commands fn queues in one round trip (per node on a
// cluster; not a transaction).
func (s *Store) pipelined(ctx context.Context, fn func(redis.Pipeliner)) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error { fn(p); return nil })
	return err
}

// reindex sets every index entry of rec from scratch (idempotent).
func (s *Store) reindex(ctx context.Context, rec *Record) {
	s.reportIndexError(rec.ThirdPartyID, s.writeIndexes(ctx, rec))
}

func (s *Store) writeIndexes(ctx context.Context, rec *Record) error {
	ctx, cancel := postWriteContext(ctx)
	defer cancel()
	return s.pipelined(ctx, func(p redis.Pipeliner) {
		for _, st := range States {
			if st == rec.State {
				p.ZAdd(ctx, s.stateKey(st), rec.z())
			} else {
				p.ZRem(ctx, s.stateKey(st), rec.ThirdPartyID)
			}
		}
		for _, k := range s.legacyKeys() {
			p.ZRem(ctx, k, rec.ThirdPartyID)
		}
	})
}

// Reindex repairs the index entries of one record from the record itself, for
// the sweeper: it adds what is missing and removes what is stale. For an id
// without a record (a Create that crashed between the queued index and the
// record), it removes the id from every index once Redis's own clock says
// OrphanGrace has passed since Reindex first saw it so (the caller's clock
// plays no part), and returns ErrNotFound. A Reindex racing an Update can leave a
// stale entry behind; readers check the record, and the next Reindex repairs
// it.
func (s *Store) Reindex(ctx context.Context, id string) (*Record, error) {
	rec, err := s.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, s.dropOrphan(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	if err := s.writeIndexes(ctx, rec); err != nil {
		return nil, fmt.Errorf("tasks: reindex %s: %w", id, err)
	}
	return rec, nil
}

func (s *Store) dropOrphan(ctx context.Context, id string) error {
	old, err := orphanScript.Run(ctx, s.rdb, []string{s.orphanKey(id), s.RecordKey(id)},
		s.cfg.OrphanGrace.Milliseconds(), max(10*s.cfg.OrphanGrace, time.Hour).Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("tasks: reindex %s: %w", id, err)
	}
	if old == 0 {
		return ErrNotFound // first seen just now, or a Create may be in flight
	}
	err = s.pipelined(ctx, func(p redis.Pipeliner) {
		for _, k := range append(s.stateKeys(anyState), s.legacyKeys()...) {
			p.ZRem(ctx, k, id)
		}
	})
	if err != nil {
		return fmt.Errorf("tasks: reindex %s: %w", id, err)
	}
	return ErrNotFound
}

// orphanKey marks when Reindex first saw id without a record, by Redis's
// clock; it shares the record's hash tag.
func (s *Store) orphanKey(id string) string { return s.cfg.KeyPrefix + "orphan:{" + id + "}" }

// orphanScript ages an index entry without a record by Redis's own clock,
// never a caller's (a worker whose clock runs ahead must not drop a live
// record). KEYS: the orphan mark, the record. ARGV: the grace and the mark's
// lifetime, in ms. It returns 1 when the record is still missing at least
// the grace after the mark was set (the mark is then cleared), else 0,
// setting the mark on a first sighting.
var orphanScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('EXISTS', KEYS[2]) == 1 then
	redis.call('DEL', KEYS[1])
	return 0
end
local seen = redis.call('GET', KEYS[1])
if not seen then
	redis.call('SET', KEYS[1], now, 'PX', ARGV[2])
	return 0
end
if now - tonumber(seen) < tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
return 1`)

// ListOptions selects a page of records.
type ListOptions struct {
	State  State  // "" for every state
	Limit  int    // default 50, at most 500
	Cursor string // from the previous page; "" for the first
}

// List returns records newest first, and the cursor of the next page ("" at
// the end).
//
// It reads the index of opt.State (or of every record) and then the records,
// keeping only those whose actual state matches, so a stale index entry never
// shows a record under the wrong state. A page can therefore hold fewer than
// Limit records while the cursor is not empty; only an empty cursor marks the
// end. Records created in the same millisecond are ordered by id, so paging
// never skips or repeats one. A cursor List did not return gives
// ErrInvalidCursor; an unknown state, ErrInvalidState.
func (s *Store) List(ctx context.Context, opt ListOptions) ([]*Record, string, error) {
	if opt.State != "" && !opt.State.Valid() {
		return nil, "", fmt.Errorf("%w: %q", ErrInvalidState, opt.State)
	}
	pos, err := decodeCursor(opt.Cursor)
	if err != nil {
		return nil, "", err
	}
	keys := s.stateKeys(anyState)
	if opt.State != "" {
		keys = []string{s.stateKey(opt.State)}
	}
	return s.listFrom(ctx, keys, opt.State, pos, clamp(opt.Limit, defaultListLimit, maxListLimit))
}

func (s *Store) listFrom(ctx context.Context, keys []string, state State, pos *position, limit int) ([]*Record, string, error) {
	out := make([]*Record, 0, limit)
	for range maxListRounds {
		want := limit - len(out) + 1 // one more, to know whether the page is the last
		entries, err := s.scanAll(ctx, keys, pos, want, true)
		if err != nil {
			return nil, "", err
		}
		recs, err := s.getMany(ctx, entries)
		if err != nil {
			return nil, "", err
		}
		for i := range entries {
			if len(out) == limit {
				return out, pos.encode(), nil
			}
			pos = &entries[i]
			if recs[i] != nil && (state == "" || recs[i].State == state) {
				out = append(out, recs[i])
			}
		}
		if len(entries) < want {
			return out, "", nil
		}
	}
	return out, pos.encode(), nil
}

// getMany reads the records of entries in one round trip; a missing one is nil.
func (s *Store) getMany(ctx context.Context, entries []position) ([]*Record, error) {
	cmds := make([]*redis.StringCmd, len(entries))
	err := s.pipelined(ctx, func(p redis.Pipeliner) {
		for i, e := range entries {
			cmds[i] = p.Get(ctx, s.RecordKey(e.id))
		}
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("tasks: list: %w", err)
	}
	recs := make([]*Record, len(entries))
	for i, cmd := range cmds {
		raw, err := cmd.Bytes()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if recs[i], err = decodeRecord(entries[i].id, raw); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// Open returns the ids of non-terminal records, oldest first, at most limit
// of them (for the sweeper).
//
// The ids come from the non-terminal states' indexes, which can briefly hold an id whose record
// is already terminal or not yet written; the sweeper loads each record and
// calls Reindex for one that does not belong. limit <= 0 means 100.
func (s *Store) Open(ctx context.Context, limit int) ([]string, error) {
	ids, _, err := s.OpenPage(ctx, "", limit)
	return ids, err
}

// OpenPage is Open from a cursor: it returns at most limit ids after cursor
// ("" for the oldest) and the cursor of the next page ("" at the end), so a
// sweeper can walk every open record even when the oldest stay open for
// hours. limit <= 0 means 100; at most 10000.
func (s *Store) OpenPage(ctx context.Context, cursor string, limit int) ([]string, string, error) {
	pos, err := decodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	limit = clamp(limit, defaultOpenLimit, maxOpenLimit)
	entries, err := s.scanAll(ctx, s.stateKeys(nonTerminal), pos, limit, false)
	if err != nil {
		return nil, "", err
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.id
	}
	if len(entries) < limit {
		return ids, "", nil
	}
	return ids, entries[len(entries)-1].encode(), nil
}

func clamp(n, def, most int) int {
	if n <= 0 {
		return def
	}
	return min(n, most)
}

// StoreStats are counts for the metrics gauges, read from the indexes (which
// the sweeper keeps repaired) in one round trip.
type StoreStats struct {
	// States counts records per non-terminal state.
	States map[State]int64
	// Open counts the entries of the non-terminal states' indexes.
	Open int64
	// OldestOpenID is the oldest open record's id, "" when none is open.
	OldestOpenID string
	// OldestOpenAge is its age (0 when none is open).
	OldestOpenAge time.Duration
}

// Stats returns the record counts per non-terminal state and the oldest open
// record.
func (s *Store) Stats(ctx context.Context) (StoreStats, error) {
	counts := map[State]*redis.IntCmd{}
	oldest := map[State]*redis.ZSliceCmd{}
	err := s.pipelined(ctx, func(p redis.Pipeliner) {
		for _, st := range States {
			if !st.Terminal() {
				counts[st] = p.ZCard(ctx, s.stateKey(st))
				oldest[st] = p.ZRangeWithScores(ctx, s.stateKey(st), 0, 0)
			}
		}
	})
	if err != nil {
		return StoreStats{}, fmt.Errorf("tasks: stats: %w", err)
	}
	st := StoreStats{States: map[State]int64{}}
	var first *position
	for state, cmd := range counts {
		st.States[state] = cmd.Val()
		st.Open += cmd.Val()
		if z := positions(oldest[state].Val()); len(z) == 1 && (first == nil || z[0].before(*first)) {
			first = &z[0]
		}
	}
	if first != nil {
		st.OldestOpenID = first.id
		st.OldestOpenAge = max(s.now().Sub(time.UnixMilli(first.score)), 0)
	}
	return st, nil
}

// position is an index entry: an id and its score (CreatedAt in Unix ms).
type position struct {
	score int64
	id    string
}

// before reports whether p comes before q oldest first: by score, then id.
func (p position) before(q position) bool {
	return p.score < q.score || p.score == q.score && p.id < q.id
}

// encode returns the opaque cursor of p: base64url("<score>:<id>").
func (p *position) encode() string {
	if p == nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(p.score, 10) + ":" + p.id))
}

func decodeCursor(c string) (*position, error) {
	if c == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	score, id, _ := strings.Cut(string(b), ":")
	n, perr := strconv.ParseInt(score, 10, 64)
	if err != nil || perr != nil || !validThirdPartyID(id) {
		return nil, ErrInvalidCursor
	}
	return &position{score: n, id: id}, nil
}

// scanAll is scan over several indexes at once: their entries after pos
// merged in the same order, each id once (a record between two state
// indexes on Redis Cluster can briefly be in both), at most n.
func (s *Store) scanAll(ctx context.Context, keys []string, pos *position, n int, newestFirst bool) ([]position, error) {
	var all []position
	for _, key := range keys {
		got, err := s.scan(ctx, key, pos, n, newestFirst)
		if err != nil {
			return nil, err
		}
		all = append(all, got...)
	}
	slices.SortFunc(all, func(a, b position) int {
		switch {
		case a == b:
			return 0
		case a.before(b) != newestFirst:
			return -1
		}
		return 1
	})
	all = slices.CompactFunc(all, func(a, b position) bool { return a.id == b.id })
	return all[:min(n, len(all))], nil
}

// scan returns at most n entries of the sorted set key after pos (from the
// start when pos is nil), newest first or oldest first. Entries are ordered
// by score, then by id; the ones sharing pos's score are read separately so
// the cursor is exact even when many records share a millisecond.
func (s *Store) scan(ctx context.Context, key string, pos *position, n int, newestFirst bool) ([]position, error) {
	if pos == nil {
		z, err := s.rdb.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: key, Start: 0, Stop: n - 1, Rev: newestFirst}).Result()
		return positions(z), err
	}
	score := strconv.FormatInt(pos.score, 10)
	beyond := redis.ZRangeArgs{Key: key, Start: "(" + score, Stop: "+inf", ByScore: true, Count: int64(n)}
	if newestFirst {
		beyond.Stop, beyond.Rev = "-inf", true
	}
	var ties, rest *redis.ZSliceCmd
	err := s.pipelined(ctx, func(p redis.Pipeliner) {
		ties = p.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: key, Start: score, Stop: score, ByScore: true, Rev: newestFirst})
		rest = p.ZRangeArgsWithScores(ctx, beyond)
	})
	if err != nil {
		return nil, fmt.Errorf("tasks: scan %s: %w", key, err)
	}
	out := afterID(positions(ties.Val()), pos.id, newestFirst)
	out = append(out, positions(rest.Val())...)
	return out[:min(n, len(out))], nil
}

// afterID keeps the tied entries that come after id in the scan's order.
func afterID(ties []position, id string, newestFirst bool) []position {
	out := ties[:0]
	for _, t := range ties {
		if newestFirst && t.id < id || !newestFirst && t.id > id {
			out = append(out, t)
		}
	}
	return out
}

func positions(z []redis.Z) []position {
	out := make([]position, len(z))
	for i, m := range z {
		out[i].score = int64(m.Score)
		out[i].id, _ = m.Member.(string)
	}
	return out
}
