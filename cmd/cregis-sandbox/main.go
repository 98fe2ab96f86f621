// Command cregis-sandbox runs the cregistest fake of Cregis as a standalone
// server, so that payoutd (or a person with curl) can be pointed at it by
// hand. It moves no money. Run it with -h for its flags.
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
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cregis-sandbox:", err)
		os.Exit(1)
	}
}
