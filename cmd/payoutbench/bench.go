package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"
)

// bench is one run: its options, its Redis and payoutd's logger.
type bench struct {
	opt      options
	redis    *redisServer
	log      zerolog.Logger
	progress io.Writer // one line per measurement
	profiled bool      // the CPU profile of -cpuprofile is taken
}

// measureAll runs the selected measurements and assembles the report.
func (b *bench) measureAll(ctx context.Context) (report, error) {
	rep := report{title: "payoutbench (" + map[bool]string{true: "quick", false: "full"}[b.opt.quick] + ")"}
	rep.header = b.describeMachine(ctx).lines()
	steps := []struct {
		name string
		run  func(context.Context, *report) error
	}{
		{"drain", b.drainRows}, {"memory", b.memoryRows}, {"intake", b.intakeRows},
		{"schedule", b.scheduleRows}, {"verify", b.verifyRows},
	}
	for _, s := range steps {
		if !b.opt.selected(s.name) {
			continue
		}
		if err := s.run(ctx, &rep); err != nil {
			return rep, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	rep.definitions = definitions(b.opt)
	return rep, nil
}

// step runs one measurement, reporting its progress.
func step[T any](b *bench, what string, f func() (T, error)) (T, error) {
	fmt.Fprintf(b.progress, "payoutbench: %s ...\n", what)
	began := time.Now()
	v, err := f()
	fmt.Fprintf(b.progress, "payoutbench: %s took %s\n", what, time.Since(began).Round(10*time.Millisecond))
	return v, err
}

// drainRows measures payoutd's drain and the floor's, alternately, -rounds
// times each, and reports the fastest of each.
func (b *bench) drainRows(ctx context.Context, rep *report) error {
	n := b.opt.sizes.drain
	var p, f rateResult
	for round := range b.opt.rounds {
		what := fmt.Sprintf("drain of %d payouts, round %d of %d", n, round+1, b.opt.rounds)
		pr, err := step(b, "payoutd "+what, func() (rateResult, error) { return b.drainPayoutd(ctx, n) })
		if err != nil {
			return err
		}
		fr, err := step(b, "floor "+what, func() (rateResult, error) { return b.drainFloor(ctx, n) })
		if err != nil {
			return err
		}
		p, f = faster(p, pr), faster(f, fr)
	}
	rep.sections = append(rep.sections, perOpSection("Drain, per payout (µs; the fastest round of each; the process holds the fake Cregis too)",
		"worker", named{"payoutd", p}, named{"floor worker", f}))
	pc, _, _ := p.calls.per(n)
	fc, _, _ := f.calls.per(n)
	rep.rows = append(rep.rows,
		row{fmt.Sprintf("drain, payouts/s (N = %s, concurrency %d, best of %d)", count(float64(n)), b.opt.concurrency, b.opt.rounds),
			count(p.rate()), count(f.rate()) + " (floor worker)", ratio(p.rate(), f.rate()), ">= 0.65 (goal 0.8)",
			meets(p.rate()/f.rate() >= 0.65)},
		row{"Redis calls a payout (intake to terminal, one poll)", describeCalls(p.calls, n),
			describeCalls(f.calls, n) + " (floor worker: bare asynq, two tasks)", ratio(pc, fc), "<= 30", meets(pc <= 30)},
	)
	return nil
}

// describeCalls formats commands a payout, with scripts and round trips.
func describeCalls(c calls, n int) string {
	cmds, scripts, trips := c.per(n)
	return fmt.Sprintf("%s (%s scripts, %s round trips)", decimal(cmds), decimal(scripts), decimal(trips))
}

// memoryRows measures the memory of in-flight payouts at two sizes.
func (b *bench) memoryRows(ctx context.Context, rep *report) error {
	var res [2]memoryResult
	for i, n := range b.opt.sizes.memory {
		r, err := step(b, fmt.Sprintf("memory of %d in-flight payouts", n), func() (memoryResult, error) { return b.measureMemory(ctx, n) })
		if err != nil {
			return err
		}
		res[i] = r
	}
	for _, r := range res {
		rep.rows = append(rep.rows, row{fmt.Sprintf("Redis memory per in-flight payout, N = %s", count(float64(r.n))),
			count(r.perPayout) + " B", "", "", "<= 1 536 B (1.5 KiB)", meets(r.perPayout <= 1536)})
	}
	small, large := res[0], res[1]
	rep.rows = append(rep.rows,
		row{fmt.Sprintf("linear: per payout at %s over at %s", count(float64(large.n)), count(float64(small.n))),
			count(large.perPayout) + " B / " + count(small.perPayout) + " B", "", ratio(large.perPayout, small.perPayout), "<= 1.15",
			meets(large.perPayout <= 1.15*small.perPayout)},
		row{"MEMORY USAGE of one record / of its poll task", bytesOrNA(large.record) + " / " + bytesOrNA(large.pollTask), "", "", "", noTarget},
	)
	rep.sections = append(rep.sections, familySection(large))
	return nil
}

func bytesOrNA(n int64) string {
	if n < 0 {
		return "n/a"
	}
	return count(float64(n)) + " B"
}

// familySection lists where the memory of large's run is, by key family.
func familySection(r memoryResult) section {
	s := section{
		title:  fmt.Sprintf("Where Redis memory is, %s in-flight payouts (MEMORY USAGE, SAMPLES 0)", count(float64(r.n))),
		header: []string{"key family", "keys", "bytes a payout"},
	}
	for _, f := range r.families {
		if per := float64(f.bytes) / float64(r.n+r.warmPayout); per >= 1 {
			s.rows = append(s.rows, []string{"`" + f.pattern + "`", count(float64(f.keys)), count(per)})
		}
	}
	return s
}

// intakeRows measures the HTTP intake, Producer.Enqueue and bare asynq,
// one after the other, -rounds times, and reports the fastest of each.
func (b *bench) intakeRows(ctx context.Context, rep *report) error {
	m := b.opt.sizes.intake
	var h, p, a, f rateResult
	for round := range b.opt.rounds {
		of := fmt.Sprintf(", round %d of %d", round+1, b.opt.rounds)
		hr, err := step(b, fmt.Sprintf("HTTP intake of %d payouts%s", m, of), func() (rateResult, error) { return b.intakeHTTP(ctx, m) })
		if err != nil {
			return err
		}
		pr, err := step(b, fmt.Sprintf("Producer.Enqueue of %d payouts%s", m, of), func() (rateResult, error) { return b.intakeProducer(ctx, m) })
		if err != nil {
			return err
		}
		ar, err := step(b, fmt.Sprintf("bare asynq enqueue of %d tasks%s", m, of), func() (rateResult, error) { return b.intakeAsynq(ctx, m) })
		if err != nil {
			return err
		}
		fr, err := step(b, fmt.Sprintf("HTTP floor (net/http alone) of %d requests%s", m, of), func() (rateResult, error) { return b.intakeNetHTTP(ctx, m) })
		if err != nil {
			return err
		}
		h, p, a, f = faster(h, hr), faster(p, pr), faster(a, ar), faster(f, fr)
	}
	rep.sections = append(rep.sections, perOpSection("Intake, per operation (µs; the fastest round of each; the process holds the client too)",
		"figure", named{"HTTP intake", h}, named{"Producer.Enqueue", p}, named{"bare asynq enqueue", a}, named{"HTTP floor: net/http alone", f}))
	rep.rows = append(rep.rows,
		row{fmt.Sprintf("HTTP intake, %d connections, req/s (best of %d)", intakeWorkers, b.opt.rounds), count(h.rate()),
			count(p.rate()) + " (Producer.Enqueue)", ratio(h.rate(), p.rate()), ">= 0.5", meets(h.rate()/p.rate() >= 0.5)},
		row{fmt.Sprintf("Producer.Enqueue, %d goroutines, /s (best of %d)", intakeWorkers, b.opt.rounds), count(p.rate()),
			count(a.rate()) + " (bare asynq enqueue)", ratio(p.rate(), a.rate()), ">= 0.5", meets(p.rate()/a.rate() >= 0.5)},
		row{"Redis calls an enqueue (HTTP / Producer.Enqueue)", describeCalls(h.calls, m) + " / " + describeCalls(p.calls, m),
			describeCalls(a.calls, m) + " (bare asynq)", "", "", noTarget},
	)
	return nil
}

// scheduleRows measures the poll schedule on the realistic timeline.
func (b *bench) scheduleRows(ctx context.Context, rep *report) error {
	n := b.opt.sizes.schedule
	for _, callbacks := range []bool{true, false} {
		name := map[bool]string{true: "with callbacks", false: "without callbacks"}[callbacks]
		r, err := step(b, fmt.Sprintf("schedule of %d payouts %s", n, name), func() (scheduleResult, error) {
			return b.measureSchedule(ctx, n, callbacks)
		})
		if err != nil {
			return err
		}
		maxCalls, maxLatency := map[bool]int{true: 3, false: 24}[callbacks], map[bool]time.Duration{true: 5 * time.Second, false: time.Minute}[callbacks]
		rep.rows = append(rep.rows,
			row{fmt.Sprintf("Cregis calls a payout, realistic timeline, %s (N = %d)", name, n),
				fmt.Sprintf("mean %.2f, max %d", r.meanCalls, r.maxCalls), "", "", fmt.Sprintf("max <= %d", maxCalls), meets(r.maxCalls <= maxCalls)},
			row{fmt.Sprintf("outcome latency (median, timeline time), %s", name), seconds(r.medianLatency), "", "",
				"<= " + seconds(maxLatency), meets(r.medianLatency <= maxLatency)},
		)
	}
	return nil
}

// verifyRows measures the verification endpoint's answer time.
func (b *bench) verifyRows(ctx context.Context, rep *report) error {
	m := b.opt.sizes.verify
	r, err := step(b, fmt.Sprintf("%d verification requests", m), func() (verifyResult, error) { return b.measureVerify(ctx, m) })
	if err != nil {
		return err
	}
	rep.rows = append(rep.rows, row{fmt.Sprintf("POST /cregis/verify answer time, p50 / p99 (N = %d)", m),
		ms(r.p50) + " / " + ms(r.p99), "", "", "", noTarget})
	return nil
}
