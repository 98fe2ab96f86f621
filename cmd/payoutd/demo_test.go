package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/payoutd/payoutd/tasks"
)

// TestDemoOnceEndsAsScripted runs the whole demo: it needs real time (the
// sandbox's payouts dwell a second in each status), about ten seconds.
func TestDemoOnceEndsAsScripted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out := newLogLines()
	env := map[string]string{"HTTP_ADDR": "127.0.0.1:0", "LOG_FORMAT": "json"}
	if err := run(ctx, []string{"demo", "--once"}, getenvFrom(env), out); err != nil {
		t.Fatalf("demo --once: got %v, want nil (exit 0); output:\n%s", err, tail(out.String()))
	}
	for _, want := range []string{"SANDBOX", "/monitoring", "user demo, password ", "on purpose (HTTP 504)", "ended as the sandbox scripted them"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, tail(out.String()))
		}
	}
}

func TestDemoKeepsServingUntilInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := newLogLines()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo"}, getenvFrom(map[string]string{"HTTP_ADDR": "127.0.0.1:0"}), out)
	}()
	deadline := time.After(60 * time.Second)
	for !strings.Contains(out.String(), "Still serving") {
		select {
		case err := <-done:
			t.Fatalf("demo returned %v before Ctrl-C; output:\n%s", err, tail(out.String()))
		case <-deadline:
			t.Fatalf("demo did not settle its samples; output:\n%s", tail(out.String()))
		case <-time.After(50 * time.Millisecond): // polling the output: it has no event to await
		}
	}
	cancel() // Ctrl-C
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("demo after Ctrl-C: got %v, want nil (exit 0)", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not stop after Ctrl-C")
	}
}

func TestDemoRefusesAnAddressItCannotBind(t *testing.T) {
	t.Parallel()
	env := map[string]string{"HTTP_ADDR": "256.0.0.1:1"}
	err := run(context.Background(), []string{"demo", "--once"}, getenvFrom(env), newLogLines())
	if err == nil || !strings.Contains(err.Error(), "HTTP_ADDR") {
		t.Errorf("got %v, want an error naming HTTP_ADDR", err)
	}
}

func TestDemoTableShowsOnlyWhatIsKnown(t *testing.T) {
	samples := []sample{
		{label: "succeeds", id: "demo-1"},
		{label: "invalid amount", id: "demo-2", refusal: tasks.CodeTooManyDecimals},
	}
	recs := []*tasks.Record{{State: tasks.StateQueued}, nil}
	lines := strings.Split(table(samples, recs), "\n")
	if queued := lines[1]; strings.Contains(queued, "422") {
		t.Errorf("a queued payout Cregis has not reported on shows a refusal: %q", queued)
	}
	if refused := lines[2]; !strings.Contains(refused, "(422 "+tasks.CodeTooManyDecimals+")") {
		t.Errorf("the refused sample's line: got %q, want its 422 and code", refused)
	}
}
