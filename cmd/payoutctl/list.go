package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

var cmdList = command{
	usage: "[-state STATE] [-limit N] [-cursor C]",
	help:  "print a page of payout records, newest first",
	run:   runList,
}

func runList(ctx context.Context, c *client, args []string, env environment) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	state := fs.String("state", "", "")
	limit := fs.Int("limit", 0, "")
	cursor := fs.String("cursor", "", "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return fmt.Errorf("%w: bad arguments %q", errUsage, args)
	}
	q := url.Values{}
	if *state != "" {
		q.Set("state", *state)
	}
	if *limit > 0 {
		q.Set("limit", strconv.Itoa(*limit))
	}
	if *cursor != "" {
		q.Set("cursor", *cursor)
	}
	path := "/v1/payouts"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	out, _, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, out)
}
