package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

var cmdResolve = command{
	usage: "THIRD_PARTY_ID CID",
	help:  "settle an unconfirmed payout with the cid found in the Cregis client",
	run:   runResolve,
}

func runResolve(ctx context.Context, c *client, args []string, env environment) error {
	if len(args) != 2 {
		return fmt.Errorf("%w: want a payout id and a cid", errUsage)
	}
	body, _ := json.Marshal(map[string]string{"cid": args[1]})
	out, _, err := c.do(ctx, http.MethodPost, payoutPath(args[0], "/resolve"), body)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, out)
}
