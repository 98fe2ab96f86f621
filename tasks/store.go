package tasks

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// StoreConfig configures a Store.
type StoreConfig struct {
	// KeyPrefix starts every key. Default "payoutd:".
	KeyPrefix string
	// NowFunc returns the current time. Default time.Now.
	NowFunc func() time.Time
}

// Store keeps payout records in Redis. Each record lives in one key whose hash
// tag is its ThirdPartyID, so every atomic operation touches one hash slot and
// the layout works on Redis Cluster. Indexes (by creation time, by state, open
// records) live in other keys, are updated after the record, and are repaired
// by the sweeper.
type Store struct {
	rdb redis.UniversalClient
	cfg StoreConfig
}

// NewStore returns a Store over rdb.
func NewStore(rdb redis.UniversalClient, cfg StoreConfig) *Store {
	panic("unimplemented")
}

// Create writes a new queued record for req unless one exists. It returns the
// record and whether it was created. The same request again returns the
// existing record; a different request with the same ThirdPartyID returns
// ErrConflict (with the existing record). req must be valid.
func (s *Store) Create(ctx context.Context, req Request) (*Record, bool, error) {
	panic("unimplemented")
}

// Get returns the record, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (*Record, error) {
	panic("unimplemented")
}

// Update changes a record atomically (compare-and-set in one transaction on
// the record's key, retried on contention). fn gets the current record and
// mutates it; returning an error aborts without a write. If fn changed the
// state, the change must be legal (else ErrIllegalTransition, nothing
// written) and is appended to the history with reason. A terminal record
// never changes: Update returns ErrIllegalTransition without calling fn
// ... unless fn is nil-effect. UpdatedAt is set by the store.
func (s *Store) Update(ctx context.Context, id, reason string, fn func(r *Record) error) (*Record, error) {
	panic("unimplemented")
}

// ListOptions selects a page of records.
type ListOptions struct {
	State  State  // "" for every state
	Limit  int    // default 50, at most 500
	Cursor string // from the previous page; "" for the first
}

// List returns records newest first, and the cursor of the next page ("" at
// the end).
func (s *Store) List(ctx context.Context, opt ListOptions) ([]*Record, string, error) {
	panic("unimplemented")
}

// Open returns the ids of non-terminal records, oldest first, at most limit
// of them (for the sweeper).
func (s *Store) Open(ctx context.Context, limit int) ([]string, error) {
	panic("unimplemented")
}
