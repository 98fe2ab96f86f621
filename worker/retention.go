package worker

import (
	"context"
	"errors"
	"time"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/tasks"
)

// retentionBatch bounds the records one sweep reads per terminal state and
// removes: the rest waits for the next sweep.
const retentionBatch = 500

// payoutKeys lists every Redis key payoutd keeps for one payout besides the
// indexes, the record first. It is the one list retention deletes: a new
// per-payout key is added here. Each carries the payout's hash tag {<id>},
// so they are deleted together in the record's slot (Redis Cluster).
func (p *Pipeline) payoutKeys(id string) []string {
	return []string{p.cfg.Store.RecordKey(id), p.leaseKey(id), p.unsureKey(id), p.verificationKey(id),
		p.cfg.Store.WebhooksKey(id)}
}

// payoutTasks lists the queue and TaskID of every task a payout may have
// left behind (submit, each poll of its sequences, the confirm task of each
// hint, each round of each webhook event).
func (p *Pipeline) payoutTasks(rec *tasks.Record, deliveries []*tasks.Delivery) [][2]string {
	q := p.cfg.Queues
	out := [][2]string{{q.Submit, tasks.SubmitTaskID(rec.ThirdPartyID)}}
	for _, d := range deliveries {
		for round := 0; round <= d.Round; round++ {
			out = append(out, [2]string{q.Notify, tasks.NotifyTaskID(d.ID, round)})
		}
	}
	for seq := int64(0); seq <= rec.PollSeq; seq++ {
		out = append(out, [2]string{q.Poll, tasks.PollTaskID(rec.ThirdPartyID, seq)})
	}
	for _, h := range rec.Hints {
		out = append(out, [2]string{q.Poll, tasks.ConfirmTaskID(rec.ThirdPartyID, h.CID)})
	}
	return out
}

// sweepRetention removes, in one bounded batch, the records terminal for
// longer than RecordRetention, with their index entries, per-payout keys
// and tasks. RecordRetention 0 keeps every record.
func (p *Pipeline) sweepRetention(ctx context.Context, c *sweepCounts) error {
	if p.cfg.RecordRetention <= 0 {
		return nil
	}
	before := p.now().Add(-p.cfg.RecordRetention)
	ids, err := p.cfg.Store.Settled(ctx, before, retentionBatch)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := p.removeRecord(ctx, id, before, c); err != nil {
			c.errors++
			p.log.Warn().Err(err).Str("third_party_id", id).Msg("retention could not remove a settled payout")
		}
	}
	return nil
}

// removeRecord removes one settled record and what it left behind.
func (p *Pipeline) removeRecord(ctx context.Context, id string, before time.Time, c *sweepCounts) error {
	deliveries, err := p.cfg.Store.Deliveries(ctx, id) // read first: they name its notify tasks
	if err != nil {
		return err
	}
	rec, err := p.cfg.Store.Remove(ctx, id, before, p.payoutKeys(id)[1:]...)
	if err != nil || rec == nil {
		return err
	}
	c.removed++
	return p.deleteTasks(p.payoutTasks(rec, deliveries))
}

// deleteTasks deletes the tasks (queue, TaskID) that still exist, best-effort.
func (p *Pipeline) deleteTasks(ts [][2]string) error {
	var first error
	for _, t := range ts {
		err := p.cfg.Inspector.DeleteTask(t[0], t[1])
		if err != nil && !errors.Is(err, asynq.ErrTaskNotFound) && !errors.Is(err, asynq.ErrQueueNotFound) && first == nil {
			first = err
		}
	}
	return first
}
