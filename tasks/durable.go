package tasks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultWaitTimeout is StoreConfig.WaitTimeout's default.
const DefaultWaitTimeout = time.Second

// syncTTL is how long the marker key a Sync writes lives.
const syncTTL = 10 * time.Second

// durable reports whether writes are followed by WAIT.
func (s *Store) durable() bool { return s.cfg.MinReplicas > 0 }

// slotConn is where the writes to key go: the client itself (one connection
// per pipeline), or on Redis Cluster the master of key's slot, so that WAIT
// runs on the node that took the write.
func (s *Store) slotConn(ctx context.Context, key string) (redis.Cmdable, error) {
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		return cc.MasterForKey(ctx, key)
	}
	return s.rdb, nil
}

// runWaited runs script on key and, when wait is set, WAIT right after it
// on the same connection. The script's result is returned whether or not
// the replicas confirmed; an unconfirmed write is ErrNotDurable.
func (s *Store) runWaited(ctx context.Context, wait bool, script *redis.Script, keys []string, args ...any) (*redis.Cmd, error) {
	if !wait {
		return script.Run(ctx, s.rdb, keys, args...), nil
	}
	key := keys[0]
	conn, err := s.slotConn(ctx, key)
	if err != nil {
		return nil, err
	}
	res, acks := s.evalWaited(ctx, conn, script, keys, args)
	if redis.HasErrorPrefix(res.Err(), "NOSCRIPT") { // first use on this node: load it, once
		if err := script.Load(ctx, conn).Err(); err != nil {
			return nil, err
		}
		res, acks = s.evalWaited(ctx, conn, script, keys, args)
	}
	if err := res.Err(); err != nil && !errors.Is(err, redis.Nil) {
		return res, res.Err()
	}
	return res, s.confirmed(key, acks)
}

// evalWaited sends the script by its hash and WAIT after it, in one round
// trip on conn.
func (s *Store) evalWaited(ctx context.Context, conn redis.Cmdable, script *redis.Script, keys []string, args []any) (res, acks *redis.Cmd) {
	_, _ = conn.Pipelined(ctx, func(p redis.Pipeliner) error { // each command keeps its own error
		res = script.EvalSha(ctx, p, keys, args...)
		acks = s.wait(ctx, p)
		return nil
	})
	return res, acks
}

// wait queues WAIT MinReplicas WaitTimeout on p.
func (s *Store) wait(ctx context.Context, p redis.Pipeliner) *redis.Cmd {
	return p.Do(ctx, "WAIT", s.cfg.MinReplicas, max(s.cfg.WaitTimeout.Milliseconds(), 1))
}

// confirmed turns WAIT's answer into nil or ErrNotDurable.
func (s *Store) confirmed(key string, acks *redis.Cmd) error {
	n, err := acks.Int64()
	if err != nil {
		return fmt.Errorf("%w: %s: WAIT: %w", ErrNotDurable, key, err)
	}
	if n < int64(s.cfg.MinReplicas) {
		return fmt.Errorf("%w: %s: %d of %d replicas confirmed within %s", ErrNotDurable, key, n, s.cfg.MinReplicas, s.cfg.WaitTimeout)
	}
	return nil
}

// Sync makes every earlier write to id's hash slot durable: it writes a
// short-lived marker key in the same slot and sends WAIT after it, on one
// connection (on Redis Cluster, the slot's master). WAIT covers the writes of
// its own connection, and the replication stream is ordered, so a confirmed
// marker confirms every write the node took before it. It returns an error
// wrapping ErrNotDurable when fewer than MinReplicas replicas confirmed in
// WaitTimeout, and does nothing (no round trip) when MinReplicas is 0.
func (s *Store) Sync(ctx context.Context, id string) error {
	if !s.durable() {
		return nil
	}
	key := s.cfg.KeyPrefix + "sync:{" + id + "}"
	conn, err := s.slotConn(ctx, key)
	if err != nil {
		return fmt.Errorf("tasks: sync %s: %w", id, err)
	}
	var set *redis.StatusCmd
	var acks *redis.Cmd
	_, _ = conn.Pipelined(ctx, func(p redis.Pipeliner) error {
		set = p.Set(ctx, key, "1", syncTTL)
		acks = s.wait(ctx, p)
		return nil
	})
	if err := set.Err(); err != nil {
		return fmt.Errorf("tasks: sync %s: %w", id, err)
	}
	return s.confirmed(s.RecordKey(id), acks)
}

// UpdateDurable is Update followed by WAIT after every write, for the writes
// a promise rests on: a create's verdict, a cid, a callback's outcome. When
// fn changed nothing, or the record is terminal, it still makes the record's
// earlier writes durable (Sync), so that a replay can be acknowledged. An
// unconfirmed write or Sync returns the record with an error wrapping
// ErrNotDurable: the write happened on the primary, and Sync may be retried.
// With MinReplicas 0 it is Update.
func (s *Store) UpdateDurable(ctx context.Context, id, reason string, fn func(r *Record) error) (*Record, error) {
	rec, _, err := s.UpdateWith(ctx, id, reason, UpdateOptions{Durable: true}, fn)
	return rec, err
}

// syncUnwritten makes an update that wrote nothing durable anyway (see
// UpdateDurable): it returns Sync's error, or err.
func (s *Store) syncUnwritten(ctx context.Context, id string, rec *Record, err error) error {
	if !s.durable() || !nothingToWrite(rec, err) {
		return err
	}
	if serr := s.Sync(ctx, id); serr != nil {
		return serr // not the refusal: nothing may be acknowledged yet
	}
	return err
}

// nothingToWrite reports whether an update that wrote nothing and returned
// rec and err found nothing to write: fn changed nothing, or the record was
// already terminal.
func nothingToWrite(rec *Record, err error) bool {
	var te *TransitionError
	if err == nil || errors.As(err, &te) && te.To == "" {
		return rec != nil
	}
	return false
}
