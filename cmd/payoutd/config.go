package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/payoutd/payoutd/tasks"
	"github.com/payoutd/payoutd/worker"
	"github.com/rs/zerolog"
)

// Config is payoutd's configuration, read from the environment by
// caarlos0/env. Each field's env tag names its variable, envDefault gives its
// default and help says what it means: `payoutd --help` and the README's
// configuration table are generated from these tags, so they cannot drift.
type Config struct {
	RedisURL          string        `env:"REDIS_URL" help:"redis://, rediss:// or redis-sentinel:// URL (redis-sentinel://[user:pass@]host:port[,host:port...][/db]?master_name=NAME); required except for demo. Speaks RESP2 unless it says ?protocol=3. With REDIS_CLUSTER_ADDRS it only supplies credentials, TLS and the protocol"`
	RedisClusterAddrs []string      `env:"REDIS_CLUSTER_ADDRS" help:"comma-separated host:port of Redis Cluster nodes; when set, Redis Cluster is used"`
	KeyPrefix         string        `env:"REDIS_KEY_PREFIX" envDefault:"payoutd:" help:"prefix of payoutd's own Redis keys (records, leases, rate limit)"`
	QueuePrefix       string        `env:"QUEUE_PREFIX" help:"prefix of the asynq queue names, so several deployments can share one Redis"`
	RedisMinReplicas  int           `env:"REDIS_MIN_REPLICAS" envDefault:"0" help:"replicas that must confirm (Redis WAIT) the writes a promise rests on: an accepted payout, a create's verdict, a terminal outcome, a callback before it is acknowledged. Unconfirmed: the intake answers 503 not_durable and a callback is not acknowledged. 0 waits for none"`
	RedisWaitTimeout  time.Duration `env:"REDIS_WAIT_TIMEOUT" envDefault:"1s" help:"how long one WAIT for REDIS_MIN_REPLICAS lasts; below the Redis read timeout (3s)"`

	CregisBaseURL    string        `env:"CREGIS_BASE_URL" help:"the project's Cregis gateway URL (https; plain http only for loopback)"`
	CregisPID        int64         `env:"CREGIS_PID" help:"the Cregis project id"`
	CregisAPIKey     secret        `env:"CREGIS_API_KEY" help:"the project's API key; never logged"`
	CregisAPIKeyFile string        `env:"CREGIS_API_KEY_FILE" help:"a file holding the API key (container secrets); instead of CREGIS_API_KEY"`
	CregisTimeout    time.Duration `env:"CREGIS_TIMEOUT" envDefault:"15s" help:"timeout of one Cregis call"`
	CregisRateLimit  int           `env:"CREGIS_RATE_LIMIT" envDefault:"0" help:"Cregis calls per second for the whole fleet; 0 is unlimited"`

	HTTPAddr  string   `env:"HTTP_ADDR" envDefault:":8080" help:"HTTP listen address"`
	PublicURL string   `env:"PUBLIC_URL" help:"payoutd's public base URL; when set every payout is created with callback_url PUBLIC_URL/cregis/callback"`
	APITokens []secret `env:"API_TOKENS" help:"comma-separated bearer tokens accepted on /v1; required with the api role"`

	WebhookSecrets []secret `env:"WEBHOOK_SECRET" help:"signs every webhook per Standard Webhooks (header webhook-signature): whsec_<base64 key>; during a rotation two, comma-separated, each adding a signature; unset: sent unsigned"`
	NotifyURL      string   `env:"NOTIFY_URL" help:"where the webhooks of payouts without a notify_url go (http or https URL); unset: those payouts send none"`

	MonitorUser     string `env:"MONITOR_USER" help:"basic-auth user of the Asynq web UI at /monitoring; the UI is off unless user and password are set"`
	MonitorPassword secret `env:"MONITOR_PASSWORD" help:"basic-auth password of the Asynq web UI"`
	MonitorReadonly bool   `env:"MONITOR_READONLY" envDefault:"true" help:"false lets the UI delete, run, archive tasks and pause queues"`

	PollMinInterval   time.Duration `env:"POLL_MIN_INTERVAL" envDefault:"15s" help:"shortest wait between two status queries of a payout"`
	PollMaxInterval   time.Duration `env:"POLL_MAX_INTERVAL" envDefault:"10m" help:"longest wait between two status queries of a payout"`
	PollOnChain       time.Duration `env:"POLL_ONCHAIN_INTERVAL" envDefault:"40s" help:"without callbacks: wait between status queries while a payout is on chain (Cregis status 1)"`
	PollApproval      time.Duration `env:"POLL_APPROVAL_INTERVAL" envDefault:"100s" help:"without callbacks: shortest wait between status queries while a payout waits on people (status 0 or 5); grows with its age (a tenth of it) up to POLL_MAX_INTERVAL"`
	PollSafety        time.Duration `env:"POLL_SAFETY_INTERVAL" envDefault:"30m" help:"with callbacks (PUBLIC_URL set): wait between the safety-net status queries of a payout without news"`
	TradeScanInterval time.Duration `env:"TRADE_SCAN_INTERVAL" envDefault:"1m" help:"period of the scan of Cregis's trade records for the cids of unconfirmed payouts (scheduler role); 0 turns it off"`
	StuckAfter        time.Duration `env:"STUCK_AFTER" envDefault:"24h" help:"a payout non-terminal for longer is flagged stuck (and still polled)"`
	RecordRetention   time.Duration `env:"RECORD_RETENTION" envDefault:"2160h" help:"a record terminal for longer is removed by the sweeper (90 days by default); 0 keeps records forever"`
	EventsMaxAge      time.Duration `env:"EVENTS_MAX_AGE" envDefault:"168h" help:"events older than this are dropped from the events stream by the sweeper (it also keeps at most about 100000)"`
	SweepInterval     time.Duration `env:"SWEEP_INTERVAL" envDefault:"1m" help:"period of the sweeper that re-drives payouts that lost their task (scheduler role)"`
	WorkerConcurrency int           `env:"WORKER_CONCURRENCY" envDefault:"10" help:"tasks a worker runs at once"`
	ShutdownTimeout   time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"40s" help:"on SIGINT/SIGTERM, how long in-flight tasks and requests get to finish; must exceed CREGIS_TIMEOUT"`
	Roles             []string      `env:"ROLES" envDefault:"api,worker,scheduler" help:"what this process runs, any of api (HTTP intake and callbacks), worker (task handlers), scheduler (sweeper)"`

	LogLevel  string `env:"LOG_LEVEL" envDefault:"info" help:"trace, debug, info, warn or error"`
	LogFormat string `env:"LOG_FORMAT" envDefault:"json" help:"json or console"`
}

// Roles a process can run.
const (
	roleAPI       = "api"
	roleWorker    = "worker"
	roleScheduler = "scheduler"
)

// has reports whether the process runs role.
func (c *Config) has(role string) bool { return slices.Contains(c.Roles, role) }

// secret is a string that never prints: fmt, JSON and text encodings show
// "[redacted]".
type secret string

const redacted = "[redacted]"

// String implements fmt.Stringer.
func (s secret) String() string { return redacted }

// GoString implements fmt.GoStringer.
func (s secret) GoString() string { return redacted }

// MarshalText implements encoding.TextMarshaler.
func (s secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// configError is a configuration problem naming its variable.
type configError struct{ Var, Problem string }

func (e *configError) Error() string { return "configuration: " + e.Var + ": " + e.Problem }

func problem(v, format string, args ...any) error {
	return &configError{Var: v, Problem: fmt.Sprintf(format, args...)}
}

// loadConfig reads the configuration from getenv, reads the key file, and
// validates the result. Empty variables count as unset.
func loadConfig(getenv func(string) string) (Config, error) {
	var cfg Config
	err := env.ParseWithOptions(&cfg, env.Options{Environment: environment(getenv)})
	if err != nil {
		return cfg, envError(err, getenv)
	}
	if err := cfg.loadAPIKey(); err != nil {
		return cfg, err
	}
	cfg.trim()
	return cfg, cfg.validate()
}

// configVars describes the fields of Config: variable, default, help.
type configVar struct {
	Field, Name, Default, Help string
	Secret                     bool
}

func configVars() []configVar {
	t := reflect.TypeFor[Config]()
	vars := make([]configVar, 0, t.NumField())
	for f := range t.Fields() {
		elem := f.Type
		if elem.Kind() == reflect.Slice {
			elem = elem.Elem()
		}
		vars = append(vars, configVar{
			Field: f.Name, Name: f.Tag.Get("env"), Default: f.Tag.Get("envDefault"),
			Help: f.Tag.Get("help"), Secret: elem == reflect.TypeFor[secret](),
		})
	}
	return vars
}

// environment reads every variable Config knows through getenv.
func environment(getenv func(string) string) map[string]string {
	m := map[string]string{}
	for _, v := range configVars() {
		if s := getenv(v.Name); s != "" {
			m[v.Name] = s
		}
	}
	return m
}

// envError turns a caarlos0/env error into a configError naming the
// variable. A secret's value is never shown.
func envError(err error, getenv func(string) string) error {
	var pe env.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("configuration: %v", err)
	}
	for _, v := range configVars() {
		if v.Field != pe.Name {
			continue
		}
		if v.Secret {
			return problem(v.Name, "cannot be parsed")
		}
		return problem(v.Name, "%q is not a valid %s", getenv(v.Name), kindName(pe.Type))
	}
	return fmt.Errorf("configuration: %v", err)
}

func kindName(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "duration (such as 15s, 2m or 1h)"
	case t.Kind() == reflect.Bool:
		return "boolean (true or false)"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return "integer"
	}
	return t.String()
}

// loadAPIKey takes the key from CREGIS_API_KEY_FILE when that is set.
func (c *Config) loadAPIKey() error {
	switch {
	case c.CregisAPIKey != "" && c.CregisAPIKeyFile != "":
		return problem("CREGIS_API_KEY_FILE", "set either CREGIS_API_KEY or CREGIS_API_KEY_FILE, not both")
	case c.CregisAPIKeyFile == "":
		return nil
	}
	b, err := os.ReadFile(c.CregisAPIKeyFile)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return problem("CREGIS_API_KEY_FILE", "cannot read %s: %v", c.CregisAPIKeyFile, err)
	}
	c.CregisAPIKey = secret(strings.TrimSpace(string(b)))
	if c.CregisAPIKey == "" {
		return problem("CREGIS_API_KEY_FILE", "%s is empty", c.CregisAPIKeyFile)
	}
	return nil
}

// trim drops blanks around list items.
func (c *Config) trim() {
	for i, t := range c.APITokens {
		c.APITokens[i] = secret(strings.TrimSpace(string(t)))
	}
	for i, t := range c.WebhookSecrets {
		c.WebhookSecrets[i] = secret(strings.TrimSpace(string(t)))
	}
	for i, r := range c.Roles {
		c.Roles[i] = strings.TrimSpace(r)
	}
	for i, a := range c.RedisClusterAddrs {
		c.RedisClusterAddrs[i] = strings.TrimSpace(a)
	}
}

// validate returns the first problem of c, naming its variable.
func (c *Config) validate() error {
	for _, check := range []func() error{
		c.validateRedis, c.validateCregis, c.validateHTTP, c.validateMonitor, c.validateWebhooks,
		c.validateWorker, c.validateRoles, c.validateLogging,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) validateRedis() error {
	switch {
	case c.RedisURL == "" && len(c.RedisClusterAddrs) == 0:
		return problem("REDIS_URL", "required (or set REDIS_CLUSTER_ADDRS)")
	case c.RedisMinReplicas < 0:
		return problem("REDIS_MIN_REPLICAS", "must be 0 (no WAIT) or positive")
	case c.RedisWaitTimeout < time.Millisecond || c.RedisWaitTimeout >= 3*time.Second:
		return problem("REDIS_WAIT_TIMEOUT", "must be at least 1ms and below the Redis read timeout (3s)")
	}
	_, err := newRedisConn(c)
	return err
}

func (c *Config) validateCregis() error {
	switch {
	case c.CregisBaseURL == "":
		return problem("CREGIS_BASE_URL", "required: the project's gateway URL")
	case c.CregisPID <= 0:
		return problem("CREGIS_PID", "required: the project id, a positive integer")
	case c.CregisAPIKey == "":
		return problem("CREGIS_API_KEY", "required (or CREGIS_API_KEY_FILE)")
	case c.CregisTimeout <= 0:
		return problem("CREGIS_TIMEOUT", "must be positive")
	case c.CregisRateLimit < 0:
		return problem("CREGIS_RATE_LIMIT", "must be 0 (unlimited) or positive")
	}
	return checkURL("CREGIS_BASE_URL", c.CregisBaseURL)
}

// checkURL requires an absolute http or https URL with a host.
func checkURL(name, s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return problem(name, "not a valid URL")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return problem(name, "%q is not an http or https URL", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return problem(name, "%q must not have credentials, a query or a fragment", u.Redacted())
	}
	return nil
}

func (c *Config) validateHTTP() error {
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return problem("HTTP_ADDR", "%q is not host:port (e.g. :8080)", c.HTTPAddr)
	}
	if c.PublicURL != "" {
		if err := checkURL("PUBLIC_URL", c.PublicURL); err != nil {
			return err
		}
	}
	for i, t := range c.APITokens {
		if t == "" {
			return problem("API_TOKENS", "token %d is empty", i+1)
		}
	}
	if c.has(roleAPI) && len(c.APITokens) == 0 {
		return problem("API_TOKENS", "required with the api role: at least one bearer token")
	}
	return nil
}

func (c *Config) validateWebhooks() error {
	if len(c.WebhookSecrets) > 2 {
		return problem("WEBHOOK_SECRET", "at most two secrets: the current and, during a rotation, the next")
	}
	for i, s := range c.WebhookSecrets {
		if err := worker.ValidateWebhookSecret(string(s)); err != nil {
			return problem("WEBHOOK_SECRET", "secret %d %v", i+1, err)
		}
	}
	if tasks.ValidateNotifyURL(c.NotifyURL) != nil {
		return problem("NOTIFY_URL", "must be an absolute http or https URL with a host and no user info")
	}
	return nil
}

func (c *Config) validateMonitor() error {
	if (c.MonitorUser == "") != (c.MonitorPassword == "") {
		return problem("MONITOR_PASSWORD", "set both MONITOR_USER and MONITOR_PASSWORD, or neither (UI off)")
	}
	return nil
}

func (c *Config) validateWorker() error {
	switch {
	case c.PollMinInterval <= 0:
		return problem("POLL_MIN_INTERVAL", "must be positive")
	case c.PollMaxInterval < c.PollMinInterval:
		return problem("POLL_MAX_INTERVAL", "must be at least POLL_MIN_INTERVAL (%s)", c.PollMinInterval)
	case c.PollOnChain <= 0:
		return problem("POLL_ONCHAIN_INTERVAL", "must be positive")
	case c.PollApproval <= 0:
		return problem("POLL_APPROVAL_INTERVAL", "must be positive")
	case c.PollSafety <= 0:
		return problem("POLL_SAFETY_INTERVAL", "must be positive")
	case c.TradeScanInterval < 0 || (c.TradeScanInterval > 0 && c.TradeScanInterval < time.Second):
		return problem("TRADE_SCAN_INTERVAL", "must be 0 (off) or at least 1s")
	case c.StuckAfter <= 0:
		return problem("STUCK_AFTER", "must be positive")
	case c.RecordRetention < 0:
		return problem("RECORD_RETENTION", "must not be negative")
	case c.EventsMaxAge <= 0:
		return problem("EVENTS_MAX_AGE", "must be positive")
	case c.SweepInterval <= 0:
		return problem("SWEEP_INTERVAL", "must be positive")
	case c.WorkerConcurrency < 1:
		return problem("WORKER_CONCURRENCY", "must be at least 1")
	case c.ShutdownTimeout <= c.CregisTimeout:
		return problem("SHUTDOWN_TIMEOUT", "must exceed CREGIS_TIMEOUT (%s) so in-flight Cregis calls can finish", c.CregisTimeout)
	}
	return nil
}

func (c *Config) validateRoles() error {
	if len(c.Roles) == 0 {
		return problem("ROLES", "name at least one of api, worker, scheduler")
	}
	for _, r := range c.Roles {
		if r != roleAPI && r != roleWorker && r != roleScheduler {
			return problem("ROLES", "%q is not one of api, worker, scheduler", r)
		}
	}
	return nil
}

func (c *Config) validateLogging() error {
	if _, err := zerolog.ParseLevel(c.LogLevel); err != nil || c.LogLevel == "" {
		return problem("LOG_LEVEL", "%q is not one of trace, debug, info, warn, error", c.LogLevel)
	}
	if c.LogFormat != "json" && c.LogFormat != "console" {
		return problem("LOG_FORMAT", "%q is not json or console", c.LogFormat)
	}
	return nil
}

// callbackURL is the callback_url payouts are created with, or "".
// submitTimeout is the submit task's timeout: above one Cregis call, with room
// to record its outcome (the worker keeps the lease longer still).
func (c *Config) submitTimeout() time.Duration {
	return max(worker.DefaultSubmitTimeout, c.CregisTimeout+30*time.Second)
}

// apiCregisCalls is how many Cregis calls beside the worker's tasks a
// process may make at once: operator actions (retry, resolve, cancel), the
// coin list refresh, the trade scan.
const apiCregisCalls = 16

// cregisIdleConns is the Cregis client's idle connections: one per task the
// worker runs at once, and the others' share.
func (c *Config) cregisIdleConns() int { return c.WorkerConcurrency + apiCregisCalls }

func (c *Config) callbackURL() string {
	if c.PublicURL == "" {
		return ""
	}
	return strings.TrimSuffix(c.PublicURL, "/") + "/cregis/callback"
}

// webhookSecrets returns WEBHOOK_SECRET's secrets for worker.Config.
func (c *Config) webhookSecrets() []string {
	out := make([]string, len(c.WebhookSecrets))
	for i, s := range c.WebhookSecrets {
		out[i] = string(s)
	}
	return out
}
