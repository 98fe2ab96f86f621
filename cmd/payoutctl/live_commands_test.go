package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestWatchFollowsAPayoutUntilItIsTerminal(t *testing.T) {
	l := newLive(t)
	if code, _, stderr := l.cli(context.Background(), "enqueue", "-id", "w-1", "-currency", "195@195", "-to", "TA", "-amount", "1"); code != 0 {
		t.Fatalf("enqueue: exit %d %s", code, stderr)
	}
	type result struct {
		code   int
		stdout string
	}
	done := make(chan result, 1)
	go func() {
		code, stdout, _ := l.cli(context.Background(), "watch", "-interval", "20ms", "w-1")
		done <- result{code, stdout}
	}()
	select {
	case r := <-done:
		t.Fatalf("watch ended before the payout was terminal: exit %d %q", r.code, r.stdout)
	case <-time.After(200 * time.Millisecond): // watch must still be following a queued payout
	}
	if code, _, stderr := l.cli(context.Background(), "cancel", "w-1"); code != 0 {
		t.Fatalf("cancel: exit %d %s", code, stderr)
	}
	r := <-done
	if r.code != exitNotSucceeded || !strings.Contains(r.stdout, "queued") || !strings.Contains(r.stdout, "canceled") {
		t.Errorf("watch: got exit %d output %q; want exit 4 after showing queued then canceled", r.code, r.stdout)
	}
}

func TestStatsShowsTheCountsOfPayoutd(t *testing.T) {
	l := newLive(t)
	for _, id := range []string{"s-1", "s-2"} {
		l.cli(context.Background(), "enqueue", "-id", id, "-currency", "195@195", "-to", "TA", "-amount", "1")
	}
	code, stdout, stderr := l.cli(context.Background(), "stats", "-json")
	var s statsView
	if err := json.Unmarshal([]byte(stdout), &s); code != 0 || err != nil {
		t.Fatalf("stats -json: exit %d %v %s", code, err, stderr)
	}
	if s.Open != 2 || s.States["queued"] != 2 || s.OldestOpenID != "s-1" || len(s.Queues) != 1 || s.Queues[0].Pending != 2 {
		t.Errorf("stats: got %+v want 2 open queued, oldest s-1, one queue with 2 pending", s)
	}
	code, stdout, _ = l.cli(context.Background(), "stats")
	if code != 0 || !strings.Contains(stdout, "open         2") || !strings.Contains(stdout, "payout_submit") {
		t.Errorf("stats table: exit %d\n%s", code, stdout)
	}
}

func TestResendPostsToThePayoutsWebhook(t *testing.T) {
	l := newLive(t)
	ctx := context.Background()
	l.cli(ctx, "enqueue", "-id", "r-1", "-currency", "195@195", "-to", "TA", "-amount", "1", "-notify-url", "https://backend.example/hooks")
	l.cli(ctx, "enqueue", "-id", "r-2", "-currency", "195@195", "-to", "TA", "-amount", "1")
	if code, _, stderr := l.cli(ctx, "cancel", "r-1"); code != 0 {
		t.Fatalf("cancel: exit %d %s", code, stderr)
	}
	code, stdout, stderr := l.cli(ctx, "resend", "r-1")
	if code != 0 || !strings.Contains(stdout, `"event": "canceled"`) || !strings.Contains(stdout, `"id": "evt_`) {
		t.Errorf("resend of a canceled payout: got exit %d %q %q; want its canceled event's delivery", code, stdout, stderr)
	}
	if code, _, stderr := l.cli(ctx, "resend", "r-2"); code != 1 || !strings.Contains(stderr, "no_event") {
		t.Errorf("resend of a payout without an event: got exit %d %q; want exit 1 and no_event", code, stderr)
	}
	if code, _, stderr := l.cli(ctx, "resend", "r-unknown"); code != 1 || !strings.Contains(stderr, "HTTP 404") {
		t.Errorf("resend of an unknown payout: got exit %d %q; want exit 1 and 404", code, stderr)
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for name, cmd := range commands {
		for _, flag := range []string{"-h", "--help"} {
			code, stdout, _ := runCLI(t, "http://127.0.0.1:1", "", name, flag)
			if code != 0 || !strings.Contains(stdout, "usage: payoutctl "+name) || !strings.Contains(stdout, cmd.help) {
				t.Errorf("%s %s: got exit %d %q", name, flag, code, stdout)
			}
		}
	}
}
