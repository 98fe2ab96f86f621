package worker

import (
	"errors"
	"fmt"
	"net/http"
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
	// Inspector finds and re-runs tasks (sweeper, operator retry). Default:
	// an inspector over Redis, which must then be asynq's Redis too.
	Inspector *asynq.Inspector
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
	// PollOnChainInterval is the wait between polls while a payout is on
	// chain (status 1), when callbacks are off. Default 40s.
	PollOnChainInterval time.Duration
	// PollApprovalInterval is the shortest wait between polls while a
	// payout waits on people (status 0 or 5), when callbacks are off; it
	// grows with the payout's age (a tenth of it) up to PollMaxInterval.
	// Default 100s.
	PollApprovalInterval time.Duration
	// PollSafetyInterval is the wait between polls of a payout without news
	// when callbacks are on (CallbackURL set): a safety net for lost
	// callbacks and for status 3, which sends none. Default 30m.
	PollSafetyInterval time.Duration
	// NotFoundAfter is how long after its submission a payout Cregis does not
	// find (on either query endpoint) is flagged in LastError. It is never
	// failed for that: Cregis gave us its cid. Default 10m.
	NotFoundAfter time.Duration
	// StuckAfter flags a non-terminal payout older than this. Default 24h.
	StuckAfter time.Duration
	// RecordRetention is how long a terminal record is kept: the sweeper
	// removes records terminal for longer (with their index entries,
	// per-payout keys and tasks), in bounded batches. After that the same
	// third_party_id is unknown to payoutd. Default 0: kept forever.
	RecordRetention time.Duration
	// RateLimit is the fleet-wide number of Cregis calls per second; 0 is unlimited.
	RateLimit int
	// CregisTimeout is the Cregis client's per-call timeout, used to size the
	// task timeout and the submit lease. Default cregis.DefaultTimeout.
	CregisTimeout time.Duration
	// SubmitTimeout is the timeout of the submit tasks the worker enqueues
	// again (sweeper, operator retry). Default 60s, as tasks.ProducerConfig.
	SubmitTimeout time.Duration
	// NotifyURL is where the webhooks of a payout without a notify_url go
	// (an absolute http or https URL). Default "": such payouts send none.
	NotifyURL string
	// WebhookSecrets sign every webhook, per Standard Webhooks: each is
	// "whsec_" and a base64 key, and each adds a "v1,<signature>" to the
	// webhook-signature header. At most two: the current and, during a
	// rotation, the next. Default none: webhooks are sent unsigned.
	WebhookSecrets []string
	// WebhookClient sends the webhooks. Default: a client with a 10s timeout
	// that does not follow redirects.
	WebhookClient *http.Client
	// Logger logs. Default: a disabled logger.
	Logger zerolog.Logger
	// Metrics records; nil records nothing.
	Metrics *metrics.Metrics
	// NowFunc returns the current time. Default time.Now.
	NowFunc func() time.Time
}

// Defaults of Config.
const (
	DefaultKeyPrefix       = "payoutd:"
	DefaultPollMinInterval = 15 * time.Second
	DefaultPollMaxInterval = 10 * time.Minute
	DefaultPollOnChain     = 40 * time.Second
	DefaultPollApproval    = 100 * time.Second
	DefaultPollSafety      = 30 * time.Minute
	DefaultNotFoundAfter   = 10 * time.Minute
	DefaultStuckAfter      = 24 * time.Hour
	DefaultSubmitTimeout   = 60 * time.Second
	DefaultWebhookTimeout  = 10 * time.Second
)

// writeTimeout bounds a Redis write made after a Cregis call, which must
// land even when the task's context has ended: the call's outcome is known
// only to this process.
const writeTimeout = 5 * time.Second

// withDefaults returns cfg with every zero field set to its default.
func (cfg Config) withDefaults() Config {
	if cfg.Queues == (tasks.Queues{}) {
		cfg.Queues = tasks.NewQueues("")
	}
	cfg.KeyPrefix = orDefault(cfg.KeyPrefix, DefaultKeyPrefix)
	cfg.PollMinInterval = orDefault(cfg.PollMinInterval, DefaultPollMinInterval)
	cfg.PollMaxInterval = orDefault(cfg.PollMaxInterval, DefaultPollMaxInterval)
	cfg.PollOnChainInterval = orDefault(cfg.PollOnChainInterval, DefaultPollOnChain)
	cfg.PollApprovalInterval = orDefault(cfg.PollApprovalInterval, DefaultPollApproval)
	cfg.PollSafetyInterval = orDefault(cfg.PollSafetyInterval, DefaultPollSafety)
	cfg.NotFoundAfter = orDefault(cfg.NotFoundAfter, DefaultNotFoundAfter)
	cfg.StuckAfter = orDefault(cfg.StuckAfter, DefaultStuckAfter)
	cfg.CregisTimeout = orDefault(cfg.CregisTimeout, cregis.DefaultTimeout)
	cfg.SubmitTimeout = orDefault(cfg.SubmitTimeout, DefaultSubmitTimeout)
	if cfg.Inspector == nil && cfg.Redis != nil {
		cfg.Inspector = asynq.NewInspectorFromRedisClient(cfg.Redis)
	}
	if cfg.WebhookClient == nil {
		cfg.WebhookClient = &http.Client{Timeout: DefaultWebhookTimeout, CheckRedirect: noRedirects}
	}
	if cfg.NowFunc == nil {
		cfg.NowFunc = time.Now
	}
	return cfg
}

