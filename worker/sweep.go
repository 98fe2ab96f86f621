package worker

import (
	"context"
	"errors"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/tasks"
	"github.com/redis/go-redis/v9"
)

// defaultSweepPage is how many open ids the sweeper reads at a time.
const defaultSweepPage = 500

// openStates are the non-terminal states, for the gauges.
var openStates = []tasks.State{tasks.StateQueued, tasks.StateSubmitting, tasks.StateSubmitted, tasks.StateUnconfirmed}

// sweepCounts is what one sweep counted, for the gauges, and its time limit.
type sweepCounts struct {
	byState map[tasks.State]int
	oldest  time.Duration // age of the oldest open payout
	stuck   int
	redrove int
	removed int // settled records removed by retention
	errors  int
	partial bool      // the walk of open payouts stopped at the time limit
	until   time.Time // the time limit: stop walking then
}

// timeUp reports whether the sweep has reached its time limit.
func (c *sweepCounts) timeUp() bool { return !c.until.IsZero() && time.Now().After(c.until) }

// sweepMargin is how long before its task's deadline a sweep stops walking,
// to save its cursor and publish what it counted.
const sweepMargin = 30 * time.Second

// sweepJob is one job of the sweeper. It adds to the counts and returns an
// error only when it could not run at all.
type sweepJob struct {
	name string
	run  func(ctx context.Context, c *sweepCounts) error
}

// sweepJobs are the sweeper's jobs, run in order under one fleet-wide lock
// and one time limit. A new job is added here.
func (p *Pipeline) sweepJobs() []sweepJob {
	return []sweepJob{
		{"open", p.sweepOpen},
		{"retention", p.sweepRetention},
		{"events", p.sweepEvents},
	}
}

// HandleSweep handles tasks.TypeSweep: it runs the sweeper's jobs and
// publishes the payout gauges.
//
// The open job walks every open record (repairing its index entries with
// Store.Reindex): a queued or submitting record without a submit task gets
// one (an archived one is run), a submitted record whose current poll
// (PollSeq) is gone gets the next poll (an archived one is run). It flags
// payouts open longer than StuckAfter. A walk that reaches the sweep's time
// limit (shortly before the task's deadline) saves its cursor in Redis, and
// the next sweep, on any worker, continues from there; a walk that reaches
// the end clears it, so the next starts from the oldest. The retention job
// removes records terminal for longer than RecordRetention, in a bounded
// batch. The events job drops events older than the store's EventsMaxAge. What was counted is published even when a job stopped early. Only
// one sweep runs at a time across the fleet: a sweep that finds another
// running returns at once.
func (p *Pipeline) HandleSweep(ctx context.Context, _ *asynq.Task) error {
	unlock, err := p.lock(ctx, "lock:sweep", sweepLockTTL)
	if errors.Is(err, errBusy) {
		p.log.Debug().Msg("another sweep is running")
		return nil
	}
	if err != nil {
		return err
	}
	defer unlock()
	c := &sweepCounts{byState: map[tasks.State]int{}}
	if dl, ok := ctx.Deadline(); ok {
		c.until = dl.Add(-sweepMargin)
	}
	var failed error
	for _, j := range p.sweepJobs() {
		if err := j.run(ctx, c); err != nil {
			p.log.Warn().Err(err).Str("job", j.name).Msg("sweep job stopped")
			failed = errors.Join(failed, err)
		}
	}
	p.setGauges(c)
	p.log.Info().Int("open", c.total()).Int("redriven", c.redrove).Int("stuck", c.stuck).
		Int("unconfirmed", c.byState[tasks.StateUnconfirmed]).Int("removed", c.removed).Int("errors", c.errors).
		Bool("partial", c.partial).Dur("oldest_open", c.oldest).Msg("sweep done")
	return failed
}

// sweepOpen walks the open records from the saved cursor.
func (p *Pipeline) sweepOpen(ctx context.Context, c *sweepCounts) error {
	cursor, err := p.loadSweepCursor(ctx)
	if err != nil {
		return err
	}
	for {
		ids, next, err := p.cfg.Store.OpenPage(ctx, cursor, p.sweepPageSize)
		if errors.Is(err, tasks.ErrInvalidCursor) && cursor != "" {
			cursor = "" // not a cursor OpenPage returned: start over
			continue
		}
		if err != nil {
			return err
		}
		p.sweepPage(ctx, ids, c)
		if next == "" {
			return p.saveSweepCursor(ctx, "") // the walk ended: the next starts from the oldest
		}
		if c.timeUp() || ctx.Err() != nil {
			c.partial = true
			return p.saveSweepCursor(ctx, next)
		}
		cursor = next
	}
}

func (p *Pipeline) sweepPage(ctx context.Context, ids []string, c *sweepCounts) {
	for _, id := range ids {
		if err := p.sweepOne(ctx, id, c); err != nil {
			c.errors++
			p.log.Warn().Err(err).Str("third_party_id", id).Msg("sweep could not re-drive a payout")
		}
	}
}

// sweepCursorKey holds where the next sweep's walk of open records starts.
func (p *Pipeline) sweepCursorKey() string { return p.cfg.KeyPrefix + "sweep:cursor" }

func (p *Pipeline) loadSweepCursor(ctx context.Context) (string, error) {
	cur, err := p.cfg.Redis.Get(ctx, p.sweepCursorKey()).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return cur, err
}

