package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
)

// printInvalid reports the rows refused locally (nothing was sent).
func printInvalid(env environment, opt importOptions, invalid []rowProblem) {
	if opt.json {
		_ = json.NewEncoder(env.stdout).Encode(map[string]any{"invalid": invalid})
		return
	}
	printProblems(env, "invalid rows (nothing was sent)", invalid)
}

// printSummary reports what an import did: a table, or one JSON object with -json.
func printSummary(env environment, opt importOptions, s *importSummary) {
	if opt.json {
		_ = json.NewEncoder(env.stdout).Encode(s)
		return
	}
	if len(s.Invalid) > 0 {
		printProblems(env, "skipped invalid rows", s.Invalid)
	}
	if len(s.Problems) > 0 {
		printProblems(env, "rows not enqueued as written", s.Problems)
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	for _, kv := range []struct {
		k string
		v int
	}{{"rows", s.Rows}, {"accepted", s.Accepted}, {"already there", s.Already}, {"conflicts", s.Conflicts},
		{"refused", s.Refused}, {"failed", s.Failed}, {"invalid", len(s.Invalid)}} {
		fmt.Fprintf(tw, "%s\t%d\n", kv.k, kv.v)
	}
	fmt.Fprintf(tw, "seconds\t%.1f\n", s.Seconds)
	_ = tw.Flush()
}

func printProblems(env environment, title string, ps []rowProblem) {
	fmt.Fprintf(env.stdout, "%s:\n", title)
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LINE\tTHIRD_PARTY_ID\tSTATUS\tCODE\tFIELD\tREASON")
	for _, p := range ps {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\n", p.Line, p.ThirdPartyID, p.Status, p.Code, p.Field, p.Message)
	}
	_ = tw.Flush()
}
