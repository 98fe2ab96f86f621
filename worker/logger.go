package worker

import (
	"fmt"
	"os"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"
)

// asynqLogger makes a zerolog.Logger asynq's Logger, so asynq's own lines go
// to the same structured log, tagged component=asynq.
type asynqLogger struct {
	log  zerolog.Logger
	exit func(code int) // os.Exit; replaced in tests
}

var _ asynq.Logger = (*asynqLogger)(nil)

func newAsynqLogger(l zerolog.Logger) *asynqLogger {
	return &asynqLogger{log: l.With().Str("component", "asynq").Logger(), exit: os.Exit}
}

func (a *asynqLogger) Debug(args ...any) { a.log.Debug().Msg(fmt.Sprint(args...)) }
func (a *asynqLogger) Info(args ...any)  { a.log.Info().Msg(fmt.Sprint(args...)) }
func (a *asynqLogger) Warn(args ...any)  { a.log.Warn().Msg(fmt.Sprint(args...)) }
func (a *asynqLogger) Error(args ...any) { a.log.Error().Msg(fmt.Sprint(args...)) }

// Fatal logs at fatal level and exits with status 1, as asynq's Logger
// contract says.
func (a *asynqLogger) Fatal(args ...any) {
	a.log.WithLevel(zerolog.FatalLevel).Msg(fmt.Sprint(args...))
	a.exit(1)
}

// asynqLogLevel maps zerolog's level to asynq's, so asynq does not format
// lines the logger would drop.
func asynqLogLevel(l zerolog.Level) asynq.LogLevel {
	switch {
	case l <= zerolog.DebugLevel:
		return asynq.DebugLevel
	case l == zerolog.InfoLevel:
		return asynq.InfoLevel
	case l == zerolog.WarnLevel:
		return asynq.WarnLevel
	case l == zerolog.ErrorLevel:
		return asynq.ErrorLevel
	}
	return asynq.FatalLevel
}
