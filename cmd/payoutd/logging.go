package main

import (
	"context"
	"io"
	stdlog "log"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
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

// routeRedisLogs sends go-redis's own messages (failed dials, pool trouble)
// to log as warnings with "component":"redis", instead of unstructured lines
// on stderr. go-redis has one logger per process: the last call wins.
func routeRedisLogs(log zerolog.Logger) {
	redis.SetLogger(redisLogger{log.With().Str("component", "redis").Logger()})
}

// redisLogger adapts zerolog to go-redis's logging interface.
type redisLogger struct{ log zerolog.Logger }

// Printf implements go-redis's internal.Logging.
func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn().Msgf(format, v...)
}

// routeStdLog sends what libraries print through the standard log package
// (asynq's queue metrics collector, when Redis is unreachable) to log as
// warnings with "component":"stdlog", so that every line is JSON. The
// standard logger is process-wide: the last call wins.
func routeStdLog(log zerolog.Logger) {
	stdlog.SetFlags(0)
	stdlog.SetPrefix("")
	stdlog.SetOutput(stdLogWriter{log.With().Str("component", "stdlog").Logger()})
}

// stdLogWriter turns each write of the standard logger (one message) into
// one zerolog line.
type stdLogWriter struct{ log zerolog.Logger }

// Write implements io.Writer.
func (w stdLogWriter) Write(p []byte) (int, error) {
	w.log.Warn().Msg(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
