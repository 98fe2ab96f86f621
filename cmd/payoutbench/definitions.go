package main

import "fmt"

// definitions are written under the table: what each figure is.
func definitions(o options) []string {
	s := o.sizes
	return []string{
		fmt.Sprintf("**Drain**: %d payouts are enqueued through `Producer.Enqueue` before the worker starts; then payoutd's worker "+
			"(`worker.NewServer`, concurrency %d, TaskCheckInterval %s) runs until the pipeline has counted every record's move "+
			"to a terminal state. The fake Cregis answers at once and every payout succeeds at its first poll, which both "+
			"workers schedule %s after the create (asynq schedules in whole seconds). The **floor worker** is a bare asynq "+
			"server with the same concurrency, queues and check interval and two handlers: submit calls the fake's create "+
			"(`cregis.Client.Payout`, signed) and enqueues a poll task; poll calls `SubAddressWithdrawalInfo`; nothing is "+
			"recorded. Afterwards the fake must hold exactly one payout per id, created once, and every record must have "+
			"succeeded with its cid; anything else is a broken run.",
			s.drain, o.concurrency, taskCheckInterval, firstPollDelay),
		"**Redis calls a payout**: commands sent to Redis by every client of the process (payoutd's records, asynq's client, " +
			"inspector and server all share one go-redis client; `worker.ServerConfig.RedisClient`), counted by a go-redis hook " +
			"from the first enqueue to the last terminal write, divided by the payouts: a script call counts 1, a pipeline of n " +
			"commands n. Asynq's background work during the drain (heartbeats, moving due polls, idle dequeues) is included. " +
			"The floor's figure is counted the same way; all of it is asynq's.",
		fmt.Sprintf("**Memory per in-flight payout**: the growth of INFO memory `used_memory` over N payouts enqueued through "+
			"`Producer.Enqueue` and submitted by the worker, each then waiting for a poll %s away (PollMinInterval), divided by "+
			"N; measured at %d and %d on a flushed Redis after %d warm-up payouts. MEMORY USAGE (SAMPLES 0) of the last "+
			"payout's record and poll task, and of every key grouped by family, are from the larger run.",
			inFlightPoll, s.memory[0], s.memory[1], memoryWarmup),
		fmt.Sprintf("**Intake**: %d distinct valid payouts, each figure on a flushed Redis after %d untimed warm-up requests: "+
			"POSTs to payoutd's HTTP intake (`worker/httpapi`, its real middleware, bearer auth and logging at info, on loopback) "+
			"from a Go client limited to %d connections (`http.Transport.MaxConnsPerHost`) and as many goroutines; "+
			"`Producer.Enqueue` from %d goroutines; bare asynq `Client.Enqueue` of `tasks.NewSubmitTask`'s task (same TaskID "+
			"and options, same payload) from %d goroutines. The producer validates against the coin list as cmd/payoutd's does "+
			"(`tasks.CoinCache` over the pipeline). The **HTTP floor** is net/http alone: the same client, bodies and server "+
			"timeouts against a handler that reads the body and answers 202 with %d bytes of JSON (about payoutd's answer). "+
			"The four run one after the other, -rounds times, and the fastest round of each counts. Per operation: wall time "+
			"is the run's time over its operations; process CPU is this process's user and system time (getrusage; it holds "+
			"the HTTP client too), redis-server CPU its INFO cpu `used_cpu_user` + `used_cpu_sys`, both over the same window.",
			s.intake, intakeWarmup, intakeWorkers, intakeWorkers, intakeWorkers, floorAnswerBytes),
		fmt.Sprintf("**Realistic timeline**: %d payouts each spend 10 min pending approval, 20 min pending signature and 2 min "+
			"on chain, then succeed; one manual clock drives the pipeline, the store and the fake in %s steps, with "+
			"payoutd's default poll intervals. The run plays asynq's scheduler (it runs each poll when the clock reaches the "+
			"delay payoutd gave its task) and the worker's confirm tasks; with callbacks they reach payoutd's "+
			"`POST /cregis/callback`. Calls are creates and status queries the fake answered; latency is from the fake "+
			"reaching status 6 to the record's last transition. Targets are worker/schedule_test.go's.",
			s.schedule, scheduleStep),
		fmt.Sprintf("**Verification**: %d requests to payoutd's `POST /cregis/verify` on loopback, one at a time, each signed "+
			"by the fake with the API key as Cregis signs them and each the first about a payout in submitting (the record "+
			"read, the persisted decision, the hint).", s.verify),
		fmt.Sprintf("Every client has a pool of %d connections. payoutd logs at info (its default) into a discarded writer; "+
			"the fake Cregis runs in the same process and shares its CPUs.", redisPoolSize),
	}
}
