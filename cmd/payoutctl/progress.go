package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress shows an import's progress on w: a redrawn bar on a terminal,
// a plain line every tenth of the rows (and every 10 s) otherwise.
type progress struct {
	w        io.Writer
	tty      bool
	total    int
	n        int
	lastLine time.Time
	lastDraw time.Time
}

func newProgress(w io.Writer, total int) *progress {
	return &progress{w: w, tty: isTerminal(w), total: total, lastLine: time.Now()}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// step counts one row done.
func (p *progress) step() {
	p.n++
	switch {
	case p.tty && (time.Since(p.lastDraw) > 100*time.Millisecond || p.n == p.total):
		p.lastDraw = time.Now()
		p.draw()
	case !p.tty && (p.n%max(p.total/10, 1) == 0 || time.Since(p.lastLine) > 10*time.Second):
		p.lastLine = time.Now()
		fmt.Fprintf(p.w, "payoutctl import: %d/%d rows sent\n", p.n, p.total)
	}
}

func (p *progress) draw() {
	const width = 40
	filled := width * p.n / max(p.total, 1)
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d", strings.Repeat("#", filled), strings.Repeat(" ", width-filled), p.n, p.total)
}

// done ends the bar's line.
func (p *progress) done() {
	if p.tty && p.n > 0 {
		fmt.Fprintln(p.w)
	}
}
