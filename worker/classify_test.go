package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
)

func apiErr(code string) error { return &cregis.APIError{Op: cregis.PathPayout, Code: code, Msg: "x"} }

func TestClassify(t *testing.T) {
	cases := []struct {
		desc string
		err  error
		want policy
	}{
		{"no error is no policy", nil, policy{Class: classNone}},
		{"an undecodable payload is archived at once", fmt.Errorf("%w: bad payload", asynq.SkipRetry), policy{Class: classSkip, Skip: true}},
		{"a missing record is archived at once", fmt.Errorf("get: %w", tasks.ErrNotFound), policy{Class: classSkip, Skip: true}},
		{"a spent rate limit waits its RetryAfter without failing", &rateLimitedError{retryAfter: 300 * time.Millisecond}, policy{Class: classRateLimited, Delay: 300 * time.Millisecond}},
		{"a held lease comes back soon without failing", errBusy, policy{Class: classBusy, Delay: busyDelay}},
		{"a poll with no verdict comes back after its delay without failing", &pollLaterError{delay: time.Minute, err: apiErr("E0014")}, policy{Class: classPollLater, Delay: time.Minute}},
		{"a configuration error on the first attempt waits 30s without failing", &heldError{attempts: 1, err: apiErr("E0001")}, policy{Class: classHeld, Delay: 30 * time.Second}},
		{"a configuration error doubles its wait per attempt", &heldError{attempts: 3, err: apiErr("B0001")}, policy{Class: classHeld, Delay: 2 * time.Minute}},
		{"a configuration error waits at most 10m", &heldError{attempts: 100, err: apiErr("E0004")}, policy{Class: classHeld, Delay: 10 * time.Minute}},
		{"an HTTP error leaves the outcome unknown and fails", &cregis.HTTPError{Op: cregis.PathPayout, StatusCode: 504}, policy{Class: classUnknown, Failure: true}},
		{"a request that may have been sent leaves the outcome unknown", &cregis.TransportError{Op: cregis.PathPayout, Sent: true, Err: io.ErrUnexpectedEOF}, policy{Class: classUnknown, Failure: true}},
		{"a request never sent is transient", &cregis.TransportError{Op: cregis.PathPayout, Sent: false, Err: errors.New("refused")}, policy{Class: classTransient, Failure: true}},
		{"a worker that died mid-task leaves the outcome unknown", asynq.ErrLeaseExpired, policy{Class: classUnknown, Failure: true}},
		{"a shutdown comes back soon without failing", fmt.Errorf("x: %w", context.Canceled), policy{Class: classCanceled, Delay: canceledDelay}},
		{"a task timeout fails", context.DeadlineExceeded, policy{Class: classTransient, Failure: true}},
		{"a webhook not acknowledged fails", &notDeliveredError{status: 500}, policy{Class: classNotDelivered, Failure: true}},
		{"any other error is transient and fails", errors.New("redis: connection refused"), policy{Class: classTransient, Failure: true}},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			if got := classify(c.err); got != c.want {
				t.Errorf("classify(%v) = %+v, want %+v", c.err, got, c.want)
			}
		})
	}
}

