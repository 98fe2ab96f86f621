package tasks

import "time"

// Fields of an entry of the events stream (see EventsKey).
const (
	EventThirdPartyID = "third_party_id"
	EventFrom         = "from" // "" for the creation
	EventTo           = "to"
	EventReason       = "reason"
	EventAt           = "at" // RFC 3339 with nanoseconds, UTC
	EventCID          = "cid"
)

// EventsKey returns the key of the events stream: every state transition of
// every record (creation included, from ""), appended after the record write
// with XADD and trimmed to about StoreConfig.EventsMaxLen entries. Backends
// read it (XREAD, or a consumer group) to learn outcomes. It is best-effort:
// an entry can be missing if Redis failed right after the record write, so a
// backend that must not miss an outcome also reads the record (Store.Get or
// the HTTP API) or uses notify_url.
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
		EventAt, t.At.UTC().Format(time.RFC3339Nano),
		EventCID, rec.CID,
	}}
}
