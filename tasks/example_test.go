package tasks_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/tasks"
	"github.com/redis/go-redis/v9"
)

// exampleRedis starts an in-process Redis for an example (examples cannot
// take a testing.T) and returns a client, asynq's options for it, and a stop
// function.
func exampleRedis() (*redis.Client, asynq.RedisClientOpt, func()) {
	m, err := miniredis.Run()
	if err != nil {
		panic(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	return rdb, asynq.RedisClientOpt{Addr: m.Addr()}, func() { rdb.Close(); m.Close() }
}

func ExampleProducer_Enqueue() {
	rdb, opt, stop := exampleRedis()
	defer stop()
	client := asynq.NewClient(opt)
	defer client.Close()
	ctx := context.Background()

	producer := tasks.NewProducer(tasks.ProducerConfig{
		Store:    tasks.NewStore(rdb, tasks.StoreConfig{}),
		Client:   client,
		Decimals: tasks.BuiltinDecimals, // in production: a CoinCache
	})
	req := tasks.Request{
		ThirdPartyID: "order-1001",
		Currency:     "195@TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", // USDT-TRC20
		ToAddress:    "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS",
		Amount:       "25.50",
	}
	rec, created, err := producer.Enqueue(ctx, req)
	fmt.Println(rec.ThirdPartyID, rec.State, created, err)

	// The same request again is idempotent.
	rec, created, err = producer.Enqueue(ctx, req)
	fmt.Println(rec.ThirdPartyID, rec.State, created, err)

	// The same id with other content is refused.
	req.Amount = "2550"
	_, _, err = producer.Enqueue(ctx, req)
	fmt.Println(errors.Is(err, tasks.ErrConflict))

	// An invalid request names the field and a stable code.
	req.ThirdPartyID, req.Amount = "order-1002", "25.5000001"
	_, _, err = producer.Enqueue(ctx, req)
	var ve *tasks.ValidationError
	if errors.As(err, &ve) {
		fmt.Println(ve.Field, ve.Code)
	}
	// Output:
	// order-1001 queued true <nil>
	// order-1001 queued false <nil>
	// true
	// amount too_many_decimals
}

func ExampleRequest_Validate() {
	req := tasks.Request{
		ThirdPartyID: "order-7",
		Currency:     "144@144", // XRP: the memo is a destination tag
		ToAddress:    "rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc",
		Amount:       "1.1",
		Memo:         "tag 12",
	}
	err := req.Validate(context.Background(), tasks.BuiltinDecimals)
	var ve *tasks.ValidationError
	if errors.As(err, &ve) {
		fmt.Println(ve.Field, ve.Code)
	}
	req.Memo = "12"
	fmt.Println(req.Validate(context.Background(), tasks.BuiltinDecimals))
	// Output:
	// memo invalid_memo
	// <nil>
}

func ExampleStore_Update() {
	rdb, _, stop := exampleRedis()
	defer stop()
	ctx := context.Background()
	store := tasks.NewStore(rdb, tasks.StoreConfig{})
	req := tasks.Request{ThirdPartyID: "order-9", Currency: "195@195", ToAddress: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", Amount: "10"}
	if _, _, err := store.Create(ctx, req); err != nil {
		panic(err)
	}

	rec, err := store.Update(ctx, "order-9", "create call started", func(r *tasks.Record) error {
		r.State = tasks.StateSubmitting
		r.Attempts++
		return nil
	})
	fmt.Println(rec.State, rec.Attempts, err)

	// Going back from submitting to queued is refused: nothing is written.
	_, err = store.Update(ctx, "order-9", "", func(r *tasks.Record) error {
		r.State = tasks.StateQueued
		return nil
	})
	fmt.Println(errors.Is(err, tasks.ErrIllegalTransition))

	rec, _ = store.Update(ctx, "order-9", "cregis status 6", func(r *tasks.Record) error {
		r.State, r.CID = tasks.StateSucceeded, "1382626461605888"
		return nil
	})
	for _, h := range rec.History {
		fmt.Printf("%q -> %s: %s\n", h.From, h.To, h.Reason)
	}

	// A settled payout never changes again.
	_, err = store.Update(ctx, "order-9", "late callback", func(r *tasks.Record) error { return nil })
	fmt.Println(err)
	// Output:
	// submitting 1 <nil>
	// true
	// "" -> queued: created
	// "queued" -> submitting: create call started
	// "submitting" -> succeeded: cregis status 6
	// illegal payout state transition: payout order-9 is succeeded, which is terminal
}

func ExampleLegalTransition() {
	fmt.Println(tasks.LegalTransition(tasks.StateQueued, tasks.StateSubmitting))
	fmt.Println(tasks.LegalTransition(tasks.StateSubmitting, tasks.StateSucceeded)) // a callback beat the create response
	fmt.Println(tasks.LegalTransition(tasks.StateSubmitted, tasks.StateQueued))
	fmt.Println(tasks.LegalTransition(tasks.StateFailed, tasks.StateFailed)) // terminal: not even a field update
	// Output:
	// true
	// true
	// false
	// false
}
