package main

import (
	"context"
	"fmt"
	"net/http"
)

var cmdCancel = command{
	usage: "THIRD_PARTY_ID",
	help:  "withdraw a payout that provably never reached Cregis (409 may_exist_at_cregis otherwise)",
	run:   runCancel,
}

func runCancel(ctx context.Context, c *client, args []string, env environment) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: want one payout id", errUsage)
	}
	out, _, err := c.do(ctx, http.MethodPost, payoutPath(args[0], "/cancel"), []byte("{}"))
	if err != nil {
		return err
	}
	return printJSON(env.stdout, out)
}
