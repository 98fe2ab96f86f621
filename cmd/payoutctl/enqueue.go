package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
)

var cmdEnqueue = command{
	usage: "[-f FILE | -id ID -currency C -to ADDR -amount N [-memo M] [-remark R] [-source S] [-from ADDR] [-wallet-id N] [-notify-url U]]",
	help:  "enqueue a payout; the request is a JSON object from -f (- for stdin) or built from flags",
	run:   runEnqueue,
}

func runEnqueue(ctx context.Context, c *client, args []string, env environment) error {
	body, err := enqueueBody(args, env.stdin)
	if err != nil {
		return err
	}
	out, status, err := c.do(ctx, http.MethodPost, "/v1/payouts", body)
	if err != nil {
		return err
	}
	if status == http.StatusOK {
		fmt.Fprintln(env.stderr, "payoutctl: already enqueued; current record:")
	}
	return printJSON(env.stdout, out)
}

// enqueueBody reads the request from -f or builds it from flags.
func enqueueBody(args []string, stdin io.Reader) ([]byte, error) {
	fs := flag.NewFlagSet("enqueue", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	file := fs.String("f", "", "")
	fields := map[string]*string{}
	for _, name := range []string{"id", "currency", "to", "amount", "memo", "remark", "source", "from", "wallet-id", "notify-url"} {
		fields[name] = fs.String(name, "", "")
	}
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if *file != "" {
		return readRequestFile(*file, stdin)
	}
	if *fields["id"] == "" {
		return nil, fmt.Errorf("%w: -f or -id is required", errUsage)
	}
	req := map[string]string{}
	for flagName, jsonName := range map[string]string{
		"id": "third_party_id", "currency": "currency", "to": "to_address", "amount": "amount",
		"memo": "memo", "remark": "remark", "source": "source", "from": "from_address",
		"wallet-id": "wallet_id", "notify-url": "notify_url",
	} {
		if v := *fields[flagName]; v != "" {
			req[jsonName] = v
		}
	}
	return json.Marshal(req)
}

func readRequestFile(name string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, err
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("%s: not valid JSON", name)
	}
	return b, nil
}
