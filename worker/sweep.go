package worker

import (
	"context"
	"errors"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/tasks"
	"github.com/redis/go-redis/v9"
)

// sweepPage is how many open ids the sweeper reads at a time.
const sweepPage = 500

// openStates are the non-terminal states, for the gauges.
var openStates = []tasks.State{tasks.StateQueued, tasks.StateSubmitting, tasks.StateSubmitted, tasks.StateUnconfirmed}

// sweepCounts is what one sweep counted, for the gauges.
type sweepCounts struct {
	byState map[tasks.State]int
	oldest  time.Duration // age of the oldest open payout
	stuck   int
	redrove int
	errors  int
}

// HandleSweep handles tasks.TypeSweep: re-drives non-terminal records that
// have no live task and refreshes the payout gauges.
//
// It walks every open record (repairing its index entries with
// Store.Reindex): a queued or submitting record without a submit task gets
// one (an archived one is run), a submitted record whose current poll
// (PollSeq) is gone gets the next poll (an archived one is run). It flags
// payouts open longer than StuckAfter. Only one sweep runs at a time across
// the fleet: a sweep that finds another running returns at once.
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
	c, err := p.sweep(ctx)
	if err != nil {
		return err
	}
	p.setGauges(c)
	p.log.Info().Int("open", c.total()).Int("redriven", c.redrove).Int("stuck", c.stuck).
		Int("unconfirmed", c.byState[tasks.StateUnconfirmed]).Int("errors", c.errors).
		Dur("oldest_open", c.oldest).Msg("sweep done")
	return nil
}

func (p *Pipeline) sweep(ctx context.Context) (*sweepCounts, error) {
	c := &sweepCounts{byState: map[tasks.State]int{}}
	cursor := ""
	for {
		ids, next, err := p.cfg.Store.OpenPage(ctx, cursor, sweepPage)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if err := p.sweepOne(ctx, id, c); err != nil {
				c.errors++
				p.log.Warn().Err(err).Str("third_party_id", id).Msg("sweep could not re-drive a payout")
			}
		}
		if next == "" || ctx.Err() != nil {
			return c, ctx.Err()
		}
		cursor = next
	}
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
