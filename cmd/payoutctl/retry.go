package main

import (
	"context"
	"fmt"
	"net/http"
)

var cmdRetry = command{
	usage: "THIRD_PARTY_ID",
	help:  "re-drive a non-terminal payout now",
	run:   runRetry,
}

func runRetry(ctx context.Context, c *client, args []string, env environment) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: want one payout id", errUsage)
	}
	out, _, err := c.do(ctx, http.MethodPost, payoutPath(args[0], "/retry"), []byte("{}"))
	if err != nil {
		return err
	}
	return printJSON(env.stdout, out)
}
