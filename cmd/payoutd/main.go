// Command payoutd is the payout worker for the Cregis WaaS API: an HTTP
// intake, the asynq workers that create payouts at Cregis exactly once and
// poll them to their outcome, the Cregis callback receiver, and monitoring.
// `payoutd --help` lists its configuration; `payoutd demo` runs it against
// an in-process Redis and a fake Cregis.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "payoutd:", err)
		stop()
		os.Exit(1)
	}
}
