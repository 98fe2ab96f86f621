package tasks

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// writeScript is every record write in one script: the create-if-absent or
// compare-and-set of the record, an optional lease operation in the record's
// slot, and the commands that follow the write (index entries, the event).
//
// KEYS[1] is the record; with a lease operation KEYS[2] and KEYS[3] are the
// lease and its marker; the following commands name further keys by index.
// ARGV[1] is the value the record must hold ("" for a create: it must not
// exist), ARGV[2] the new value, ARGV[3] the lease operation ("", "take",
// "give") with its token ARGV[4] and ARGV[5] (take: the lifetime in ms;
// give: "1" to clear the marker). From ARGV[6] come the commands, each as
// its argument count m, its name, the index of its key, and m arguments.
//
// It returns {1, lease} when it wrote (take: whether the marker was set
// before; give: whether the lease was still ours), {0, current} when the
// record holds something else (current false when absent), and {-1} when
// another holder has the lease (nothing written).
var writeScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '' then
	if cur then return {0, cur} end
elseif cur ~= ARGV[1] then
	return {0, cur}
end
local lease = 0
if ARGV[3] == 'take' then
	if not redis.call('SET', KEYS[2], ARGV[4], 'NX', 'PX', ARGV[5]) then return {-1} end
	lease = redis.call('EXISTS', KEYS[3])
	redis.call('SET', KEYS[3], '1')
elseif ARGV[3] == 'give' then
	if redis.call('GET', KEYS[2]) == ARGV[4] then
		redis.call('DEL', KEYS[2])
		if ARGV[5] == '1' then redis.call('DEL', KEYS[3]) end
		lease = 1
	end
end
redis.call('SET', KEYS[1], ARGV[2])
local i = 6
local n = #ARGV
while i <= n do
	local m = tonumber(ARGV[i])
	redis.call(ARGV[i + 1], KEYS[tonumber(ARGV[i + 2])], unpack(ARGV, i + 3, i + 2 + m))
	i = i + 3 + m
end
return {1, lease}`)

// createScript is writeScript's create on a single Redis with a fixed
// layout, for the intake's hot path (a third of the arguments, no loop): the
// record if absent, its index entry and its event, in one step. KEYS: the
// record, the queued index, the events stream. ARGV: the value, the index
// score, the id, the stream's MAXLEN, and the event's to, reason and at. The
// event's field names are the Event constants, as in Store.eventCommand. It
// answers as writeScript.
var createScript = redis.NewScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then
	return {0, redis.call('GET', KEYS[1])}
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', '` + EventThirdPartyID + `', ARGV[3], '` + EventFrom + `', '',
	'` + EventTo + `', ARGV[5], '` + EventReason + `', ARGV[6], '` + EventAt + `', ARGV[7], '` + EventCID + `', '')
return {1, 0}`)

// create writes a new record: by createScript on a single Redis, else by
// writeScript with its index entry and event following.
func (s *Store) create(ctx context.Context, rec *Record) (writeResult, error) {
	if !s.singleSlot() {
		return s.exec(ctx, write{id: rec.ThirdPartyID, value: rec.encode(), after: s.createCommands(rec), wait: s.durable()})
	}
	t := rec.History[len(rec.History)-1]
	keys := []string{s.RecordKey(rec.ThirdPartyID), s.stateKey(rec.State), s.EventsKey()}
	cmd, werr := s.runWaited(ctx, s.durable(), createScript, keys, rec.encode(), rec.score(), rec.ThirdPartyID,
		s.cfg.EventsMaxLen, string(t.To), t.Reason, eventTime(t.At))
	if cmd == nil {
		return writeResult{}, werr
	}
	res, err := parseWrite(cmd)
	if err != nil {
		return writeResult{}, err
	}
	return res, werr
}

// command is a Redis command on one key that follows a record write: an
// index entry or the event.
type command struct {
	name string
	key  string
	args []any
}

// leaseOp is a lease operation made atomically with a record write (see
// Lease).
type leaseOp struct {
	lease Lease
	take  bool // else give it back
	clear bool // give: clear the marker too
}

// write is one atomic record write.
type write struct {
	id     string
	expect []byte // the value the record must hold; nil for a create
	value  []byte
	lease  *leaseOp
	after  []command
	wait   bool // WAIT for the replicas after it
}

