package worker

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
	"github.com/payoutd/payoutd/tasks"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// The crash test re-executes this test binary as a worker process. These
// variables select that mode and configure it; TestMain reads them.
const (
	envChild       = "PAYOUTD_WORKER_TEST_CHILD"
	envChildRedis  = "PAYOUTD_WORKER_TEST_REDIS"
	envChildPrefix = "PAYOUTD_WORKER_TEST_PREFIX"
	envChildCregis = "PAYOUTD_WORKER_TEST_CREGIS_URL"
	envChildPID    = "PAYOUTD_WORKER_TEST_CREGIS_PID"
	envChildKey    = "PAYOUTD_WORKER_TEST_CREGIS_KEY"
	envChildCBURL  = "PAYOUTD_WORKER_TEST_CALLBACK_URL"
)

func TestMain(m *testing.M) {
	if os.Getenv(envChild) == "worker" {
		os.Exit(runChildWorker())
	}
	os.Exit(m.Run())
}

// runChildWorker runs a worker Server until the process is killed.
func runChildWorker() int {
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv(envChildRedis)})
	prefix := os.Getenv(envChildPrefix)
	pid, _ := strconv.ParseInt(os.Getenv(envChildPID), 10, 64)
	cc, err := cregis.New(cregis.Config{BaseURL: os.Getenv(envChildCregis), PID: pid,
		APIKey: os.Getenv(envChildKey), Timeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	p, err := NewPipeline(Config{
		Redis: rdb, Asynq: asynq.NewClientFromRedisClient(rdb), Cregis: cc,
		Store: tasks.NewStore(rdb, tasks.StoreConfig{KeyPrefix: prefix}), Queues: tasks.NewQueues(prefix),
		KeyPrefix: prefix, CallbackURL: os.Getenv(envChildCBURL),
		CregisTimeout: 5 * time.Second, SubmitTimeout: 10 * time.Second,
		Logger: zerolog.New(os.Stderr).Level(zerolog.InfoLevel),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	s, err := NewServer(p, ServerConfig{Redis: asynq.RedisClientOpt{Addr: os.Getenv(envChildRedis)}, Concurrency: 2})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	_ = s.Run(context.Background()) // until SIGKILL
	return 0
}

// TestAWorkerKilledMidCreateMakesExactlyOneCreate kills a real worker
// process while Cregis holds its create call (applied, unanswered), then lets
// a fresh worker recover the task. It takes about 70s of real time: asynq
// finds an orphaned task only once its lease (30s) has been expired for 30s,
// and its recoverer looks once a minute. It is the only test that slow.
func TestAWorkerKilledMidCreateMakesExactlyOneCreate(t *testing.T) {
	if testing.Short() {
		t.Skip("needs about 70s of real time for asynq's orphan recovery; CI runs it")
	}
	t.Parallel()
	h := newHarness(t, nil)
	h.enableCallbacks()
	id := h.enqueue(newRequest(goodAddress))
	h.fake.SetFate(id, cregis.StatusPendingApproval)
	h.fake.FailCreatesAfterApply(1, cregistest.FaultHang)

	var stderr bytes.Buffer
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), envChild+"=worker", envChildRedis+"="+h.redis.Addr,
		envChildPrefix+"="+h.redis.Prefix, envChildCregis+"="+h.fake.URL,
		envChildPID+"="+strconv.FormatInt(h.fake.PID, 10), envChildKey+"="+h.fake.APIKey,
		envChildCBURL+"="+h.cfg.CallbackURL)
	child.Stderr = &stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Logf("child worker's log:\n%s", stderr.String())
		}
	}()
	eventually(t, 30*time.Second, func() bool { return h.fake.Creates(id) == 1 }, "the child never made the create call")
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	if rec := h.get(id); rec.State != tasks.StateSubmitting || rec.Attempts != 1 {
		t.Fatalf("after the kill: state %s, attempts %d; want submitting, 1", rec.State, rec.Attempts)
	}

	h.fake.ClearFaults()
	h.runServer(h.p, ServerConfig{})
	rec := h.awaitState(id, 150*time.Second, tasks.StateUnconfirmed)
	if rec.Attempts != 2 || !h.createdOnce(id) || h.fake.Duplicates(id) != 1 {
		t.Fatalf("attempts %d, creates %d, duplicates %d; want 2, 1, 1", rec.Attempts, h.fake.Creates(id), h.fake.Duplicates(id))
	}
	fp, _ := h.fake.PayoutByThirdPartyID(id)
	if err := h.fake.SetStatus(fp.CID, cregis.StatusSucceeded); err != nil {
		t.Fatal(err)
	}
	rec = h.awaitState(id, 10*time.Second, tasks.StateSucceeded)
	if rec.CID != formatCID(fp.CID) || !h.createdOnce(id) {
		t.Errorf("cid %q, creates %d; want %d and exactly one create", rec.CID, h.fake.Creates(id), fp.CID)
	}
}
