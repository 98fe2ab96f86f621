// Command payoutctl is the operator and backend CLI for payoutd: it enqueues,
// inspects, retries, resolves and cancels payouts through payoutd's /v1 HTTP API.
//
// Usage:
//
//	payoutctl [flags] <command> [arguments]
//
// Run "payoutctl help" for the commands. PAYOUTD_URL and PAYOUTD_TOKEN supply
// the defaults of -url and -token.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := environment{args: os.Args[1:], getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	os.Exit(run(ctx, env))
}
