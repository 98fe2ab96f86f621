package redistest_test

import (
	"context"
	"os"
	"testing"

	"github.com/payoutd/payoutd/internal/redistest"
)

func TestNewGivesEachTestItsOwnKeyspace(t *testing.T) {
	ctx := context.Background()
	a, b := redistest.New(t), redistest.New(t)
	if a.Prefix == b.Prefix {
		t.Fatalf("prefixes are equal: %q", a.Prefix)
	}
	ca, cb := a.Client(t), b.Client(t)
	if err := ca.Set(ctx, a.Prefix+"k", "a", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := cb.Exists(ctx, b.Prefix+"k").Result(); err != nil || n != 0 {
		t.Fatalf("b sees a's key: exists=%d err=%v", n, err)
	}
}

func TestNewUsesARealServerWhenRequired(t *testing.T) {
	r := redistest.New(t)
	if os.Getenv(redistest.EnvRequireServer) != "" && r.Kind == redistest.KindMemory {
		t.Fatalf("got in-process Redis although %s is set", redistest.EnvRequireServer)
	}
	if err := r.Client(t).Ping(context.Background()).Err(); err != nil {
		t.Fatalf("ping: %v", err)
	}
}

func TestRestartKeepsTheAddress(t *testing.T) {
	r := redistest.New(t)
	if r.Kind != redistest.KindPrivate {
		t.Skipf("Restart needs a private redis-server; have %s", r.Kind)
	}
	addr := r.Addr
	r.Restart(t)
	if r.Addr != addr {
		t.Fatalf("addr changed: got %s want %s", r.Addr, addr)
	}
	if err := r.Client(t).Ping(context.Background()).Err(); err != nil {
		t.Fatalf("ping after restart: %v", err)
	}
}
