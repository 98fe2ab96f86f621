package tasks

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Fields of an entry of the events stream (see EventsKey).
const (
	EventThirdPartyID = "third_party_id"
	EventFrom         = "from" // "" for the creation
	EventTo           = "to"
	EventReason       = "reason"
	EventAt           = "at" // RFC 3339 with nanoseconds, UTC
	EventCID          = "cid"
)

// DefaultEventsMaxAge is StoreConfig.EventsMaxAge's default.
const DefaultEventsMaxAge = 7 * 24 * time.Hour

// EventsKey returns the key of the events stream: every state transition of
// every record (creation included, from ""), appended with the record write
// with XADD, trimmed to about StoreConfig.EventsMaxLen entries, and cleared
// of entries older than StoreConfig.EventsMaxAge by TrimEvents. Backends
// read it (XREAD, or a consumer group) to learn outcomes. On a single Redis
// the entry is written in the record's own script; on Redis Cluster it
// follows the record write and can be missing if Redis failed in between.
// Either way it can be trimmed before a slow reader sees it, so a backend
// that must not miss an outcome also reads the record (Store.Get or the HTTP
// API) or uses notify_url.
func (s *Store) EventsKey() string { return s.cfg.KeyPrefix + "events" }

// eventCommand is the XADD of rec's latest transition.
func (s *Store) eventCommand(rec *Record) command {
	t := rec.History[len(rec.History)-1]
	return command{name: "XADD", key: s.EventsKey(), args: []any{
		"MAXLEN", "~", s.cfg.EventsMaxLen, "*",
		EventThirdPartyID, rec.ThirdPartyID,
		EventFrom, string(t.From),
		EventTo, string(t.To),
		EventReason, t.Reason,
		EventAt, eventTime(t.At),
		EventCID, rec.CID,
	}}
}

// TrimEvents drops the events older than StoreConfig.EventsMaxAge (by the
// entry ids, which are Redis's clock in ms, against this process's clock)
// and returns how many it dropped. The sweeper calls it, so that a quiet
// stream does not keep old outcomes for ever, as a length cap alone would.
func (s *Store) TrimEvents(ctx context.Context) (int64, error) {
	minID := strconv.FormatInt(s.now().Add(-s.cfg.EventsMaxAge).UnixMilli(), 10)
	n, err := s.rdb.XTrimMinID(ctx, s.EventsKey(), minID).Result()
	if err != nil {
		return 0, fmt.Errorf("tasks: trim events: %w", err)
	}
	return n, nil
}

// eventTime is an event's at: RFC 3339 with nanoseconds, UTC.
func eventTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