// saveSweepCursor stores cursor ("" deletes it). It runs even when ctx has
// just ended: that is when a sweep must say where it stopped.
func (p *Pipeline) saveSweepCursor(ctx context.Context, cursor string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	if cursor == "" {
		return p.cfg.Redis.Del(ctx, p.sweepCursorKey()).Err()
	}
	return p.cfg.Redis.Set(ctx, p.sweepCursorKey(), cursor, 0).Err()
}

func (p *Pipeline) sweepOne(ctx context.Context, id string, c *sweepCounts) error {
	rec, err := p.cfg.Store.Reindex(ctx, id)
	switch {
	case errors.Is(err, tasks.ErrNotFound):
		return nil // an orphan index entry, dropped
	case err != nil:
		return err
	case rec.State.Terminal():
		return nil // the index was stale; Reindex repaired it
	}
	c.count(rec, p.now().Sub(rec.CreatedAt))
	if err := p.flagStuck(ctx, rec, c); err != nil {
		return err
	}
	if err := p.ensureConfirms(ctx, rec); err != nil {
		return err
	}
	switch rec.State {
	case tasks.StateQueued, tasks.StateSubmitting:
		return c.redriven(p.sweepSubmit(ctx, rec))
	case tasks.StateSubmitted:
		return c.redriven(p.sweepPoll(ctx, rec))
	}
	return p.ensureNotify(ctx, rec) // unconfirmed: waits for a hint (callback, verification, trade scan) or an operator
}

func (c *sweepCounts) count(rec *tasks.Record, age time.Duration) {
	c.byState[rec.State]++
	c.oldest = max(c.oldest, age)
	if rec.Stuck {
		c.stuck++
	}
}

// redriven counts a re-drive; err is passed on.
func (c *sweepCounts) redriven(did bool, err error) error {
	if did {
		c.redrove++
	}
	return err
}

func (c *sweepCounts) total() int {
	n := 0
	for _, v := range c.byState {
		n += v
	}
	return n
}

// flagStuck marks a payout open longer than StuckAfter. It is never
// abandoned: the flag, a log line and the gauge call people.
func (p *Pipeline) flagStuck(ctx context.Context, rec *tasks.Record, c *sweepCounts) error {
	if rec.Stuck || p.now().Sub(rec.CreatedAt) <= p.cfg.StuckAfter {
		return nil
	}
	_, err := p.update(ctx, rec.ThirdPartyID, "", func(r *tasks.Record) error {
		r.Stuck = true
		return nil
	})
	if errors.Is(err, tasks.ErrIllegalTransition) {
		return nil // terminal meanwhile
	}
	if err != nil {
		return err
	}
	c.stuck++
	p.recLog(ctx, rec).Warn().Dur("age", p.now().Sub(rec.CreatedAt)).Msg("payout stuck: open longer than the threshold")
	return nil
}

// sweepSubmit makes sure a queued or submitting record has a submit task.
func (p *Pipeline) sweepSubmit(ctx context.Context, rec *tasks.Record) (bool, error) {
	st, err := p.taskState(p.cfg.Queues.Submit, tasks.SubmitTaskID(rec.ThirdPartyID))
	if alive(st) || err != nil {
		return false, err
	}
	return true, p.redriveSubmit(ctx, rec.ThirdPartyID, false)
}

// sweepPoll makes sure a submitted record's current poll exists; when it is
// gone, the next poll is enqueued and PollSeq advanced.
func (p *Pipeline) sweepPoll(ctx context.Context, rec *tasks.Record) (bool, error) {
	tid := tasks.PollTaskID(rec.ThirdPartyID, rec.PollSeq)
	st, err := p.taskState(p.cfg.Queues.Poll, tid)
	switch {
	case alive(st) || err != nil:
		return false, err
	case st == asynq.TaskStateArchived:
		return true, p.cfg.Inspector.RunTask(p.cfg.Queues.Poll, tid)
	}
	_, err = p.pollNow(ctx, rec)
	return true, err
}

// noTask is the state taskState reports for a task that does not exist.
const noTask asynq.TaskState = 0

// taskState looks a task up once: its state, or noTask when it is gone.
func (p *Pipeline) taskState(queue, taskID string) (asynq.TaskState, error) {
	info, err := p.cfg.Inspector.GetTaskInfo(queue, taskID)
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
		return noTask, nil
	case err != nil:
		return noTask, err
	}
	return info.State, nil
}

// alive reports whether a task in state st will run (pending, active,
// scheduled, retry, aggregating).
func alive(st asynq.TaskState) bool {
	return st != noTask && st != asynq.TaskStateArchived && st != asynq.TaskStateCompleted
}

// unlockScript deletes a lock only if it still holds our token.
var unlockScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// lock takes a fleet-wide lock (name under KeyPrefix) for at most ttl, or
// returns errBusy. The function it returns gives it back.
func (p *Pipeline) lock(ctx context.Context, name string, ttl time.Duration) (func(), error) {
	key, token := p.cfg.KeyPrefix+name, randomToken()
	ok, err := p.cfg.Redis.SetNX(ctx, key, token, ttl).Result()
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, errBusy
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
		defer cancel()
		_ = unlockScript.Run(ctx, p.cfg.Redis, []string{key}, token).Err()
	}, nil
}

// sweepLockTTL bounds a sweep lock whose holder died.
const sweepLockTTL = 10 * time.Minute

// sweepEvents trims the events stream by age (Store.TrimEvents).
func (p *Pipeline) sweepEvents(ctx context.Context, _ *sweepCounts) error {
	n, err := p.cfg.Store.TrimEvents(ctx)
	if n > 0 {
		p.log.Info().Int64("dropped", n).Msg("events older than their maximum age dropped")
	}
	return err
}
