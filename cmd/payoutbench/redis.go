package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is a private redis-server on a free loopback port, without
// persistence, in a temporary directory. stop kills it; it also dies with
// this process where the OS allows (see setParentDeathSignal).
type redisServer struct {
	addr   string
	dir    string
	cmd    *exec.Cmd
	exited chan error
}

// redisPoolSize is the connection pool of every client the benchmark
// builds, for payoutd and the floor alike: one client carries a whole
// process (records, asynq's client and server), so it gets more than
// go-redis's default of 10 per CPU.
const redisPoolSize = 64

// startRedis starts redis-server (REDIS_SERVER_BIN, or the one on the PATH)
// and waits until it answers.
func startRedis(ctx context.Context) (*redisServer, error) {
	bin := os.Getenv("REDIS_SERVER_BIN")
	if bin == "" {
		found, err := exec.LookPath("redis-server")
		if err != nil {
			return nil, errors.New("redis-server is not on the PATH (install Redis, or set REDIS_SERVER_BIN): the benchmark needs a private server")
		}
		bin = found
	}
	dir, err := os.MkdirTemp("", "payoutbench-redis-")
	if err != nil {
		return nil, err
	}
	for range 5 { // a free port can be taken between probe and bind: try again
		r := &redisServer{dir: dir}
		if err = r.launch(ctx, bin); err == nil {
			return r, nil
		}
	}
	_ = os.RemoveAll(dir)
	return nil, fmt.Errorf("start redis-server: %w", err)
}

// launch starts the server on a free port and waits for its PING.
func (r *redisServer) launch(ctx context.Context, bin string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	r.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	r.cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", r.logFile())
	setParentDeathSignal(r.cmd)
	if err := r.cmd.Start(); err != nil {
		return err
	}
	r.exited = make(chan error, 1)
	go func() { r.exited <- r.cmd.Wait() }()
	if err := r.awaitReady(ctx); err != nil {
		r.stop()
		return err
	}
	return nil
}

func (r *redisServer) logFile() string { return filepath.Join(r.dir, "redis.log") }

// awaitReady pings the server until it answers, it exits, or 10s pass.
func (r *redisServer) awaitReady(ctx context.Context) error {
	c := redis.NewClient(&redis.Options{Addr: r.addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-r.exited:
			r.exited <- err
			log, _ := os.ReadFile(r.logFile())
			return fmt.Errorf("redis-server exited: %v: %s", err, tail(log))
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err := c.Ping(pctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server not ready after 10s: %v", err)
		}
		time.Sleep(10 * time.Millisecond) // polling for readiness: there is no event to await
	}
}

// stop kills the server, waits for it and removes its directory.
func (r *redisServer) stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	if r.exited != nil {
		<-r.exited
	}
	r.cmd = nil
	_ = os.RemoveAll(r.dir)
}

// client returns a client of the server; hooks, when given, see every call.
func (r *redisServer) client(hooks ...redis.Hook) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: r.addr, PoolSize: redisPoolSize, Protocol: 2}) // RESP2, as cmd/payoutd speaks
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

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(b []byte) string {
	if len(b) > 512 {
		b = b[len(b)-512:]
	}
	return string(b)
}
