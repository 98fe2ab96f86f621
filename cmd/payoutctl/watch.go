package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

var cmdWatch = command{
	usage: "[-interval D] [-json] THIRD_PARTY_ID",
	help:  "follow a payout until it is terminal, printing each state change (exit 4 unless it succeeded)",
	run:   runWatch,
}

// exitNotSucceeded is watch's exit status for a payout that ended other than succeeded.
const exitNotSucceeded = 4

// errNotSucceeded says a watched payout ended failed, rejected or canceled.
var errNotSucceeded = errors.New("payout did not succeed")

// watchedRecord is the part of a record watch reads.
type watchedRecord struct {
	State     string `json:"state"`
	CID       any    `json:"cid,omitempty"`
	LastError string `json:"last_error,omitempty"`
}

var terminalStates = map[string]bool{"succeeded": true, "failed": true, "rejected": true, "canceled": true}

func runWatch(ctx context.Context, c *client, args []string, env environment) error {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	interval := fs.Duration("interval", 2*time.Second, "")
	asJSON := fs.Bool("json", false, "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 || *interval <= 0 {
		return fmt.Errorf("%w: want one payout id and a positive -interval", errUsage)
	}
	return watch(ctx, c, fs.Arg(0), *interval, *asJSON, env.stdout)
}

// watch prints the record each time its state changes until it is terminal.
func watch(ctx context.Context, c *client, id string, interval time.Duration, asJSON bool, w io.Writer) error {
	last := ""
	for {
		out, _, err := c.do(ctx, http.MethodGet, payoutPath(id), nil)
		if err != nil {
			return err
		}
		var rec watchedRecord
		if err := json.Unmarshal(out, &rec); err != nil {
			return fmt.Errorf("record: %w", err)
		}
		if rec.State != last {
			last = rec.State
			printWatched(w, asJSON, out, rec)
		}
		if terminalStates[rec.State] {
			return watchOutcome(rec.State)
		}
		if !sleepCtx(ctx, interval) {
			return ctx.Err()
		}
	}
}

func printWatched(w io.Writer, asJSON bool, raw []byte, rec watchedRecord) {
	if asJSON {
		var compact map[string]any
		_ = json.Unmarshal(raw, &compact)
		_ = json.NewEncoder(w).Encode(compact)
		return
	}
	line := time.Now().UTC().Format(time.RFC3339) + "  " + rec.State
	if rec.CID != nil {
		line += fmt.Sprintf("  cid %v", rec.CID)
	}
	if rec.LastError != "" {
		line += "  " + rec.LastError
	}
	fmt.Fprintln(w, line)
}

func watchOutcome(state string) error {
	if state == "succeeded" {
		return nil
	}
	return fmt.Errorf("%w: %s", errNotSucceeded, state)
}
