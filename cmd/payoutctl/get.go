package main

import (
	"context"
	"fmt"
	"net/http"
)

var cmdGet = command{
	usage: "THIRD_PARTY_ID",
	help:  "print one payout record",
	run:   runGet,
}

func runGet(ctx context.Context, c *client, args []string, env environment) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: want one payout id", errUsage)
	}
	out, _, err := c.do(ctx, http.MethodGet, payoutPath(args[0]), nil)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, out)
}