func TestJudgeCreate(t *testing.T) {
	cases := []struct {
		desc        string
		err         error
		namedWallet bool
		want        verdict
	}{
		{"00000 is accepted", nil, false, verdictAccepted},
		{"E0009 is a duplicate", apiErr("E0009"), false, verdictDuplicate},
		{"a parameter error is a refusal", apiErr("A0001"), false, verdictRefused},
		{"an invalid address is a refusal", apiErr("E0008"), false, verdictRefused},
		{"an amount precision error is a refusal", apiErr("E0007"), false, verdictRefused},
		{"an unknown wallet the request named is a refusal", apiErr("E0010"), true, verdictRefused},
		{"an unknown default wallet (no wallet_id) is held: the project is misconfigured", apiErr("E0010"), false, verdictHeld},
		{"a payout wallet mismatch is held: the project is misconfigured", apiErr("E0037"), false, verdictHeld},
		{"a payout wallet mismatch with a wallet_id is held too", apiErr("E0037"), true, verdictHeld},
		{"an invalid memo is a refusal", apiErr("E0032"), false, verdictRefused},
		{"a request the client refused to send is a refusal", &cregis.RequestError{Op: cregis.PathPayout, Field: "amount", Reason: "is required"}, false, verdictRefused},
		{"a signature error is held", apiErr("B0001"), false, verdictHeld},
		{"an IP not on the allowlist is held", apiErr("E0001"), false, verdictHeld},
		{"an abnormal project is held", apiErr("E0003"), false, verdictHeld},
		{"a project setting off is held", apiErr("E0004"), false, verdictHeld},
		{"a withdrawal quota is held", apiErr("E0034"), false, verdictHeld},
		{"a subscription quota is held", apiErr("T0062"), false, verdictHeld},
		{"an undocumented code is held, never a rejection", apiErr("E0999"), false, verdictHeld},
		{"a gateway timeout leaves the outcome unknown", &cregis.HTTPError{Op: cregis.PathPayout, StatusCode: 504}, false, verdictUnknown},
		{"a reset after sending leaves the outcome unknown", &cregis.TransportError{Sent: true, Err: io.ErrUnexpectedEOF}, false, verdictUnknown},
		{"a refused connection was not sent", &cregis.TransportError{Sent: false, Err: errors.New("refused")}, false, verdictNotSent},
		{"a bare context error leaves the outcome unknown", context.DeadlineExceeded, false, verdictUnknown},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			if got := judgeCreate(c.err, c.namedWallet); got != c.want {
				t.Errorf("judgeCreate(%v, named wallet %t) = %d, want %d", c.err, c.namedWallet, got, c.want)
			}
		})
	}
}

func TestRetryDelay(t *testing.T) {
	cases := []struct {
		desc     string
		failures int
		err      error
		lo, hi   time.Duration
	}{
		{"the first failure waits about 5s", 0, errors.New("x"), 5 * time.Second, 6 * time.Second},
		{"the fourth failure waits about 40s", 3, errors.New("x"), 40 * time.Second, 48 * time.Second},
		{"failures wait at most about 10m", 50, errors.New("x"), 10 * time.Minute, 12 * time.Minute},
		{"a spent rate limit waits RetryAfter plus under a second", 7, &rateLimitedError{retryAfter: 100 * time.Millisecond}, 100 * time.Millisecond, 1100 * time.Millisecond},
		{"a held payout ignores the failure count", 40, &heldError{attempts: 1, err: apiErr("E0001")}, 30 * time.Second, 36 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			for range 20 {
				if got := retryDelay(c.failures, c.err, nil); got < c.lo || got > c.hi {
					t.Fatalf("retryDelay(%d, %v) = %s, want within [%s, %s]", c.failures, c.err, got, c.lo, c.hi)
				}
			}
		})
	}
}

func TestSkipIfPermanent(t *testing.T) {
	t.Run("AMissingRecordSkipsRetry", func(t *testing.T) {
		if err := skipIfPermanent(tasks.ErrNotFound); !errors.Is(err, asynq.SkipRetry) || !errors.Is(err, tasks.ErrNotFound) {
			t.Errorf("got %v, want it to wrap both SkipRetry and ErrNotFound", err)
		}
	})
	t.Run("ATransientErrorIsLeftAlone", func(t *testing.T) {
		in := errors.New("redis down")
		if err := skipIfPermanent(in); err != in {
			t.Errorf("got %v, want %v unchanged", err, in)
		}
	})
	t.Run("NilStaysNil", func(t *testing.T) {
		if err := skipIfPermanent(nil); err != nil {
			t.Errorf("got %v, want nil", err)
		}
	})
}

func TestIsFailureFollowsClassify(t *testing.T) {
	if isFailure(errBusy) {
		t.Error("isFailure(errBusy) = true, want false: waiting for a lease must not consume retries")
	}
	if !isFailure(&cregis.HTTPError{StatusCode: 502}) {
		t.Error("isFailure(HTTP 502) = false, want true")
	}
}
