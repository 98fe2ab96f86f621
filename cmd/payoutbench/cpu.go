package main

import (
	"context"
	"strconv"
	"time"
)

// cpuTime is CPU time used so far by this process (payoutd, its clients,
// the fake Cregis: everything the benchmark runs in process) and by the
// redis-server.
type cpuTime struct {
	process, redis time.Duration
}

// sub is the CPU used between since and t.
func (t cpuTime) sub(since cpuTime) cpuTime {
	return cpuTime{process: t.process - since.process, redis: t.redis - since.redis}
}

// cpuNow reads both clocks. A clock that cannot be read is zero, and so is
// what is measured with it (processCPU: not on every platform).
func (b *bench) cpuNow(ctx context.Context) cpuTime {
	return cpuTime{process: processCPU(), redis: b.redisCPU(ctx)}
}

// redisCPU is the server's used_cpu_user plus used_cpu_sys (INFO cpu).
func (b *bench) redisCPU(ctx context.Context) time.Duration {
	var total float64
	for _, field := range []string{"used_cpu_user", "used_cpu_sys"} {
		v, err := b.redis.info(ctx, "cpu", field)
		if err != nil {
			return 0
		}
		s, _ := strconv.ParseFloat(v, 64)
		total += s
	}
	return time.Duration(total * float64(time.Second))
}
