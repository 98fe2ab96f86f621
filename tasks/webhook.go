package tasks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"
)

// Delivery is one webhook event of a payout and how its delivery went. The
// deliveries live beside the record, in a hash in the record's slot
// (WebhooksKey), not in the record: a terminal record never changes, and its
// event is delivered after it became terminal.
type Delivery struct {
	// Event is the event's name: a terminal state, "unconfirmed" or "held".
	Event string `json:"event"`
	// ID is the event's webhook-id, the same on every attempt and resend.
	ID string `json:"id"`
	// Version is the record's Version the event carries.
	Version int64 `json:"version"`
	// At is when the event happened (the body's timestamp).
	At time.Time `json:"at"`
	// Round counts the resends (0: the first delivery).
	Round int `json:"round"`
	// Attempts counts the POSTs made, over every round.
	Attempts int `json:"attempts"`
	// LastStatus is the HTTP status of the last attempt (0: no answer).
	LastStatus int `json:"last_status,omitempty"`
	// LastError says why the last attempt failed; it names the host only.
	LastError     string     `json:"last_error,omitempty"`
	LastAttemptAt *time.Time `json:"last_attempt_at,omitempty"`
	// DeliveredAt is when the receiver acknowledged the current round.
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	// Exhausted says the current round used all its attempts.
	Exhausted bool `json:"exhausted,omitempty"`
	// Body is the exact JSON body POSTed, fixed when the event is added.
	Body json.RawMessage `json:"body,omitempty"`
}

// Done reports whether the current round is over: delivered or exhausted.
func (d *Delivery) Done() bool { return d.DeliveredAt != nil || d.Exhausted }

// WebhookEventID is the webhook-id of payout id's event: "evt_" and 32 hex
// digits of SHA-256 over "<id>:<event>". It is deterministic, so every
// attempt, re-enqueue and resend of the event carries the same id, and
// header-safe. A payout has each event at most once (a state is entered once;
// "held" is its first hold).
func WebhookEventID(id, event string) string {
	sum := sha256.Sum256([]byte(id + ":" + event))
	return "evt_" + hex.EncodeToString(sum[:16])
}

// WebhooksKey returns the key of a payout's deliveries: a hash of event name
// to Delivery JSON, in the record's hash slot.
func (s *Store) WebhooksKey(id string) string { return s.cfg.KeyPrefix + "webhooks:{" + id + "}" }

// addEventScript sets field ARGV[1] to ARGV[2] unless it exists, and
// returns the field's value (nil when it wrote).
var addEventScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then return cur end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return false`)

// hashCASScript sets field ARGV[1] to ARGV[3] if it still holds ARGV[2].
var hashCASScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`)

// AddDelivery stores d (an event of payout id) unless an event of that name
// exists. It returns the stored delivery and whether it was added: the first
// writer of an event wins, so its body and id never change.
func (s *Store) AddDelivery(ctx context.Context, id string, d Delivery) (*Delivery, bool, error) {
	if !validThirdPartyID(id) {
		return nil, false, ErrNotFound
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, false, fmt.Errorf("tasks: add delivery %s: %w", id, err)
	}
	cur, err := addEventScript.Run(ctx, s.rdb, []string{s.WebhooksKey(id)}, d.Event, raw).Text()
	if errors.Is(err, redis.Nil) {
		return &d, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("tasks: add delivery %s: %w", id, err)
	}
	out, err := decodeDelivery(id, []byte(cur))
	return out, false, err
}

// Delivery returns payout id's delivery of event, or ErrNotFound.
func (s *Store) Delivery(ctx context.Context, id, event string) (*Delivery, error) {
	raw, err := s.deliveryRaw(ctx, id, event)
	if err != nil {
		return nil, err
	}
	return decodeDelivery(id, raw)
}

func (s *Store) deliveryRaw(ctx context.Context, id, event string) ([]byte, error) {
	if !validThirdPartyID(id) {
		return nil, ErrNotFound
	}
	raw, err := s.rdb.HGet(ctx, s.WebhooksKey(id), event).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("tasks: get delivery %s %s: %w", id, event, err)
	}
	return raw, nil
}

// Deliveries returns payout id's deliveries, oldest event first (by Version);
// none is an empty list.
func (s *Store) Deliveries(ctx context.Context, id string) ([]*Delivery, error) {
	if !validThirdPartyID(id) {
		return nil, nil
	}
	all, err := s.rdb.HGetAll(ctx, s.WebhooksKey(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("tasks: deliveries %s: %w", id, err)
	}
	out := make([]*Delivery, 0, len(all))
	for _, raw := range all {
		d, err := decodeDelivery(id, []byte(raw))
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// UpdateDelivery changes payout id's delivery of event atomically
// (compare-and-set on its hash field, retried on contention). fn mutates
// the delivery; an error aborts without a write. The Event, ID, Version, At
// and Body of a delivery never change.
func (s *Store) UpdateDelivery(ctx context.Context, id, event string, fn func(d *Delivery) error) (*Delivery, error) {
	for attempt := range maxUpdateAttempts {
		if err := backoff(ctx, attempt); err != nil {
			return nil, err
		}
		d, won, err := s.tryUpdateDelivery(ctx, id, event, fn)
		if won || err != nil {
			return d, err
		}
	}
	return nil, fmt.Errorf("%w: delivery %s %s after %d attempts", ErrContention, id, event, maxUpdateAttempts)
}

func (s *Store) tryUpdateDelivery(ctx context.Context, id, event string, fn func(d *Delivery) error) (*Delivery, bool, error) {
	raw, err := s.deliveryRaw(ctx, id, event)
	if err != nil {
		return nil, false, err
	}
	d, err := decodeDelivery(id, raw)
	if err != nil {
		return nil, false, err
	}
	fixed := *d
	if err := fn(d); err != nil {
		return nil, false, err
	}
	d.Event, d.ID, d.Version, d.At, d.Body = fixed.Event, fixed.ID, fixed.Version, fixed.At, fixed.Body
	next, err := json.Marshal(d)
	if err != nil {
		return nil, false, fmt.Errorf("tasks: update delivery %s: %w", id, err)
	}
	won, err := hashCASScript.Run(ctx, s.rdb, []string{s.WebhooksKey(id)}, event, raw, next).Int()
	if err != nil {
		return nil, false, fmt.Errorf("tasks: update delivery %s: %w", id, err)
	}
	return d, won == 1, nil
}

func decodeDelivery(id string, raw []byte) (*Delivery, error) {
	var d Delivery
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("tasks: decode delivery %s: %w", id, err)
	}
	return &d, nil
}
