package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// verdict is a row's standing against its target.
type verdict int

// The verdicts.
const (
	noTarget verdict = iota
	pass
	fail
)

// meets returns pass when ok, else fail.
func meets(ok bool) verdict {
	if ok {
		return pass
	}
	return fail
}

func (v verdict) String() string {
	return [...]string{"—", "pass", "**fail**"}[v]
}

// row is one figure of the report: payoutd's number beside its reference,
// measured in the same run.
type row struct {
	figure, payoutd, reference, ratio, target string
	verdict                                   verdict
}

// section is a further table of the report.
type section struct {
	title  string
	header []string
	rows   [][]string
}

// report is what a run prints and writes.
type report struct {
	title       string
	header      []string // machine lines
	rows        []row
	sections    []section
	definitions []string
}

// markdown renders the report.
func (r report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", r.title)
	for _, l := range r.header {
		fmt.Fprintf(&b, "- %s\n", l)
	}
	b.WriteString("\n")
	cells := make([][]string, len(r.rows))
	for i, rw := range r.rows {
		cells[i] = []string{rw.figure, rw.payoutd, dash(rw.reference), dash(rw.ratio), dash(rw.target), rw.verdict.String()}
	}
	writeTable(&b, []string{"figure", "payoutd", "reference", "ratio", "target", "result"}, cells)
	for _, s := range r.sections {
		fmt.Fprintf(&b, "\n## %s\n\n", s.title)
		writeTable(&b, s.header, s.rows)
	}
	if len(r.definitions) > 0 {
		b.WriteString("\n## Definitions\n\n")
		for _, d := range r.definitions {
			fmt.Fprintf(&b, "- %s\n", d)
		}
	}
	return b.String()
}

// writeTable writes a Markdown table; a "|" in a cell is escaped.
func writeTable(b *strings.Builder, header []string, rows [][]string) {
	line := func(cells []string) {
		esc := make([]string, len(cells))
		for i, c := range cells {
			esc[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		fmt.Fprintf(b, "| %s |\n", strings.Join(esc, " | "))
	}
	line(header)
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
	}
	line(sep)
	for _, r := range rows {
		line(r)
	}
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// count formats a number with spaces between thousands ("20 000"),
// rounding to an integer.
func count(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + " " + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ratio formats a/b with two decimals.
func ratio(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return strconv.FormatFloat(a/b, 'f', 2, 64)
}

// seconds formats a duration in whole seconds ("15 s").
func seconds(d time.Duration) string { return count(d.Seconds()) + " s" }

// ms formats a duration in milliseconds with two decimals ("0.68 ms").
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + " ms"
}

// decimal formats v with one decimal.
func decimal(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
