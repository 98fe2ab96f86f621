package main

import (
	"context"
	"fmt"
	"net/http"
)

var cmdResend = command{
	usage: "THIRD_PARTY_ID",
	help:  "re-send the payout's latest webhook event (POST /v1/payouts/{id}/webhook), e.g. after its attempts were exhausted",
	run:   runResend,
}

func runResend(ctx context.Context, c *client, args []string, env environment) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: want one payout id", errUsage)
	}
	out, _, err := c.do(ctx, http.MethodPost, payoutPath(args[0], "/webhook"), []byte("{}"))
	if err != nil {
		return err
	}
	return printJSON(env.stdout, out)
}
