package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/payoutd/payoutd/cregis/cregistest"
)

// run starts the sandbox, prints where it listens, and serves until ctx ends.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, err := parseFlags(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	s, err := cregistest.Start(cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	registerViews(s)
	printBanner(stdout, s)
	<-ctx.Done()
	return nil
}

// printBanner tells a person how to reach the sandbox. The key is a sandbox
// key: printing it is the point.
func printBanner(w io.Writer, s *cregistest.Server) {
	fmt.Fprintf(w, "cregis-sandbox: a fake Cregis; it moves no money\n")
	fmt.Fprintf(w, "listening on %s\n", s.URL)
	fmt.Fprintf(w, "pid          %d\n", s.PID)
	fmt.Fprintf(w, "api key      %s\n", s.APIKey)
	fmt.Fprintf(w, "ledger       GET %s%s\n", s.URL, pathLedger)
	fmt.Fprintf(w, "state        GET %s%s\n", s.URL, pathState)
	fmt.Fprintf(w, "verification GET %s%s\n", s.URL, pathVerifications)
}
