package main

import (
	"io"
	"time"

	"github.com/rs/zerolog"
)

// newLogger builds payoutd's one logger, writing to w as JSON lines or, for
// LOG_FORMAT=console, as coloured text for people.
func newLogger(c *Config, w io.Writer) zerolog.Logger {
	level, _ := zerolog.ParseLevel(c.LogLevel)
	out := zerolog.SyncWriter(w)
	if c.LogFormat == "console" {
		out = zerolog.ConsoleWriter{Out: out, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger()
}
