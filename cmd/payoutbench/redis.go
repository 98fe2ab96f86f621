package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/payoutd/payoutd/internal/redisserver"
	"github.com/redis/go-redis/v9"
)

// redisServer is the benchmark's private redis-server (internal/redisserver)
// in a temporary directory of its own.
type redisServer struct {
	*redisserver.Server
	dir string
}

// redisPoolSize is the connection pool of every client the benchmark
// builds, for payoutd and the floor alike: one client carries a whole
// process (records, asynq's client and server), so it gets more than
// go-redis's default of 10 per CPU.
const redisPoolSize = 64

// startRedis starts redis-server (REDIS_SERVER_BIN, or the one on the PATH)
// and waits until it answers.
func startRedis(ctx context.Context) (*redisServer, error) {
	bin := redisserver.Bin()
	if bin == "" {
		return nil, errors.New("redis-server is not on the PATH (install Redis, or set " + redisserver.EnvBin + "): the benchmark needs a private server")
	}
	dir, err := os.MkdirTemp("", "payoutbench-redis-")
	if err != nil {
		return nil, err
	}
	srv, err := redisserver.Start(ctx, bin, dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return &redisServer{Server: srv, dir: dir}, nil
}

// stop kills the server and removes its directory.
func (r *redisServer) stop() {
	r.Stop()
	_ = os.RemoveAll(r.dir)
}

// client returns a client of the server; hooks, when given, see every call.
func (r *redisServer) client(hooks ...redis.Hook) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: r.Addr, PoolSize: redisPoolSize, Protocol: 2}) // RESP2, as cmd/payoutd speaks
	for _, h := range hooks {
		c.AddHook(h)
	}
	return c
}

// flush empties the server, for a measurement that starts from nothing.
func (r *redisServer) flush(ctx context.Context) error {
	c := r.client()
	defer c.Close()
	return c.FlushAll(ctx).Err()
}

// info returns one field of INFO section.
func (r *redisServer) info(ctx context.Context, section, field string) (string, error) {
	c := r.client()
	defer c.Close()
	text, err := c.Info(ctx, section).Result()
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(text, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("no %s in INFO %s", field, section)
}

// usedMemory returns INFO memory's used_memory, in bytes.
func (r *redisServer) usedMemory(ctx context.Context) (int64, error) {
	v, err := r.info(ctx, "memory", "used_memory")
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}
