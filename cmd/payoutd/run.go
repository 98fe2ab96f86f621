package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// usage introduces `payoutd --help`; the variables follow, from Config.
const usage = `payoutd: a queue-driven payout worker for the Cregis WaaS API.

Usage:
  payoutd                 run, configured by the environment variables below
  payoutd demo [--once]   the sandbox demo: in-process Redis and a fake Cregis, no configuration;
                          --once exits when every sample payout is terminal (0 if each ended as scripted)
  payoutd --help          print this help
  payoutd --help-markdown print the variables as the README's Markdown table

Environment variables (an empty variable counts as unset):
`

// run is payoutd. args are the command-line arguments after the program
// name; getenv reads the environment; logs and output go to stdout. It
// returns when ctx ends (after a graceful shutdown) or on a fatal error.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "-h", "-help", "--help", "help":
			return printHelp(stdout)
		case "--help-markdown":
			return printConfigTable(stdout)
		case "demo":
			return runDemoCommand(ctx, args[1:], getenv, stdout)
		}
		return fmt.Errorf("unknown argument %q (try --help)", args[0])
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, stdout, nil)
}

// runDemoCommand parses demo's flags and runs it.
func runDemoCommand(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	once := fs.Bool("once", false, "exit when every sample payout is terminal")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return fmt.Errorf("usage: payoutd demo [--once]")
	}
	return runDemo(ctx, getenv, stdout, *once)
}

// printHelp writes the usage and the table of variables generated from
// Config's tags.
func printHelp(w io.Writer) error {
	var b strings.Builder
	b.WriteString(usage)
	for _, v := range configVars() {
		fmt.Fprintf(&b, "\n  %s=%s\n      %s\n", v.Name, v.Default, v.Help)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// printConfigTable writes the variables as a Markdown table.
func printConfigTable(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| variable | default | meaning |\n|---|---|---|\n")
	for _, v := range configVars() {
		def := ""
		if v.Default != "" {
			def = "`" + v.Default + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", v.Name, def, strings.ReplaceAll(v.Help, "|", "\\|"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// serve runs payoutd with cfg until ctx ends. It serves HTTP on ln, or
// when ln is nil on a listener bound to HTTP_ADDR; either way the "http
// listening" log line reports the bound address (tests bind 127.0.0.1:0 and
// read it there).
func serve(ctx context.Context, cfg Config, stdout io.Writer, ln net.Listener) error {
	logger := newLogger(&cfg, stdout)
	routeRedisLogs(logger)
	routeStdLog(logger)
	a, err := newApp(cfg, logger)
	if err != nil {
		return err
	}
	defer a.close()
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			return problem("HTTP_ADDR", "cannot listen: %v", err)
		}
	}
	err = a.run(ctx, ln)
	if err != nil {
		logger.Error().Err(err).Msg("payoutd stopped")
		return err
	}
	logger.Info().Msg("payoutd stopped")
	return nil
}

// run listens, starts the roles, waits for ctx to end, and shuts down: the
// worker stops taking tasks and lets in-flight ones finish, HTTP finishes
// its requests, both within SHUTDOWN_TIMEOUT.
func (a *app) run(ctx context.Context, ln net.Listener) error {
	a.log.Info().Str("addr", ln.Addr().String()).Strs("roles", a.cfg.Roles).Msg("http listening")
	srv := a.httpServer()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return a.runWorker(gctx) })
	g.Go(func() error { return ignoreClosed(srv.Serve(ln)) })
	g.Go(func() error {
		<-gctx.Done()
		a.log.Info().Msg("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	return g.Wait()
}

// httpServer is the HTTP server of the surface, with timeouts that keep
// slow clients from holding connections.
func (a *app) httpServer() *http.Server {
	return &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2*a.cfg.CregisTimeout + 10*time.Second, // resolve may query both endpoints
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(a.log.With().Str("component", "http").Logger(), "", 0),
	}
}

// runWorker runs the asynq server when the process has the worker or
// scheduler role, until ctx ends.
func (a *app) runWorker(ctx context.Context) error {
	if a.worker == nil {
		return nil
	}
	if err := a.worker.Run(ctx); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	return nil
}

func ignoreClosed(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
