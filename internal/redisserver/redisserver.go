// Package redisserver runs a private redis-server: on a free loopback port,
// in a directory the caller owns, without persistence unless the extra
// arguments ask for it, dying with this process where the OS allows.
// internal/redistest starts one for each test that wants one, and
// cmd/payoutbench one for its run.
package redisserver

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// EnvBin names the redis-server binary to run instead of the one on the
// PATH.
const EnvBin = "REDIS_SERVER_BIN"

// readyTimeout bounds the wait for a started server's first PONG.
const readyTimeout = 10 * time.Second

// Bin returns the redis-server to run: EnvBin's, else the one on the PATH,
// else "".
func Bin() string {
	if b := os.Getenv(EnvBin); b != "" {
		return b
	}
	b, _ := exec.LookPath("redis-server")
	return b
}

// Server is one redis-server process.
type Server struct {
	// Addr is its host:port on loopback.
	Addr string

	bin, dir string
	extra    []string
	cmd      *exec.Cmd
	exited   chan error // the process's Wait, once
}

// Start starts bin on a free loopback port in dir, with extra arguments
// after the defaults (no RDB, no AOF), and waits until it answers. A port
// taken between the probe and the bind is tried again with another.
func Start(ctx context.Context, bin, dir string, extra ...string) (*Server, error) {
	var err error
	for range 5 {
		var port int
		if port, err = FreePort(); err != nil {
			return nil, err
		}
		s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), bin: bin, dir: dir, extra: extra}
		if err = s.launch(ctx); err == nil {
			return s, nil
		}
	}
	return nil, fmt.Errorf("start redis-server: %w", err)
}

// Restart stops the server and starts it again on the same port, in the
// same directory (its data survives only if it was persisted).
func (s *Server) Restart(ctx context.Context) error {
	s.Stop()
	return s.launch(ctx)
}

// Signal sends sig to the process.
func (s *Server) Signal(sig os.Signal) error { return s.cmd.Process.Signal(sig) }

// Stop kills the process (SIGKILL, as a machine crash would) and waits
// until it has exited, so that its port is free again.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// launch starts the process on s.Addr and waits for its PING.
func (s *Server) launch(ctx context.Context) error {
	_, port, _ := net.SplitHostPort(s.Addr)
	args := append([]string{"--port", port, "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", s.logFile()}, s.extra...)
	cmd := exec.Command(s.bin, args...)
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd, s.exited = cmd, make(chan error, 1)
	go func() { s.exited <- cmd.Wait() }()
	if err := s.awaitReady(ctx); err != nil {
		s.Stop()
		return err
	}
	return nil
}

func (s *Server) logFile() string { return filepath.Join(s.dir, "redis.log") }

// awaitReady pings the server until it answers, it exits, or readyTimeout
// passes.
func (s *Server) awaitReady(ctx context.Context) error {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case err := <-s.exited:
			s.exited <- err // for Stop
			s.cmd = nil
			log, _ := os.ReadFile(s.logFile())
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
			return fmt.Errorf("redis-server not ready after %s: %v", readyTimeout, err)
		}
		time.Sleep(10 * time.Millisecond) // polling for readiness: there is no event to await
	}
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
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
