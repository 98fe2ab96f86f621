package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// machine describes where a run happened, for the report's header.
type machine struct {
	date     time.Time
	platform string // GOOS/GOARCH
	cpu      string // model name from /proc/cpuinfo, or "unknown"
	cpus     int
	goVer    string
	redisVer string
	revision string // payoutd's commit, "" when unknown
	load     string // /proc/loadavg's first three fields at the start, "" when unknown
}

// describeMachine reads the machine's description; what it cannot read it
// reports as unknown.
func (b *bench) describeMachine(ctx context.Context) machine {
	m := machine{date: time.Now().UTC(), platform: runtime.GOOS + "/" + runtime.GOARCH, cpu: cpuModel(),
		cpus: runtime.NumCPU(), goVer: runtime.Version(), revision: revision(ctx), load: loadAverage()}
	var err error
	if m.redisVer, err = b.redis.info(ctx, "server", "redis_version"); err != nil {
		m.redisVer = "unknown"
	}
	return m
}

// lines returns the header lines of the report.
func (m machine) lines() []string {
	out := []string{
		"date: " + m.date.Format("2006-01-02 15:04 MST"),
		"machine: " + m.platform + ", " + m.cpu + ", " + strconv.Itoa(m.cpus) + " CPUs (nproc)",
		"Go " + strings.TrimPrefix(m.goVer, "go") + ", redis-server " + m.redisVer,
	}
	if m.revision != "" {
		out = append(out, "payoutd: "+m.revision)
	}
	if m.load != "" {
		out = append(out, "load average at the start (1, 5, 15 min): "+m.load+" (other work on the machine skews every figure)")
	}
	return out
}

// loadAverage returns the 1, 5 and 15 minute load averages, or "".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], ", ")
	}
	return ""
}

// cpuModel returns the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// revision returns the commit the binary was built from (the build's VCS
// stamp, else git's answer in the working directory), "+dirty" when the
// tree had changes; "" when neither knows.
func revision(ctx context.Context) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = map[string]string{"true": "+dirty"}[s.Value]
			}
		}
		if rev != "" {
			return rev[:min(12, len(rev))] + dirty
		}
	}
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		rev += "+dirty"
	}
	return rev
}
