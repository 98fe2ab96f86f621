package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"
)

// environment is everything run takes from the process, so tests can drive it.
type environment struct {
	args   []string
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand.
type command struct {
	usage string // arguments, for help
	help  string // one line
	run   func(ctx context.Context, c *client, args []string, env environment) error
}

var commands = map[string]command{
	"enqueue": cmdEnqueue,
	"get":     cmdGet,
	"list":    cmdList,
	"retry":   cmdRetry,
	"resolve": cmdResolve,
	"cancel":  cmdCancel,
	"import":  cmdImport,
	"watch":   cmdWatch,
	"stats":   cmdStats,
	"resend":  cmdResend,
}

// errUsage marks a mistake in the command line (exit status 2).
var errUsage = errors.New("usage")

// run executes one payoutctl invocation and returns the exit status: 0 on
// success, 1 when the call failed (or, for import, a row was not enqueued as
// written), 2 for a usage error, 3 when import found invalid rows and sent
// nothing, 4 when watch saw the payout end in a state other than succeeded.
func run(ctx context.Context, env environment) int {
	fs := flag.NewFlagSet("payoutctl", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	url := fs.String("url", defaultString(env.getenv("PAYOUTD_URL"), "http://localhost:8080"), "payoutd base URL (env PAYOUTD_URL)")
	token := fs.String("token", env.getenv("PAYOUTD_TOKEN"), "bearer token, one of payoutd's API_TOKENS (env PAYOUTD_TOKEN)")
	timeout := fs.Duration("timeout", 30*time.Second, "timeout of each HTTP call")
	fs.Usage = func() { usage(fs, env.stderr) }
	if err := fs.Parse(env.args); err != nil {
		return 2
	}
	name := fs.Arg(0)
	cmd, ok := commands[name]
	if !ok {
		if name != "" && name != "help" {
			fmt.Fprintf(env.stderr, "payoutctl: unknown command %q\n", name)
		}
		fs.Usage()
		return 2
	}
	if wantsHelp(fs.Args()[1:]) {
		fmt.Fprintf(env.stdout, "usage: payoutctl %s %s\n\n%s\n", name, cmd.usage, cmd.help)
		return 0
	}
	c := &client{base: *url, token: *token, http: &http.Client{Timeout: *timeout}}
	err := cmd.run(ctx, c, fs.Args()[1:], env)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errInvalidRows):
		fmt.Fprintf(env.stderr, "payoutctl %s: %v\n", name, err)
		return exitInvalidRows
	case errors.Is(err, errNotSucceeded):
		fmt.Fprintf(env.stderr, "payoutctl %s: %v\n", name, err)
		return exitNotSucceeded
	case errors.Is(err, errUsage):
		fmt.Fprintf(env.stderr, "payoutctl %s: %v\nusage: payoutctl %s %s\n", name, err, name, cmd.usage)
		return 2
	default:
		fmt.Fprintf(env.stderr, "payoutctl %s: %v\n", name, err)
		return 1
	}
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintln(w, "usage: payoutctl [flags] <command> [arguments]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n           %s\n", n, commands[n].usage, commands[n].help)
	}
	fmt.Fprintln(w, "\nflags:")
	fs.PrintDefaults()
}

func defaultString(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// wantsHelp reports whether a subcommand's first argument asks for its help.
func wantsHelp(args []string) bool {
	return len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help")
}
