package tasks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/internal/redistest"
	"github.com/redis/go-redis/v9"
)

type producerFixture struct {
	*asynqFixture
	store    *Store
	producer *Producer
	ctx      context.Context
}

func newProducerFixture(t *testing.T) *producerFixture {
	t.Helper()
	r := redistest.New(t)
	af := newAsynqFixture(t, r)
	store := NewStore(r.Client(t), StoreConfig{KeyPrefix: r.Prefix})
	p := NewProducer(ProducerConfig{Store: store, Client: af.client, Decimals: testDecimals, Queues: af.queues})
	return &producerFixture{asynqFixture: af, store: store, producer: p, ctx: context.Background()}
}

func (f *producerFixture) enqueue(t *testing.T, req Request) *Record {
	t.Helper()
	rec, _, err := f.producer.Enqueue(f.ctx, req)
	if err != nil {
		t.Fatalf("Enqueue(%s): %v", req.ThirdPartyID, err)
	}
	return rec
}

// submitTask returns the submit task of id, or nil if there is none.
func (f *producerFixture) submitTask(t *testing.T, id string) *asynq.TaskInfo {
	t.Helper()
	info, err := f.inspector.GetTaskInfo(f.queues.Submit, SubmitTaskID(id))
	if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("get submit task of %s: %v", id, err)
	}
	return info
}

