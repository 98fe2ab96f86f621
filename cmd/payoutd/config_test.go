package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/redis/go-redis/v9"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/payoutd/payoutd/worker"
)

// testKey is the API key of configuration tests; it must never be printed.
const testKey = "k3y-SHOULD-NEVER-PRINT-5f1e2d"

// validEnv is a minimal valid configuration.
func validEnv() map[string]string {
	return map[string]string{
		"REDIS_URL":       "redis://127.0.0.1:6379/0",
		"CREGIS_BASE_URL": "https://t-abcdefgh.cregis.dev",
		"CREGIS_PID":      "1382528827416576",
		"CREGIS_API_KEY":  testKey,
		"API_TOKENS":      "token-one-0123456789,token-two-0123456789",
	}
}

func getenvFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func with(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestValidConfigurationGetsTheDocumentedDefaults(t *testing.T) {
	cfg, err := loadConfig(getenvFrom(validEnv()))
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	checks := []struct {
		desc      string
		got, want any
	}{
		{"HTTP_ADDR", cfg.HTTPAddr, ":8080"},
		{"ROLES", cfg.Roles, []string{"api", "worker", "scheduler"}},
		{"MONITOR_READONLY", cfg.MonitorReadonly, true},
		{"LOG_FORMAT", cfg.LogFormat, "json"},
		{"LOG_LEVEL", cfg.LogLevel, "info"},
		{"CREGIS_TIMEOUT", cfg.CregisTimeout, 15 * time.Second},
		{"POLL_MIN_INTERVAL", cfg.PollMinInterval, 15 * time.Second},
		{"POLL_MAX_INTERVAL", cfg.PollMaxInterval, 10 * time.Minute},
		{"WORKER_CONCURRENCY", cfg.WorkerConcurrency, 10},
		{"CREGIS_RATE_LIMIT", cfg.CregisRateLimit, 0},
		{"REDIS_MIN_REPLICAS", cfg.RedisMinReplicas, 0},
		{"REDIS_WAIT_TIMEOUT", cfg.RedisWaitTimeout, time.Second},
		{"REDIS_KEY_PREFIX", cfg.KeyPrefix, "payoutd:"},
		{"API_TOKENS", tokens(cfg.APITokens), []string{"token-one-0123456789", "token-two-0123456789"}},
		{"callback URL without PUBLIC_URL", cfg.callbackURL(), ""},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v want %v", c.desc, c.got, c.want)
		}
	}
}

func TestTheSubmitTaskOutlastsTheCregisTimeout(t *testing.T) {
	cases := []struct {
		desc, timeout string
		want          time.Duration
	}{
		{"the default Cregis timeout keeps the default submit timeout", "15s", worker.DefaultSubmitTimeout},
		{"a long Cregis timeout lengthens the submit task", "90s", 120 * time.Second},
	}
	for _, c := range cases {
		cfg, err := loadConfig(getenvFrom(with(validEnv(), "CREGIS_TIMEOUT", c.timeout, "SHUTDOWN_TIMEOUT", "2m")))
		if err != nil {
			t.Fatalf("%s: loadConfig: %v", c.desc, err)
		}
		if got := cfg.submitTimeout(); got != c.want || got <= cfg.CregisTimeout {
			t.Errorf("%s: submit timeout %s, want %s (above CREGIS_TIMEOUT %s)", c.desc, got, c.want, cfg.CregisTimeout)
		}
	}
}

func TestPublicURLGivesTheCallbackURL(t *testing.T) {
	cfg, err := loadConfig(getenvFrom(with(validEnv(), "PUBLIC_URL", "https://payoutd.example.com/")))
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	if got, want := cfg.callbackURL(), "https://payoutd.example.com/cregis/callback"; got != want {
		t.Errorf("callback URL: got %q want %q", got, want)
	}
}