// validate returns an error naming the first invalid field.
func (cfg Config) validate() error {
	switch {
	case cfg.Redis == nil:
		return errors.New("worker: Config.Redis is required")
	case cfg.Asynq == nil:
		return errors.New("worker: Config.Asynq is required")
	case cfg.Cregis == nil:
		return errors.New("worker: Config.Cregis is required")
	case cfg.Store == nil:
		return errors.New("worker: Config.Store is required")
	case cfg.PollMinInterval < 0 || cfg.PollMaxInterval < cfg.PollMinInterval:
		return errors.New("worker: Config.PollMinInterval must be positive and at most PollMaxInterval")
	case cfg.PollOnChainInterval < 0 || cfg.PollApprovalInterval < 0 || cfg.PollSafetyInterval < 0:
		return errors.New("worker: Config poll intervals must not be negative")
	case cfg.RateLimit < 0:
		return errors.New("worker: Config.RateLimit must not be negative")
	case cfg.CregisTimeout < 0 || cfg.SubmitTimeout < 0 || cfg.StuckAfter < 0 || cfg.NotFoundAfter < 0 || cfg.RecordRetention < 0:
		return errors.New("worker: Config durations must not be negative")
	case checkNotifyURL(cfg.NotifyURL) != nil:
		return checkNotifyURL(cfg.NotifyURL)
	case checkWebhookSecrets(cfg.WebhookSecrets) != nil:
		return checkWebhookSecrets(cfg.WebhookSecrets)
	case cfg.SubmitTimeout <= cfg.CregisTimeout:
		return fmt.Errorf("worker: Config.SubmitTimeout (%s) must exceed CregisTimeout (%s): the create call must end before its task does", cfg.SubmitTimeout, cfg.CregisTimeout)
	}
	return nil
}

// Pipeline holds the payout logic: task handlers, callback application and
// operator actions. It does not run anything by itself; a Server runs its
// handlers, and the HTTP surface calls its actions. It is safe for
// concurrent use.
type Pipeline struct {
	cfg           Config
	limiter       *rateLimiter
	log           zerolog.Logger
	sweepPageSize int // open ids the sweeper reads at a time
}

// NewPipeline validates cfg and returns a Pipeline.
func NewPipeline(cfg Config) (*Pipeline, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Pipeline{cfg: cfg, limiter: newRateLimiter(cfg), log: cfg.Logger, sweepPageSize: defaultSweepPage}, nil
}

// ServeMux returns the asynq handler for every task type.
func (p *Pipeline) ServeMux() *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.HandleFunc(tasks.TypeSubmit, p.HandleSubmit)
	mux.HandleFunc(tasks.TypePoll, p.HandlePoll)
	mux.HandleFunc(tasks.TypeNotify, p.HandleNotify)
	mux.HandleFunc(tasks.TypeSweep, p.HandleSweep)
	mux.HandleFunc(tasks.TypeConfirm, p.HandleConfirm)
	mux.HandleFunc(tasks.TypeTradeScan, p.HandleTradeScan)
	return mux
}

// leaseTTL is how long a submit lease lives: comfortably above the Cregis
// call it guards, the writes around it and the submit task's timeout, so that
// it never expires while a create is in flight.
func (p *Pipeline) leaseTTL() time.Duration {
	return max(2*p.cfg.CregisTimeout, p.cfg.SubmitTimeout) + 30*time.Second
}

// pollTimeout is the timeout of a poll task: two queries (the fallback) and
// the writes.
func (p *Pipeline) pollTimeout() time.Duration { return 2*p.cfg.CregisTimeout + 15*time.Second }

func (p *Pipeline) now() time.Time { return p.cfg.NowFunc() }

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// checkNotifyURL checks Config.NotifyURL as the intake checks a notify_url.
func checkNotifyURL(u string) error {
	if err := tasks.ValidateNotifyURL(u); err != nil {
		return fmt.Errorf("worker: Config.NotifyURL: %w", err)
	}
	return nil
}
