package worker

import (
	"context"
	"errors"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/internal/metrics"
	"github.com/payoutd/payoutd/tasks"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// Config configures a Pipeline. Every field states its default.
type Config struct {
	// Redis holds records, leases and the rate limit. Required.
	Redis redis.UniversalClient
	// Asynq enqueues tasks (polls, re-drives). Required.
	Asynq *asynq.Client
	// Cregis is the Cregis client. Required.
	Cregis *cregis.Client
	// Store is the record store. Required.
	Store *tasks.Store
	// Queues names the asynq queues. Default tasks.NewQueues("").
	Queues tasks.Queues
	// KeyPrefix starts payoutd's own Redis keys (leases, rate limit). Default "payoutd:".
	KeyPrefix string
	// CallbackURL, when set, is sent as callback_url on every create.
	CallbackURL string
	// PollMinInterval and PollMaxInterval bound the poll schedule. Defaults 15s and 10m.
	PollMinInterval, PollMaxInterval time.Duration
	// StuckAfter flags a non-terminal payout older than this. Default 24h.
	StuckAfter time.Duration
	// RateLimit is the fleet-wide number of Cregis calls per second; 0 is unlimited.
	RateLimit int
	// CregisTimeout is the Cregis client's per-call timeout, used to size the
	// task timeout and the submit lease. Default cregis.DefaultTimeout.
	CregisTimeout time.Duration
	// Logger logs. Default: a disabled logger.
	Logger zerolog.Logger
	// Metrics records; nil records nothing.
	Metrics *metrics.Metrics
	// NowFunc returns the current time. Default time.Now.
	NowFunc func() time.Time
}

// Pipeline holds the payout logic: task handlers, callback application and
// operator actions. It does not run anything by itself; a Server runs its
// handlers, and the HTTP surface calls its actions. It is safe for
// concurrent use.
type Pipeline struct {
	cfg Config
}

// NewPipeline validates cfg and returns a Pipeline.
func NewPipeline(cfg Config) (*Pipeline, error) { panic("unimplemented") }

// ServeMux returns the asynq handler for every task type.
func (p *Pipeline) ServeMux() *asynq.ServeMux { panic("unimplemented") }

// HandleSubmit handles tasks.TypeSubmit: creates the payout at Cregis at most
// once in flight, with the record's third_party_id on every attempt.
func (p *Pipeline) HandleSubmit(ctx context.Context, t *asynq.Task) error { panic("unimplemented") }

// HandlePoll handles tasks.TypePoll: queries the payout's status and
// schedules the next poll until it is terminal.
func (p *Pipeline) HandlePoll(ctx context.Context, t *asynq.Task) error { panic("unimplemented") }

// HandleSweep handles tasks.TypeSweep: re-drives non-terminal records that
// have no live task and refreshes the payout gauges.
func (p *Pipeline) HandleSweep(ctx context.Context, t *asynq.Task) error { panic("unimplemented") }

// ApplyCallback moves the record a verified Cregis callback names through the
// same transitions as a poll would. It returns nil only once the outcome is
// durably recorded (or was already), so the caller may then acknowledge.
// Errors: tasks.ErrNotFound for an unknown payout; ErrOutcomeConflict when the
// record is terminal with a different outcome.
func (p *Pipeline) ApplyCallback(ctx context.Context, cb *cregis.Callback) (*tasks.Record, error) {
	panic("unimplemented")
}

// Retry re-drives a non-terminal payout now (operator action).
func (p *Pipeline) Retry(ctx context.Context, id string) (*tasks.Record, error) {
	panic("unimplemented")
}

// Resolve settles an unconfirmed payout with the cid an operator found in the
// Cregis client: it queries Cregis, requires the answer's third_party_id to
// match, records the cid and polls it to terminal.
func (p *Pipeline) Resolve(ctx context.Context, id, cid string) (*tasks.Record, error) {
	panic("unimplemented")
}

// ErrOutcomeConflict is returned by ApplyCallback when the record is terminal
// with a different outcome than the callback reports.
var ErrOutcomeConflict = errors.New("callback conflicts with the recorded terminal outcome")
