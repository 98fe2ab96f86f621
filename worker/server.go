package worker

import (
	"context"
	"time"

	"github.com/hibiken/asynq"
)

// ServerConfig configures a Server.
type ServerConfig struct {
	// Redis is asynq's connection. Required.
	Redis asynq.RedisConnOpt
	// Concurrency is the number of tasks run at once. Default 10.
	Concurrency int
	// ShutdownTimeout is how long in-flight tasks get at shutdown. Default:
	// above the longest Cregis call.
	ShutdownTimeout time.Duration
	// Scheduler also runs the periodic sweeper (the "scheduler" role).
	Scheduler bool
	// SweepInterval is the sweeper's period. Default 1m.
	SweepInterval time.Duration
}

// Server runs a Pipeline's handlers on asynq. The caller controls its life:
// it never takes over OS signals (it never calls asynq.Server.Run).
type Server struct {
	p   *Pipeline
	cfg ServerConfig
}

// NewServer returns a Server for p.
func NewServer(p *Pipeline, cfg ServerConfig) (*Server, error) { panic("unimplemented") }

// Run starts the server, waits for ctx to end, then stops taking tasks and
// shuts down, letting in-flight tasks finish within ShutdownTimeout.
func (s *Server) Run(ctx context.Context) error { panic("unimplemented") }