func TestInvalidConfigurationNamesTheVariableInOneLine(t *testing.T) {
	tests := []struct {
		desc    string
		env     map[string]string
		wantVar string
	}{
		{"no Redis", with(validEnv(), "REDIS_URL", ""), "REDIS_URL"},
		{"Redis URL with another scheme", with(validEnv(), "REDIS_URL", "http://localhost:6379"), "REDIS_URL"},
		{"Redis URL with a bad database", with(validEnv(), "REDIS_URL", "redis://localhost:6379/x"), "REDIS_URL"},
		{"sentinel URL without a master", with(validEnv(), "REDIS_URL", "redis-sentinel://a:26379,b:26379"), "REDIS_URL"},
		{"cluster address without a port", with(validEnv(), "REDIS_CLUSTER_ADDRS", "a:7000,b"), "REDIS_CLUSTER_ADDRS"},
		{"no Cregis URL", with(validEnv(), "CREGIS_BASE_URL", ""), "CREGIS_BASE_URL"},
		{"Cregis URL that is not http", with(validEnv(), "CREGIS_BASE_URL", "ftp://cregis.dev"), "CREGIS_BASE_URL"},
		{"no pid", with(validEnv(), "CREGIS_PID", ""), "CREGIS_PID"},
		{"pid not a number", with(validEnv(), "CREGIS_PID", "abc"), "CREGIS_PID"},
		{"negative pid", with(validEnv(), "CREGIS_PID", "-4"), "CREGIS_PID"},
		{"no key", with(validEnv(), "CREGIS_API_KEY", ""), "CREGIS_API_KEY"},
		{"key and key file", with(validEnv(), "CREGIS_API_KEY_FILE", "/nonexistent"), "CREGIS_API_KEY_FILE"},
		{"key file missing", with(validEnv(), "CREGIS_API_KEY", "", "CREGIS_API_KEY_FILE", "/nonexistent/key"), "CREGIS_API_KEY_FILE"},
		{"timeout not a duration", with(validEnv(), "CREGIS_TIMEOUT", "15"), "CREGIS_TIMEOUT"},
		{"negative rate limit", with(validEnv(), "CREGIS_RATE_LIMIT", "-1"), "CREGIS_RATE_LIMIT"},
		{"negative min replicas", with(validEnv(), "REDIS_MIN_REPLICAS", "-1"), "REDIS_MIN_REPLICAS"},
		{"a WAIT longer than the read timeout", with(validEnv(), "REDIS_WAIT_TIMEOUT", "5s"), "REDIS_WAIT_TIMEOUT"},
		{"a WAIT of no time", with(validEnv(), "REDIS_WAIT_TIMEOUT", "0s"), "REDIS_WAIT_TIMEOUT"},
		{"listen address without a port", with(validEnv(), "HTTP_ADDR", "localhost"), "HTTP_ADDR"},
		{"public URL without a host", with(validEnv(), "PUBLIC_URL", "https:///x"), "PUBLIC_URL"},
		{"api role without tokens", with(validEnv(), "API_TOKENS", ""), "API_TOKENS"},
		{"an empty token", with(validEnv(), "API_TOKENS", "token-one-0123456789,,x"), "API_TOKENS"},
		{"monitor user without password", with(validEnv(), "MONITOR_USER", "ops"), "MONITOR_PASSWORD"},
		{"monitor readonly not a boolean", with(validEnv(), "MONITOR_READONLY", "maybe"), "MONITOR_READONLY"},
		{"poll max below min", with(validEnv(), "POLL_MIN_INTERVAL", "1m", "POLL_MAX_INTERVAL", "30s"), "POLL_MAX_INTERVAL"},
		{"zero concurrency", with(validEnv(), "WORKER_CONCURRENCY", "0"), "WORKER_CONCURRENCY"},
		{"unknown role", with(validEnv(), "ROLES", "api,cron"), "ROLES"},
		{"unknown log level", with(validEnv(), "LOG_LEVEL", "loud"), "LOG_LEVEL"},
		{"unknown log format", with(validEnv(), "LOG_FORMAT", "xml"), "LOG_FORMAT"},
		{"shutdown shorter than a Cregis call", with(validEnv(), "SHUTDOWN_TIMEOUT", "10s"), "SHUTDOWN_TIMEOUT"},
		{"a webhook secret not in whsec_ form", with(validEnv(), "WEBHOOK_SECRET", "plain-"+testKey), "WEBHOOK_SECRET"},
		{"a webhook secret that is not base64", with(validEnv(), "WEBHOOK_SECRET", "whsec_"+testKey+"!"), "WEBHOOK_SECRET"},
		{"three webhook secrets", with(validEnv(), "WEBHOOK_SECRET", testWebhookSecret+","+testWebhookSecret+","+testWebhookSecret), "WEBHOOK_SECRET"},
		{"a relative notify URL", with(validEnv(), "NOTIFY_URL", "/hooks"), "NOTIFY_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, err := loadConfig(getenvFrom(tt.env))
			if err == nil {
				t.Fatalf("loadConfig: got no error, want one naming %s", tt.wantVar)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantVar+":") {
				t.Errorf("error %q does not name %s", msg, tt.wantVar)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q is more than one line", msg)
			}
			if strings.Contains(msg, testKey) {
				t.Errorf("error %q shows the API key", msg)
			}
		})
	}
}