func TestProducerEnqueue(t *testing.T) {
	t.Run("WritesAQueuedRecordAndItsSubmitTask", func(t *testing.T) {
		f := newProducerFixture(t)
		rec, created, err := f.producer.Enqueue(f.ctx, validRequest("order-1"))
		if err != nil || !created || rec.State != StateQueued {
			t.Fatalf("got %+v, created %v, %v; want a new queued record", rec, created, err)
		}
		info := f.submitTask(t, "order-1")
		if info == nil || info.Timeout != 60*time.Second {
			t.Fatalf("got task %+v, want a submit task with the default 60s timeout", info)
		}
		if p, err := ParseSubmit(asynq.NewTask(info.Type, info.Payload)); err != nil || p.ThirdPartyID != "order-1" {
			t.Fatalf("got payload %s, want order-1", info.Payload)
		}
	})
	t.Run("InvalidRequestWritesNothing", func(t *testing.T) {
		f := newProducerFixture(t)
		req := validRequest("order-1")
		req.Amount = "1.0000001"
		rec, created, err := f.producer.Enqueue(f.ctx, req)
		assertValidation(t, err, "amount", CodeTooManyDecimals)
		if rec != nil || created {
			t.Fatalf("got %+v, created %v; want nothing", rec, created)
		}
		if _, err := f.store.Get(f.ctx, "order-1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("got %v, want no record", err)
		}
		if f.submitTask(t, "order-1") != nil {
			t.Fatal("got a submit task, want none")
		}
	})
	t.Run("SameRequestAgainReturnsTheRecordWithoutANewTask", func(t *testing.T) {
		f := newProducerFixture(t)
		first := f.enqueue(t, validRequest("order-1"))
		rec, created, err := f.producer.Enqueue(f.ctx, validRequest("order-1"))
		if err != nil || created || !rec.CreatedAt.Equal(first.CreatedAt) {
			t.Fatalf("got created %v, %v; want the existing record", created, err)
		}
		if n, _ := f.inspector.GetQueueInfo(f.queues.Submit); n.Size != 1 {
			t.Fatalf("got %d submit tasks, want 1", n.Size)
		}
	})
	t.Run("SameRequestAfterSubmittingDoesNotReenqueue", func(t *testing.T) {
		f := newProducerFixture(t)
		f.enqueue(t, validRequest("order-1"))
		if _, err := f.store.Update(f.ctx, "order-1", "test", func(r *Record) error { r.State = StateSubmitting; return nil }); err != nil {
			t.Fatal(err)
		}
		if err := f.inspector.DeleteTask(f.queues.Submit, SubmitTaskID("order-1")); err != nil {
			t.Fatal(err)
		}
		rec, created, err := f.producer.Enqueue(f.ctx, validRequest("order-1"))
		if err != nil || created || rec.State != StateSubmitting || f.submitTask(t, "order-1") != nil {
			t.Fatalf("got %s, created %v, %v; want the submitting record and no new task", rec.State, created, err)
		}
	})
	t.Run("ConflictPassesThroughWithTheExistingRecord", func(t *testing.T) {
		f := newProducerFixture(t)
		f.enqueue(t, validRequest("order-1"))
		other := validRequest("order-1")
		other.ToAddress = "TSomeoneElse"
		rec, created, err := f.producer.Enqueue(f.ctx, other)
		if !errors.Is(err, ErrConflict) || created || rec == nil || rec.ToAddress == "TSomeoneElse" {
			t.Fatalf("got %+v, created %v, %v; want ErrConflict and the existing record", rec, created, err)
		}
	})
	t.Run("FailedEnqueueAfterTheRecordIsWrittenStillAccepts", func(t *testing.T) {
		f := newProducerFixture(t)
		broken := asynq.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:1"})
		broken.Close() // every enqueue fails at once
		var reported []string
		p := NewProducer(ProducerConfig{Store: f.store, Client: broken, Decimals: testDecimals, Queues: f.queues,
			EnqueueErrorFunc: func(id string, err error) { reported = append(reported, id) }})
		rec, created, err := p.Enqueue(f.ctx, validRequest("order-1"))
		if err != nil || !created || rec == nil || rec.State != StateQueued {
			t.Fatalf("got %+v, created %v, %v; want the new record accepted (the sweeper enqueues it)", rec, created, err)
		}
		if len(reported) != 1 || reported[0] != "order-1" {
			t.Fatalf("EnqueueErrorFunc got %v, want [order-1] once after the retries", reported)
		}
		if _, created, err := f.producer.Enqueue(f.ctx, validRequest("order-1")); err != nil || created {
			t.Fatalf("retry: got created %v, %v; want the existing record", created, err)
		}
		if f.submitTask(t, "order-1") == nil {
			t.Fatal("got no submit task after the retry, want one")
		}
	})
	t.Run("ReplayIsAnsweredBeforeValidation", func(t *testing.T) {
		f := newProducerFixture(t)
		first := f.enqueue(t, validRequest("order-1"))
		today := NewProducer(ProducerConfig{Store: f.store, Client: f.client, Decimals: DecimalsTable{}, Queues: f.queues})
		rec, created, err := today.Enqueue(f.ctx, validRequest("order-1"))
		if err != nil || created || !rec.CreatedAt.Equal(first.CreatedAt) {
			t.Fatalf("replay after the coin list lost the currency: got created %v, %v; want the existing record", created, err)
		}
		other := validRequest("order-1")
		other.Amount = "1.0000001" // also invalid: the conflict is what matters
		if _, _, err := today.Enqueue(f.ctx, other); !errors.Is(err, ErrConflict) {
			t.Fatalf("same id, other (invalid) content: got %v, want ErrConflict", err)
		}
		if _, _, err := today.Enqueue(f.ctx, validRequest("order-2")); err == nil {
			t.Fatal("a new request for a currency no longer listed: got nil, want its validation error")
		}
	})
}

func TestNewProducerPanicsWithoutItsDependencies(t *testing.T) {
	cases := []struct {
		desc string
		cfg  ProducerConfig
	}{
		{"without a store", ProducerConfig{Client: &asynq.Client{}, Decimals: BuiltinDecimals}},
		{"without a client", ProducerConfig{Store: &Store{}, Decimals: BuiltinDecimals}},
		{"without decimals", ProducerConfig{Store: &Store{}, Client: &asynq.Client{}}},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("got no panic, want one naming the field")
				}
			}()
			NewProducer(tc.cfg)
		})
	}
}

// recordGets is a go-redis hook that counts GETs of one key.
type recordGets struct {
	key string
	n   atomic.Int64
}