// writeResult is what the script answered.
type writeResult struct {
	won     bool
	busy    bool   // the lease is held by another: nothing written
	current []byte // when lost: the record's value (nil when absent)
	lease   bool   // when won: see writeScript
}

// singleSlot reports whether every key may go into one script: true on a
// single Redis (standalone, or behind Sentinel), false on Redis Cluster,
// where the index keys live in other slots than the record.
func (s *Store) singleSlot() bool {
	_, cluster := s.rdb.(*redis.ClusterClient)
	return !cluster
}

// exec runs w. On a single Redis the following commands run inside the
// script; on Redis Cluster they follow it in one pipeline, best-effort (see
// StoreConfig.IndexErrorFunc). The error wraps ErrNotDurable when the
// replicas did not confirm a write w waited for; the result stands.
func (s *Store) exec(ctx context.Context, w write) (writeResult, error) {
	inline := s.singleSlot()
	keys, args := s.scriptArgs(w, inline)
	cmd, werr := s.runWaited(ctx, w.wait, writeScript, keys, args...)
	if cmd == nil {
		return writeResult{}, werr
	}
	res, err := parseWrite(cmd)
	if err != nil {
		return writeResult{}, err
	}
	if res.won && !inline && len(w.after) > 0 {
		s.follow(ctx, w.id, w.after)
	}
	return res, werr
}

// scriptArgs lays w out as writeScript's keys and arguments, with the
// following commands inside when inline.
func (s *Store) scriptArgs(w write, inline bool) ([]string, []any) {
	keys := []string{s.RecordKey(w.id)}
	args := []any{string(w.expect), w.value, "", "", ""}
	if l := w.lease; l != nil {
		keys = append(keys, l.lease.Key, l.lease.MarkerKey)
		args[3] = l.lease.Token
		if l.take {
			args[2], args[4] = "take", l.lease.TTL.Milliseconds()
		} else {
			args[2], args[4] = "give", flag(l.clear)
		}
	}
	if !inline {
		return keys, args
	}
	for _, c := range w.after {
		keys = append(keys, c.key)
		args = append(args, len(c.args), c.name, len(keys))
		args = append(args, c.args...)
	}
	return keys, args
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// parseWrite reads writeScript's answer.
func parseWrite(cmd *redis.Cmd) (writeResult, error) {
	vals, err := cmd.Slice()
	if err != nil || len(vals) == 0 {
		return writeResult{}, fmt.Errorf("write script: %v %w", vals, err)
	}
	code, _ := vals[0].(int64)
	switch {
	case code == -1:
		return writeResult{busy: true}, nil
	case code == 1:
		n, _ := vals[1].(int64)
		return writeResult{won: true, lease: n == 1}, nil
	case len(vals) > 1:
		if cur, ok := vals[1].(string); ok {
			return writeResult{current: []byte(cur)}, nil
		}
	}
	return writeResult{}, nil // lost to a delete: the record is gone
}

// follow runs the commands that follow a write, in one pipeline (Redis
// Cluster), reporting a failure to IndexErrorFunc.
func (s *Store) follow(ctx context.Context, id string, cmds []command) {
	ctx, cancel := postWriteContext(ctx)
	defer cancel()
	s.reportIndexError(id, s.pipelined(ctx, func(p redis.Pipeliner) {
		for _, c := range cmds {
			p.Do(ctx, append([]any{c.name, c.key}, c.args...)...)
		}
	}))
}

// createCommands are the index entry and the event of a new record.
func (s *Store) createCommands(rec *Record) []command {
	score, id := rec.score(), rec.ThirdPartyID
	return []command{{name: "ZADD", key: s.stateKey(rec.State), args: []any{score, id}}, s.eventCommand(rec)}
}

// updateCommands move a record between state indexes and announce the
// change; a same-state update has none.
func (s *Store) updateCommands(cur, next *Record) []command {
	if cur.State == next.State {
		return nil
	}
	id := next.ThirdPartyID
	return []command{
		{name: "ZREM", key: s.stateKey(cur.State), args: []any{id}},
		{name: "ZADD", key: s.stateKey(next.State), args: []any{next.score(), id}},
		s.eventCommand(next),
	}
}

// score is the record's index score: CreatedAt in Unix ms.
func (r *Record) score() string { return strconv.FormatInt(r.CreatedAt.UnixMilli(), 10) }