// testWebhookSecret is a valid Standard Webhooks secret.
const testWebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func TestTwoWebhookSecretsAndANotifyURLReachThePipeline(t *testing.T) {
	next := "whsec_dGhlIG5leHQgc2VjcmV0"
	cfg, err := loadConfig(getenvFrom(with(validEnv(), "WEBHOOK_SECRET", testWebhookSecret+", "+next,
		"NOTIFY_URL", "https://backend.example/hooks?token=x")))
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	a := &app{cfg: cfg}
	wc := a.pipelineConfig(nil, nil, nil)
	if fmt.Sprint(wc.WebhookSecrets) != fmt.Sprint([]string{testWebhookSecret, next}) || wc.NotifyURL != "https://backend.example/hooks?token=x" {
		t.Errorf("worker config: %d secrets, notify URL %q", len(wc.WebhookSecrets), wc.NotifyURL)
	}
}

func TestTheAPIKeyIsNeverPrinted(t *testing.T) {
	cfg, err := loadConfig(getenvFrom(with(validEnv(), "MONITOR_USER", "ops", "MONITOR_PASSWORD", "pw-SHOULD-NOT-PRINT",
		"WEBHOOK_SECRET", testWebhookSecret)))
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	js, _ := json.Marshal(cfg)
	for _, out := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), string(js)} {
		for _, s := range []string{testKey, "pw-SHOULD-NOT-PRINT", "token-one-0123456789", testWebhookSecret[6:]} {
			if strings.Contains(out, s) {
				t.Errorf("printed configuration shows a secret: %s", out)
			}
		}
	}
}

func TestTheAPIKeyFileIsReadAndTrimmed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte(testKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(getenvFrom(with(validEnv(), "CREGIS_API_KEY", "", "CREGIS_API_KEY_FILE", file)))
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	if string(cfg.CregisAPIKey) != testKey {
		t.Errorf("key: got %d bytes, want the file's %d without the newline", len(cfg.CregisAPIKey), len(testKey))
	}
}

func TestRedisLocationsAreParsed(t *testing.T) {
	tests := []struct {
		desc     string
		env      map[string]string
		wantDesc string
	}{
		{"plain URL", with(validEnv(), "REDIS_URL", "redis://:pw-not-shown@10.0.0.1:6380/2"), "redis 10.0.0.1:6380"},
		{"TLS URL", with(validEnv(), "REDIS_URL", "rediss://user:pw-not-shown@redis.example.com:6380"), "redis redis.example.com:6380"},
		{"sentinel URL", with(validEnv(), "REDIS_URL", "redis-sentinel://s1:26379,s2:26379/0?master_name=main"), "redis sentinel s1:26379,s2:26379 master main"},
		{"sentinel URL with asynq's master", with(validEnv(), "REDIS_URL", "redis-sentinel://s1:26379?master=main"), "redis sentinel s1:26379 master main"},
		{"cluster", with(validEnv(), "REDIS_URL", "", "REDIS_CLUSTER_ADDRS", "n1:7000, n2:7000"), "redis cluster n1:7000,n2:7000"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			conn := mustRedisConn(t, tt.env)
			if conn.desc != tt.wantDesc {
				t.Errorf("connection: got %q want %q", conn.desc, tt.wantDesc)
			}
			if strings.Contains(conn.desc, "pw-not-shown") {
				t.Errorf("connection description shows the password: %q", conn.desc)
			}
		})
	}
}

