package worker

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"
)

func TestAsynqLogger(t *testing.T) {
	var buf bytes.Buffer
	exited := -1
	l := newAsynqLogger(zerolog.New(&buf))
	l.exit = func(code int) { exited = code }

	l.Debug("a", 1)
	l.Info("b")
	l.Warn("c")
	l.Error("d")
	l.Fatal("e")

	var got []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var e struct{ Level, Message, Component string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		if e.Component != "asynq" {
			t.Errorf("line %q: component %q, want asynq", line, e.Component)
		}
		got = append(got, e.Level+":"+e.Message)
	}
	want := []string{"debug:a1", "info:b", "warn:c", "error:d", "fatal:e"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("logged %v, want %v", got, want)
	}
	if exited != 1 {
		t.Errorf("Fatal exited with %d, want 1", exited)
	}
}

func TestAsynqLogLevel(t *testing.T) {
	cases := []struct {
		desc string
		in   zerolog.Level
		want asynq.LogLevel
	}{
		{"trace logs everything", zerolog.TraceLevel, asynq.DebugLevel},
		{"debug is debug", zerolog.DebugLevel, asynq.DebugLevel},
		{"info is info", zerolog.InfoLevel, asynq.InfoLevel},
		{"warn is warn", zerolog.WarnLevel, asynq.WarnLevel},
		{"error is error", zerolog.ErrorLevel, asynq.ErrorLevel},
		{"disabled keeps only fatal", zerolog.Disabled, asynq.FatalLevel},
	}
	for _, c := range cases {
		if got := asynqLogLevel(c.in); got != c.want {
			t.Errorf("%s: asynqLogLevel(%v) = %v, want %v", c.desc, c.in, got, c.want)
		}
	}
}
