package redistest

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// NewCluster starts a private redis-server in cluster mode that serves every
// hash slot itself: a one-node Redis Cluster. Cluster mode enforces the slot
// rules (a command or script whose keys hash to different slots is refused
// with CROSSSLOT) on one node as on many, so code that must work on Redis
// Cluster is tested against it. It needs redis-server (no fallback).
func NewCluster(t testing.TB) *Redis {
	t.Helper()
	if serverBin() == "" {
		t.Fatal("redistest: NewCluster needs redis-server")
	}
	dir := t.TempDir()
	r := newPrivate(t, "--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes.conf"))
	c := redis.NewClient(r.Options())
	defer c.Close()
	if err := c.Do(context.Background(), "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatalf("redistest: cluster addslots: %v", err)
	}
	eventually(t, 10*time.Second, "cluster_state:ok", func(ctx context.Context) bool {
		info, err := c.ClusterInfo(ctx).Result()
		return err == nil && strings.Contains(info, "cluster_state:ok")
	})
	return r
}

// ClusterClient returns a Redis Cluster client of r (see NewCluster), closed
// at cleanup.
func (r *Redis) ClusterClient(t testing.TB) *redis.ClusterClient {
	t.Helper()
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{r.Addr}})
	t.Cleanup(func() { _ = c.Close() })
	return c
}