// mustRedisConn is the Redis connection cmd/payoutd makes of env.
func mustRedisConn(t *testing.T, env map[string]string) redisConn {
	t.Helper()
	cfg, err := loadConfig(getenvFrom(env))
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	conn, err := newRedisConn(&cfg)
	if err != nil {
		t.Fatalf("newRedisConn: %v", err)
	}
	return conn
}

// TestRedisSpeaksRESP2UnlessTheURLSaysOtherwise: RESP2 by default (see
// defaultProtocol), on every kind of connection; ?protocol=3 keeps RESP3.
func TestRedisSpeaksRESP2UnlessTheURLSaysOtherwise(t *testing.T) {
	tests := []struct {
		desc string
		env  map[string]string
		want int
	}{
		{"plain URL", with(validEnv(), "REDIS_URL", "redis://10.0.0.1:6380/2"), 2},
		{"plain URL asking for RESP3", with(validEnv(), "REDIS_URL", "redis://10.0.0.1:6380/2?protocol=3"), 3},
		{"sentinel URL", with(validEnv(), "REDIS_URL", "redis-sentinel://s1:26379?master_name=main"), 2},
		{"sentinel URL asking for RESP3", with(validEnv(), "REDIS_URL", "redis-sentinel://s1:26379?master_name=main&protocol=3"), 3},
		{"cluster", with(validEnv(), "REDIS_URL", "", "REDIS_CLUSTER_ADDRS", "n1:7000"), 2},
		{"cluster asking for RESP3", with(validEnv(), "REDIS_URL", "redis://?protocol=3", "REDIS_CLUSTER_ADDRS", "n1:7000"), 3},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			conn := mustRedisConn(t, tt.env)
			c := conn.newClient()
			defer c.Close()
			var got int
			switch c := c.(type) {
			case *redis.Client:
				got = c.Options().Protocol
			case *redis.ClusterClient:
				got = c.Options().Protocol
			}
			if got != tt.want {
				t.Errorf("protocol: got %d want %d", got, tt.want)
			}
		})
	}
}

func TestARedisURLErrorHidesThePassword(t *testing.T) {
	_, err := loadConfig(getenvFrom(with(validEnv(), "REDIS_URL", "redis://:hunter2-secret@localhost:6379/0?bogus_option=1")))
	if err == nil {
		t.Fatal("loadConfig: got no error for an unknown URL option")
	}
	if strings.Contains(err.Error(), "hunter2-secret") || !strings.Contains(err.Error(), "REDIS_URL") {
		t.Errorf("error %q: want it to name REDIS_URL without the password", err)
	}
}

func TestHelpListsEveryVariableWithItsDefault(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, getenvFrom(nil), &out); err != nil {
		t.Fatalf("run --help: %v", err)
	}
	vars := configVars()
	if len(vars) < 20 {
		t.Fatalf("configVars: got %d variables, want every field of Config", len(vars))
	}
	for _, v := range vars {
		want := "  " + v.Name + "=" + v.Default + "\n"
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
		if v.Help == "" {
			t.Errorf("%s has no help tag", v.Name)
		}
	}
	for _, name := range []string{"REDIS_URL", "REDIS_CLUSTER_ADDRS", "CREGIS_API_KEY_FILE", "PUBLIC_URL", "API_TOKENS",
		"MONITOR_READONLY", "POLL_MAX_INTERVAL", "WORKER_CONCURRENCY", "ROLES", "LOG_FORMAT"} {
		if !slices.ContainsFunc(vars, func(v configVar) bool { return v.Name == name }) {
			t.Errorf("the configuration lacks %s", name)
		}
	}
}

func TestHelpMarkdownHasARowPerVariable(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help-markdown"}, getenvFrom(nil), &out); err != nil {
		t.Fatalf("run --help-markdown: %v", err)
	}
	rows := strings.Count(out.String(), "\n| `")
	if want := len(configVars()); rows != want {
		t.Errorf("table rows: got %d want %d:\n%s", rows, want, out.String())
	}
}

func TestUnknownArgumentsAreRefused(t *testing.T) {
	for _, args := range [][]string{{"serve"}, {"demo", "--forever"}, {"demo", "extra"}} {
		if err := run(context.Background(), args, getenvFrom(nil), &bytes.Buffer{}); err == nil {
			t.Errorf("run %q: got no error", args)
		}
	}
}
