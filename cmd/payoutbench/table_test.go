package main

import (
	"strings"
	"testing"
	"time"
)

func TestMarkdown(t *testing.T) {
	rep := report{
		title:  "payoutbench (quick)",
		header: []string{"date: 2026-01-02 03:04 UTC"},
		rows: []row{
			{"drain, payouts/s", "1 100", "2 450 (floor worker)", "0.45", ">= 0.65", fail},
			{"a | in a cell", "1", "", "", "", noTarget},
		},
		sections:    []section{{title: "More", header: []string{"a", "b"}, rows: [][]string{{"x", "y"}}}},
		definitions: []string{"**Drain**: what it is."},
	}
	want := `# payoutbench (quick)

- date: 2026-01-02 03:04 UTC

| figure | payoutd | reference | ratio | target | result |
| --- | --- | --- | --- | --- | --- |
| drain, payouts/s | 1 100 | 2 450 (floor worker) | 0.45 | >= 0.65 | **fail** |
| a \| in a cell | 1 | — | — | — | — |

## More

| a | b |
| --- | --- |
| x | y |

## Definitions

- **Drain**: what it is.
`
	if got := rep.markdown(); got != want {
		t.Errorf("markdown:\n%s\nwant:\n%s", got, want)
	}
}

func TestNumberFormats(t *testing.T) {
	cases := []struct {
		desc, got, want string
	}{
		{"below a thousand", count(999.4), "999"},
		{"thousands are spaced", count(20000), "20 000"},
		{"millions too", count(1234567), "1 234 567"},
		{"negatives keep their sign", count(-1500), "-1 500"},
		{"a ratio has two decimals", ratio(1100, 2450), "0.45"},
		{"a ratio over zero is a dash", ratio(1, 0), "—"},
		{"milliseconds have two decimals", ms(1234 * time.Microsecond), "1.23 ms"},
		{"seconds are whole", seconds(15400 * time.Millisecond), "15 s"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.desc, c.got, c.want)
		}
	}
}

func TestFamilyOf(t *testing.T) {
	cases := []struct{ key, want string }{
		{"payoutd:payout:{po-1}", "payoutd:payout:{*}"},
		{"payoutd:lease:{po-1}:unsure", "payoutd:lease:{*}:unsure"},
		{"asynq:{payout_poll}:t:poll:po-1:1", "asynq:{payout_poll}:t:*"},
		{"asynq:{payout_poll}:scheduled", "asynq:{payout_poll}:scheduled"},
		{"payoutd:events", "payoutd:events"},
	}
	for _, c := range cases {
		if got := familyOf(c.key); got != c.want {
			t.Errorf("familyOf(%q) = %q, want %q", c.key, got, c.want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	var errs strings.Builder
	o, err := parseFlags([]string{"-quick", "-n", "500", "-only", "drain,verify"}, &errs)
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	if o.sizes.drain != 500 || o.sizes.memory != quickSizes.memory || !o.selected("verify") || o.selected("memory") {
		t.Errorf("options %+v: want quick sizes with a drain of 500, only drain and verify", o)
	}
	if _, err := parseFlags([]string{"-only", "drains"}, &errs); err == nil || !strings.Contains(err.Error(), "drains") {
		t.Errorf("-only drains: %v, want an error naming it", err)
	}
}
