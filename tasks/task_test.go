package tasks

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/internal/redistest"
)

// asynqFixture is an asynq client and inspector over a private Redis, with
// queue names unique to the test.
type asynqFixture struct {
	client    *asynq.Client
	inspector *asynq.Inspector
	queues    Queues
}

func newAsynqFixture(t *testing.T, r *redistest.Redis) *asynqFixture {
	t.Helper()
	f := &asynqFixture{
		client:    asynq.NewClient(r.AsynqOpt()),
		inspector: asynq.NewInspector(r.AsynqOpt()),
		queues:    NewQueues(r.Prefix),
	}
	t.Cleanup(func() { f.client.Close(); f.inspector.Close() })
	return f
}

// enqueue enqueues task and returns what asynq stored.
func (f *asynqFixture) enqueue(t *testing.T, task *asynq.Task) *asynq.TaskInfo {
	t.Helper()
	info, err := f.client.Enqueue(task)
	if err != nil {
		t.Fatalf("enqueue %s: %v", task.Type(), err)
	}
	return info
}

func TestTaskConstructors(t *testing.T) {
	f := newAsynqFixture(t, redistest.New(t))
	q := f.queues
	cases := []struct {
		desc      string
		task      func() (*asynq.Task, error)
		wantType  string
		wantQueue string
		wantID    string
		wantRetry int
		wantDelay bool
	}{
		{"submit is idempotent per payout and retried until settled",
			func() (*asynq.Task, error) { return NewSubmitTask(q, "order-1", time.Minute) },
			TypeSubmit, q.Submit, "submit:order-1", SubmitMaxRetry, false},
		{"poll is one task per sequence, due after its delay",
			func() (*asynq.Task, error) { return NewPollTask(q, "order-1", 7, time.Hour, time.Minute) },
			TypePoll, q.Poll, "poll:order-1:7", PollMaxRetry, true},
		{"notify is one task per event and round",
			func() (*asynq.Task, error) { return NewNotifyTask(q, "order-1", "succeeded", 2, time.Minute) },
			TypeNotify, q.Notify, "notify:" + WebhookEventID("order-1", "succeeded") + ":2", NotifyMaxRetry, false},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			info := f.enqueue(t, must(tc.task()))
			if info.Type != tc.wantType || info.Queue != tc.wantQueue || info.ID != tc.wantID ||
				info.MaxRetry != tc.wantRetry || info.Timeout != time.Minute || info.Retention != 0 {
				t.Fatalf("got %s %s %s retry %d timeout %v retention %v; want %s %s %s retry %d timeout 1m retention 0",
					info.Type, info.Queue, info.ID, info.MaxRetry, info.Timeout, info.Retention,
					tc.wantType, tc.wantQueue, tc.wantID, tc.wantRetry)
			}
			if delayed := info.State == asynq.TaskStateScheduled; delayed != tc.wantDelay {
				t.Fatalf("got state %v, want scheduled %v", info.State, tc.wantDelay)
			}
			if _, err := f.client.Enqueue(must(tc.task())); !errors.Is(err, asynq.ErrTaskIDConflict) {
				t.Fatalf("second enqueue: got %v, want ErrTaskIDConflict", err)
			}
			if strings.Contains(string(info.Payload), "amount") {
				t.Fatalf("payload %s carries more than ids", info.Payload)
			}
		})
	}
}

func must(task *asynq.Task, err error) *asynq.Task {
	if err != nil {
		panic(err)
	}
	return task
}

func TestSweepTaskIsEnqueuedOncePerPeriod(t *testing.T) {
	f := newAsynqFixture(t, redistest.New(t))
	info := f.enqueue(t, NewSweepTask(f.queues, time.Minute, time.Minute))
	if info.Queue != f.queues.Maintenance || info.Type != TypeSweep || info.MaxRetry != 0 {
		t.Fatalf("got %s %s retry %d, want %s %s retry 0", info.Queue, info.Type, info.MaxRetry, f.queues.Maintenance, TypeSweep)
	}
	if _, err := f.client.Enqueue(NewSweepTask(f.queues, time.Minute, time.Minute)); !errors.Is(err, asynq.ErrDuplicateTask) {
		t.Fatalf("second sweep: got %v, want ErrDuplicateTask", err)
	}
}

func TestTaskConstructorsRefuseABadID(t *testing.T) {
	q := NewQueues("")
	for _, id := range []string{"", "a b", "a{b}"} {
		if _, err := NewSubmitTask(q, id, time.Minute); err == nil {
			t.Errorf("NewSubmitTask(%q): got nil, want an error", id)
		}
		if _, err := NewPollTask(q, id, 1, 0, time.Minute); err == nil {
			t.Errorf("NewPollTask(%q): got nil, want an error", id)
		}
		if _, err := NewNotifyTask(q, id, "failed", 0, time.Minute); err == nil {
			t.Errorf("NewNotifyTask(%q): got nil, want an error", id)
		}
	}
}

func TestParseRoundTrips(t *testing.T) {
	q := NewQueues("")
	s, err := ParseSubmit(must(NewSubmitTask(q, "order-1", time.Minute)))
	if err != nil || s.ThirdPartyID != "order-1" {
		t.Fatalf("ParseSubmit: got %+v, %v", s, err)
	}
	p, err := ParsePoll(must(NewPollTask(q, "order-1", 9, 0, time.Minute)))
	if err != nil || p.ThirdPartyID != "order-1" || p.Seq != 9 {
		t.Fatalf("ParsePoll: got %+v, %v", p, err)
	}
	n, err := ParseNotify(must(NewNotifyTask(q, "order-1", "held", 1, time.Minute)))
	if err != nil || n.ThirdPartyID != "order-1" || n.Event != "held" || n.Round != 1 {
		t.Fatalf("ParseNotify: got %+v, %v", n, err)
	}
}

func TestParseWrapsSkipRetry(t *testing.T) {
	cases := []struct {
		desc    string
		payload string
	}{
		{"a payload that is not JSON", `{`},
		{"a payload of the wrong JSON type", `[1]`},
		{"a payload without the id", `{}`},
		{"a payload with an empty id", `{"third_party_id":""}`},
		{"a payload with an id that cannot be a key", `{"third_party_id":"a}b"}`},
		{"a payload with a mistyped field", `{"third_party_id":"a","seq":"x"}`},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			_, errS := ParseSubmit(asynq.NewTask(TypeSubmit, []byte(tc.payload)))
			_, errP := ParsePoll(asynq.NewTask(TypePoll, []byte(tc.payload)))
			_, errN := ParseNotify(asynq.NewTask(TypeNotify, []byte(tc.payload)))
			if !errors.Is(errP, asynq.SkipRetry) {
				t.Fatalf("ParsePoll: got %v, want SkipRetry", errP)
			}
			if tc.desc != "a payload with a mistyped field" && (!errors.Is(errS, asynq.SkipRetry) || !errors.Is(errN, asynq.SkipRetry)) {
				t.Fatalf("got %v and %v, want SkipRetry", errS, errN)
			}
		})
	}
}

func TestParseIgnoresUnknownFields(t *testing.T) {
	p, err := ParsePoll(asynq.NewTask(TypePoll, []byte(`{"third_party_id":"a","seq":2,"added_later":true}`)))
	if err != nil || p.ThirdPartyID != "a" || p.Seq != 2 {
		t.Fatalf("got %+v, %v; want a payload of a later version to decode", p, err)
	}
}
