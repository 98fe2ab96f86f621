package main

import (
	"fmt"
	"io"
	"os"

	"github.com/rs/zerolog"
)

// newLogger is payoutd's logger at its default level (info), so that the
// lines payoutd writes cost what they cost in production; only warnings and
// errors reach w.
func newLogger(w io.Writer) zerolog.Logger {
	out := &zerolog.FilteredLevelWriter{Writer: zerolog.LevelWriterAdapter{Writer: w}, Level: zerolog.WarnLevel}
	return zerolog.New(out).Level(zerolog.InfoLevel).With().Timestamp().Logger()
}

// quietLogger is the floor's asynq logger: warnings and errors to stderr.
type quietLogger struct{}

// Debug implements asynq.Logger.
func (quietLogger) Debug(...any) {}

// Info implements asynq.Logger.
func (quietLogger) Info(...any) {}

// Warn implements asynq.Logger.
func (quietLogger) Warn(args ...any) {
	fmt.Fprintln(os.Stderr, append([]any{"floor: asynq:"}, args...)...)
}

// Error implements asynq.Logger.
func (quietLogger) Error(args ...any) {
	fmt.Fprintln(os.Stderr, append([]any{"floor: asynq:"}, args...)...)
}

// Fatal implements asynq.Logger.
func (quietLogger) Fatal(args ...any) {
	fmt.Fprintln(os.Stderr, append([]any{"floor: asynq:"}, args...)...)
	os.Exit(1)
}
