package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sort"
	"text/tabwriter"
	"time"
)

var cmdStats = command{
	usage: "[-json]",
	help:  "counts by state, the oldest open payout's age, held and unconfirmed counts, queue sizes (GET /v1/stats)",
	run:   runStats,
}

// statsView is GET /v1/stats's body.
type statsView struct {
	States        map[string]int64 `json:"states"`
	Open          int64            `json:"open"`
	Unconfirmed   int64            `json:"unconfirmed"`
	Held          int              `json:"held"`
	OldestOpenID  string           `json:"oldest_open_id"`
	OldestOpenAge float64          `json:"oldest_open_age_seconds"`
	Queues        []struct {
		Name                                              string
		Size, Pending, Active, Scheduled, Retry, Archived int
		Latency                                           float64 `json:"latency_seconds"`
	} `json:"queues"`
}

func runStats(ctx context.Context, c *client, args []string, env environment) error {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return fmt.Errorf("%w: stats takes no arguments", errUsage)
	}
	out, _, err := c.do(ctx, http.MethodGet, "/v1/stats", nil)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env.stdout, out)
	}
	var s statsView
	if err := json.Unmarshal(out, &s); err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	return printStats(env.stdout, s)
}

func printStats(w io.Writer, s statsView) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "open\t%d\nunconfirmed\t%d\nheld\t%d\n", s.Open, s.Unconfirmed, s.Held)
	age := time.Duration(s.OldestOpenAge * float64(time.Second)).Round(time.Second)
	fmt.Fprintf(tw, "oldest open\t%s\t%s\n", s.OldestOpenID, age)
	states := make([]string, 0, len(s.States))
	for st := range s.States {
		states = append(states, st)
	}
	sort.Strings(states)
	fmt.Fprintln(tw, "\nSTATE\tCOUNT")
	for _, st := range states {
		fmt.Fprintf(tw, "%s\t%d\n", st, s.States[st])
	}
	fmt.Fprintln(tw, "\nQUEUE\tSIZE\tPENDING\tACTIVE\tSCHEDULED\tRETRY\tARCHIVED\tLATENCY")
	for _, q := range s.Queues {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%.1fs\n", q.Name, q.Size, q.Pending, q.Active, q.Scheduled, q.Retry, q.Archived, q.Latency)
	}
	return tw.Flush()
}