func (h *recordGets) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *recordGets) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if args := cmd.Args(); len(args) == 2 && strings.EqualFold(fmt.Sprint(args[0]), "get") && args[1] == h.key {
			h.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (h *recordGets) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func TestProducerEnqueueLooksUpOnlyWhatDidNotValidate(t *testing.T) {
	t.Run("AValidNewRequestIsNotReadBeforeItIsCreated", func(t *testing.T) {
		r := redistest.New(t)
		af := newAsynqFixture(t, r)
		rdb := r.Client(t)
		store := NewStore(rdb, StoreConfig{KeyPrefix: r.Prefix})
		gets := &recordGets{key: store.RecordKey("order-1")}
		rdb.AddHook(gets)
		p := NewProducer(ProducerConfig{Store: store, Client: af.client, Decimals: testDecimals, Queues: af.queues})
		if _, created, err := p.Enqueue(context.Background(), validRequest("order-1")); err != nil || !created {
			t.Fatalf("got created %v, %v; want a new record", created, err)
		}
		if n := gets.n.Load(); n != 0 {
			t.Fatalf("got %d GETs of the record, want 0: Create answers for a record that exists", n)
		}
	})
	t.Run("AReplayIsAnsweredWhenTheCoinLookupFails", func(t *testing.T) {
		f := newProducerFixture(t)
		first := f.enqueue(t, validRequest("order-1"))
		down := NewProducer(ProducerConfig{Store: f.store, Client: f.client, Decimals: failingDecimals{}, Queues: f.queues})
		rec, created, err := down.Enqueue(f.ctx, validRequest("order-1"))
		if err != nil || created || rec == nil || !rec.CreatedAt.Equal(first.CreatedAt) {
			t.Fatalf("got %+v, created %v, %v; want the existing record", rec, created, err)
		}
	})
	t.Run("ANewRequestWhoseCoinLookupFailsGetsThatErrorAndWritesNothing", func(t *testing.T) {
		f := newProducerFixture(t)
		down := NewProducer(ProducerConfig{Store: f.store, Client: f.client, Decimals: failingDecimals{}, Queues: f.queues})
		rec, _, err := down.Enqueue(f.ctx, validRequest("order-1"))
		var ve *ValidationError
		if err == nil || errors.As(err, &ve) || rec != nil {
			t.Fatalf("got %+v, %v; want the lookup's error, not a validation error", rec, err)
		}
		if _, err := f.store.Get(f.ctx, "order-1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("got %v, want no record", err)
		}
	})
	t.Run("AQueuedReplayThatNoLongerValidatesReenqueuesItsSubmitTask", func(t *testing.T) {
		f := newProducerFixture(t)
		f.enqueue(t, validRequest("order-1"))
		if err := f.inspector.DeleteTask(f.queues.Submit, SubmitTaskID("order-1")); err != nil {
			t.Fatal(err)
		}
		today := NewProducer(ProducerConfig{Store: f.store, Client: f.client, Decimals: DecimalsTable{}, Queues: f.queues})
		if _, created, err := today.Enqueue(f.ctx, validRequest("order-1")); err != nil || created {
			t.Fatalf("got created %v, %v; want the existing record", created, err)
		}
		if f.submitTask(t, "order-1") == nil {
			t.Fatal("got no submit task, want it enqueued again")
		}
	})
	t.Run("AnInvalidConflictingRequestGetsTheConflictAndTheExistingRecord", func(t *testing.T) {
		f := newProducerFixture(t)
		f.enqueue(t, validRequest("order-1"))
		other := validRequest("order-1")
		other.Amount = "1.0000001"
		rec, created, err := f.producer.Enqueue(f.ctx, other)
		if !errors.Is(err, ErrConflict) || created || rec == nil || rec.Amount != "1.5" {
			t.Fatalf("got %+v, created %v, %v; want ErrConflict and the existing record", rec, created, err)
		}
	})
}

func TestAReplayThatNoLongerValidatesIsAnsweredOnlyOnceDurable(t *testing.T) {
	f := newDurableFixture(t)
	af := newAsynqFixture(t, f.primary)
	req := validRequest("order-1")
	if _, _, err := f.Create(f.ctx, req); err != nil {
		t.Fatal(err)
	}
	today := NewProducer(ProducerConfig{Store: f.Store, Client: af.client, Decimals: DecimalsTable{}, Queues: af.queues})
	f.loseReplica(t)
	if rec, created, err := today.Enqueue(f.ctx, req); !errors.Is(err, ErrNotDurable) || created || rec == nil {
		t.Fatalf("replay without the replica: got %v, created %v, %v; want the record and ErrNotDurable", rec, created, err)
	}
	f.regainReplica(t)
	if _, created, err := today.Enqueue(f.ctx, req); err != nil || created {
		t.Fatalf("replay with the replica back: got created %v, %v; want the record", created, err)
	}
}
