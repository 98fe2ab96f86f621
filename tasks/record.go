package tasks

import (
	"slices"
	"time"

	"github.com/payoutd/payoutd/cregis"
)

// State is where a payout is in its life. See the README for the diagram.
type State string

// Payout states.
const (
	StateQueued      State = "queued"      // recorded; no create call made yet
	StateSubmitting  State = "submitting"  // a create call may have been made; its outcome is not known yet
	StateSubmitted   State = "submitted"   // Cregis accepted it; cid known; being polled
	StateUnconfirmed State = "unconfirmed" // Cregis says the id exists (E0009) but the cid is unknown
	StateSucceeded   State = "succeeded"   // terminal: on chain (Cregis status 6)
	StateFailed      State = "failed"      // terminal: Cregis status 2, 3, 4 or 7
	StateRejected    State = "rejected"    // terminal: Cregis refused the create; nothing exists there
	StateCanceled    State = "canceled"    // terminal: withdrawn by the backend before anything existed at Cregis
)

// Terminal reports whether s never changes again.
func (s State) Terminal() bool {
	return s == StateSucceeded || s == StateFailed || s == StateRejected || s == StateCanceled
}

// NeverCreated reports whether s is a terminal state that says the payout
// does not exist at Cregis (rejected, canceled): news of it from Cregis
// contradicts the record.
func (s State) NeverCreated() bool { return s == StateRejected || s == StateCanceled }

// Record is the payout record: the source of truth, one per ThirdPartyID.
// Its JSON is what the HTTP API returns; fields change only additively.
type Record struct {
	Request
	State         State          `json:"state"`
	CID           string         `json:"cid"`           // decimal string: int64 above 2^53
	CregisStatus  *cregis.Status `json:"cregis_status"` // nil until Cregis reports one
	TxID          string         `json:"txid"`
	BlockHeight   string         `json:"block_height"`
	BlockTime     int64          `json:"block_time"` // Unix ms
	Attempts      int            `json:"attempts"`   // create calls made
	LastError     string         `json:"last_error"` // sanitised: never a key or a sign
	QueryEndpoint string         `json:"query_endpoint,omitempty"`
	PollSeq       int64          `json:"poll_seq,omitempty"` // sequence of the live poll task
	Stuck         bool           `json:"stuck,omitempty"`    // non-terminal longer than the threshold
	Hints         []Hint         `json:"hints,omitempty"`    // claims from outside awaiting a query (see Hint)
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
	// Version counts the record's writes: 1 at creation, incremented by the
	// store on every write, so it strictly increases across a payout's
	// webhooks and a receiver can drop a stale, reordered delivery. Records
	// written before it existed decode as 0.
	Version int64        `json:"version"`
	History []Transition `json:"history"`
}

// Transition is one entry of a record's history.
type Transition struct {
	At     time.Time `json:"at"`
	From   State     `json:"from"`
	To     State     `json:"to"`
	Reason string    `json:"reason"`
}

// transitions is the state machine: the states each state may move to. It
// is the single source of truth (LegalTransition reads it; the package doc
// draws it). A submitting record may jump straight to a terminal state or to
// submitted because a Cregis callback or a poll can beat the create response.
var transitions = map[State][]State{
	StateQueued:      {StateSubmitting, StateRejected, StateCanceled},
	StateSubmitting:  {StateSubmitting, StateSubmitted, StateUnconfirmed, StateRejected, StateSucceeded, StateFailed, StateCanceled},
	StateSubmitted:   {StateSubmitted, StateSucceeded, StateFailed},
	StateUnconfirmed: {StateUnconfirmed, StateSubmitted, StateSucceeded, StateFailed},
}

// States lists every state, in the order of a payout's life.
var States = []State{
	StateQueued, StateSubmitting, StateSubmitted, StateUnconfirmed,
	StateSucceeded, StateFailed, StateRejected, StateCanceled,
}

// Valid reports whether s is one of the named states.
func (s State) Valid() bool { return slices.Contains(States, s) }

// LegalTransition reports whether a record may move from one state to
// another. Terminal states never move; a same-state update is legal for
// non-terminal states. The table is in the package documentation.
func LegalTransition(from, to State) bool {
	if from == to {
		return from.Valid() && !from.Terminal()
	}
	return slices.Contains(transitions[from], to)
}
