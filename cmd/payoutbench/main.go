// Command payoutbench measures payoutd against the least any asynq-based
// payout worker must do, in one run on one machine, and prints a Markdown
// table (also written to -out) of each figure beside its reference and the
// ratio, marked against issue 9's targets.
//
// It starts a private redis-server (no persistence; killed on exit) and a
// fake Cregis in process whose payouts succeed at once. The reference for
// the drain is the floor worker: a bare asynq server with two tasks and two
// signed Cregis calls a payout, nothing recorded. The definitions are
// written under the table.
//
//	go run ./cmd/payoutbench                  # full run, a few minutes
//	go run ./cmd/payoutbench -quick           # under a minute (CI)
//	go run ./cmd/payoutbench -only drain -cpuprofile drain.pprof
//
// Targets missed are marked in the table, but the exit status is 0: it is
// non-zero only when the benchmark itself broke (a payout did not finish,
// ended wrong, or was created twice) or could not run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "payoutbench:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	quick       bool
	out         string
	concurrency int
	cpuProfile  string
	rounds      int      // runs of each drain and intake figure, alternating; the fastest counts
	only        []string // measurement names; empty: all
	sizes       sizes
}

// sizes are how many payouts or requests each measurement uses.
type sizes struct {
	drain    int    // payouts drained, by payoutd and by the floor
	memory   [2]int // in-flight payouts, at two sizes
	intake   int    // requests of each intake figure
	schedule int    // payouts on the realistic timeline
	verify   int    // verification requests
}

var (
	fullSizes  = sizes{drain: 20000, memory: [2]int{10000, 100000}, intake: 20000, schedule: 20, verify: 2000}
	quickSizes = sizes{drain: 3000, memory: [2]int{2000, 10000}, intake: 3000, schedule: 5, verify: 300}
)

// measurements names what -only selects, in the order they run.
var measurements = []string{"drain", "memory", "intake", "schedule", "verify"}

// parseFlags reads the command line.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("payoutbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var n int
	var only string
	fs.BoolVar(&o.quick, "quick", false, "smaller sizes: finishes in under a minute (CI checks that it runs)")
	fs.StringVar(&o.out, "out", "payoutbench.md", "also write the table to this file (\"\" for none)")
	fs.IntVar(&n, "n", 0, "payouts of the drain (default 20000, or 3000 with -quick)")
	fs.IntVar(&o.concurrency, "concurrency", 20, "asynq Concurrency of payoutd's worker and of the floor worker")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of payoutd's (first) drain to this file")
	fs.IntVar(&o.rounds, "rounds", 1, "run each drain and intake figure this many times, alternately, and report the fastest of each (a noisy machine)")
	fs.StringVar(&only, "only", "", "comma-separated measurements to run, of "+strings.Join(measurements, ","))
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.sizes = fullSizes
	if o.quick {
		o.sizes = quickSizes
	}
	if n > 0 {
		o.sizes.drain = n
	}
	return o, o.parseOnly(only)
}

func (o *options) parseOnly(only string) error {
	if only == "" {
		return nil
	}
	for _, name := range strings.Split(only, ",") {
		if !slices.Contains(measurements, name) {
			return fmt.Errorf("-only: unknown measurement %q (want some of %s)", name, strings.Join(measurements, ","))
		}
		o.only = append(o.only, name)
	}
	return nil
}

// selected reports whether the measurement name runs.
func (o options) selected(name string) bool { return len(o.only) == 0 || slices.Contains(o.only, name) }

// run starts Redis, measures, and prints and writes the report.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opt, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if opt.concurrency < 1 || opt.rounds < 1 {
		return errors.New("-concurrency and -rounds must be at least 1")
	}
	rs, err := startRedis(ctx)
	if err != nil {
		return err
	}
	defer rs.stop()
	b := &bench{opt: opt, redis: rs, log: newLogger(stderr), progress: stderr}
	rep, err := b.measureAll(ctx)
	if err != nil {
		return err
	}
	text := rep.markdown()
	if _, err := io.WriteString(stdout, text); err != nil {
		return err
	}
	if opt.out == "" {
		return nil
	}
	return os.WriteFile(opt.out, []byte(text), 0o644)
}
