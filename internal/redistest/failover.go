package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// MasterName is the name under which a Replicated group's sentinels monitor
// its primary.
const MasterName = "payoutd"

// Replicated is a primary, its replica and three sentinels, each a private
// process on loopback, for failover tests. The primary drops a silent
// replica after two seconds (repl-timeout 2), so that a replica stopped with
// Pause really falls behind; the sentinels fail over one second after the
// primary stops answering.
type Replicated struct {
	Primary, Replica *Redis
	// SentinelAddrs are the sentinels' host:port.
	SentinelAddrs []string
}

// NewReplicated starts a primary, a replica in sync with it, and three
// sentinels that know both. It needs redis-server: it fails t otherwise.
func NewReplicated(t testing.TB) *Replicated {
	t.Helper()
	if serverBin() == "" {
		t.Fatal("redistest: NewReplicated needs redis-server")
	}
	g := &Replicated{Primary: NewPrimary(t)}
	g.Replica = NewReplica(t, g.Primary)
	for range 3 {
		g.SentinelAddrs = append(g.SentinelAddrs, startSentinel(t, g.Primary.Addr))
	}
	g.AwaitSentinelsKnowReplica(t, g.Replica.Addr)
	return g
}

// NewReplica starts a private redis-server replicating of and waits until
// the link is up.
func NewReplica(t testing.TB, of *Redis) *Redis {
	t.Helper()
	c := redis.NewClient(of.Options())
	err := c.ConfigSet(context.Background(), "repl-diskless-sync-delay", "0").Err() // sync at once, not after 5 s
	_ = c.Close()
	if err != nil {
		t.Fatalf("redistest: configure %s for a replica: %v", of.Addr, err)
	}
	host, port, _ := net.SplitHostPort(of.Addr)
	r := newPrivate(t, "--replicaof", host, port, "--repl-timeout", "2", "--repl-ping-replica-period", "1")
	r.AwaitInfo(t, "master_link_status", "up")
	return r
}

// FailoverClient returns a go-redis client that finds the primary through
// the sentinels, closed at cleanup.
func (g *Replicated) FailoverClient(t testing.TB) *redis.Client {
	c := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: MasterName, SentinelAddrs: g.SentinelAddrs})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// AwaitPromoted waits until the sentinels name a primary other than
// old and that server reports the master role, and returns its address.
func (g *Replicated) AwaitPromoted(t testing.TB, old string) string {
	t.Helper()
	var addr string
	eventually(t, 60*time.Second, "a new primary", func(ctx context.Context) bool {
		addr = g.master(ctx)
		return addr != "" && addr != old && roleOf(ctx, addr) == "master"
	})
	return addr
}

// AwaitSentinelsKnowReplica waits until every sentinel lists addr as a
// replica of the primary.
func (g *Replicated) AwaitSentinelsKnowReplica(t testing.TB, addr string) {
	t.Helper()
	for _, s := range g.SentinelAddrs {
		c := redis.NewSentinelClient(&redis.Options{Addr: s})
		eventually(t, 30*time.Second, "sentinel "+s+" to see replica "+addr, func(ctx context.Context) bool {
			reps, err := c.Replicas(ctx, MasterName).Result()
			if err != nil {
				return false
			}
			for _, m := range reps {
				if m["ip"]+":"+m["port"] == addr && !strings.Contains(m["flags"], "down") {
					return true
				}
			}
			return false
		})
		_ = c.Close()
	}
}

func (g *Replicated) master(ctx context.Context) string {
	c := redis.NewSentinelClient(&redis.Options{Addr: g.SentinelAddrs[0]})
	defer c.Close()
	hp, err := c.GetMasterAddrByName(ctx, MasterName).Result()
	if err != nil || len(hp) != 2 {
		return ""
	}
	return net.JoinHostPort(hp[0], hp[1])
}

func roleOf(ctx context.Context, addr string) string {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	v, _ := c.Do(ctx, "ROLE").Slice()
	if len(v) == 0 {
		return ""
	}
	s, _ := v[0].(string)
	return s
}

// Pause stops a private redis-server with SIGSTOP: it answers nothing and
// acknowledges no replication until Resume.
func (r *Redis) Pause(t testing.TB) { r.signal(t, syscall.SIGSTOP) }

// Resume continues a paused redis-server (SIGCONT).
func (r *Redis) Resume(t testing.TB) { r.signal(t, syscall.SIGCONT) }

// Kill ends a private redis-server with SIGKILL, as a machine crash would,
// and waits until its port is free.
func (r *Redis) Kill(t testing.TB) {
	t.Helper()
	r.signal(t, syscall.SIGCONT) // a paused process dies only once continued
	r.stop()
}

func (r *Redis) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if r.Kind != KindPrivate || r.srv == nil {
		t.Fatalf("redistest: signals need a private redis-server, have %s", r.Kind)
	}
	if err := r.srv.Signal(sig); err != nil {
		t.Fatalf("redistest: %v: %v", sig, err)
	}
}

// AwaitInfo waits until INFO reports field as value (e.g.
// "connected_slaves", "0").
func (r *Redis) AwaitInfo(t testing.TB, field, value string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.Addr, MaxRetries: -1})
	defer c.Close()
	eventually(t, 30*time.Second, r.Addr+" "+field+":"+value, func(ctx context.Context) bool {
		info, err := c.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "\r\n"+field+":"+value+"\r\n")
	})
}

// newPrivate starts a private redis-server with extra arguments.
func newPrivate(t testing.TB, extra ...string) *Redis {
	t.Helper()
	r := &Redis{Prefix: "t" + randomHex(6) + ":", extra: extra}
	r.startPrivate(t)
	return r
}

// startSentinel starts a sentinel monitoring primary and returns its address.
func startSentinel(t testing.TB, primary string) string {
	t.Helper()
	dir := t.TempDir()
	host, pport, _ := net.SplitHostPort(primary)
	port := strconv.Itoa(freePort(t))
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("port %s\nbind 127.0.0.1\ndir %s\nlogfile %s\n"+
		"sentinel monitor %s %s %s 2\nsentinel down-after-milliseconds %[4]s 1000\n"+
		"sentinel failover-timeout %[4]s 10000\nsentinel parallel-syncs %[4]s 1\n",
		port, dir, filepath.Join(dir, "sentinel.log"), MasterName, host, pport)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(serverBin(), conf, "--sentinel")
	if err := cmd.Start(); err != nil {
		t.Fatalf("redistest: start sentinel: %v", err)
	}
	go func() { _ = cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	addr := "127.0.0.1:" + port
	c := redis.NewSentinelClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	eventually(t, 10*time.Second, "sentinel "+addr, func(ctx context.Context) bool { return c.Ping(ctx).Err() == nil })
	return addr
}

// eventually polls cond until it holds, failing t after d: these are states
// of other processes, with no event to await.
func eventually(t testing.TB, d time.Duration, what string, cond func(ctx context.Context) bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		ok := cond(ctx)
		cancel()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redistest: waited %s for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// NewPrimary starts a private redis-server meant to have replicas: it drops
// a replica that has not acknowledged for two seconds (repl-timeout 2), so
// a paused replica soon counts as gone (INFO connected_slaves).
func NewPrimary(t testing.TB) *Redis {
	t.Helper()
	if serverBin() == "" {
		t.Fatal("redistest: NewPrimary needs redis-server")
	}
	return newPrivate(t, "--repl-timeout", "2", "--repl-ping-replica-period", "1")
}
