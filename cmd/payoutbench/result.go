package main

import (
	"fmt"
	"time"
)

// rateResult is one timed run: m operations (payouts drained, requests,
// enqueues) in took, after calls to Redis, using cpu.
type rateResult struct {
	m     int
	took  time.Duration
	calls calls
	cpu   cpuTime
}

// rate is operations per second.
func (r rateResult) rate() float64 { return float64(r.m) / r.took.Seconds() }

// perOp is a duration an operation, in microseconds.
func (r rateResult) perOp(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f", float64(d.Nanoseconds())/1e3/float64(r.m))
}

// faster returns the faster of two runs; a zero one never wins.
func faster(a, b rateResult) rateResult {
	if a.m == 0 || b.rate() > a.rate() {
		return b
	}
	return a
}

// named is a run with the name its row gets.
type named struct {
	name string
	res  rateResult
}

// perOpSection is where the runs' time went: wall time and CPU an
// operation, the process's and the redis-server's.
func perOpSection(title, what string, runs ...named) section {
	s := section{title: title, header: []string{what, "per second", "wall", "process CPU", "redis-server CPU"}}
	for _, r := range runs {
		s.rows = append(s.rows, []string{r.name, count(r.res.rate()), r.res.perOp(r.res.took),
			r.res.perOp(r.res.cpu.process), r.res.perOp(r.res.cpu.redis)})
	}
	return s
}
