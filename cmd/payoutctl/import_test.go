package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeCSV writes a file of n rows; every 97th row is invalid in one of
// three ways. It returns the path and the number of valid rows.
func writeCSV(t *testing.T, n int) (string, int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("third_party_id,currency,to_address,amount,memo,wallet_id\n")
	valid := 0
	for i := range n {
		id, to, amount, wallet := fmt.Sprintf("imp-%05d", i), "TAddr"+fmt.Sprint(i), "1.5", ""
		switch {
		case i%97 == 10:
			amount = "1.1234567" // 7 decimals; TRX has 6
		case i%97 == 40:
			to = ""
		case i%97 == 70:
			wallet = "12x"
		default:
			valid++
		}
		fmt.Fprintf(&b, "%s,195@195,%s,%s,,%s\n", id, to, amount, wallet)
	}
	path := filepath.Join(t.TempDir(), "payouts.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, valid
}

func decodeSummary(t *testing.T, stdout string) importSummary {
	t.Helper()
	var s importSummary
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("summary is not JSON: %v: %q", err, stdout)
	}
	return s
}

func TestImportOf10000RowsRefusesBadRowsThenResumesAfterAnInterruption(t *testing.T) {
	l := newLive(t)
	path, valid := writeCSV(t, 10000)
	bad := 10000 - valid

	code, stdout, _ := l.cli(context.Background(), "import", "-json", path)
	if code != exitInvalidRows || l.posts.Load() != 0 || l.open(t) != 0 {
		t.Fatalf("with bad rows: got exit %d, %d posts, %d records; want exit 3 and nothing sent", code, l.posts.Load(), l.open(t))
	}
	var inv struct{ Invalid []rowProblem }
	_ = json.Unmarshal([]byte(stdout), &inv)
	if len(inv.Invalid) != bad || inv.Invalid[0].Line != 12 || inv.Invalid[0].Field != "amount" {
		t.Fatalf("invalid rows: got %d, first %+v; want %d, the first on line 12 naming amount", len(inv.Invalid), inv.Invalid[0], bad)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancelAt := func(n int64) {
		if n == 5000 {
			cancel()
		}
	}
	l.onPost.Store(&cancelAt)
	code, stdout, _ = l.cli(ctx, "import", "-json", "-skip-invalid", path)
	first := decodeSummary(t, stdout)
	if code != 1 || first.Accepted == 0 || first.Accepted >= valid {
		t.Fatalf("interrupted run: got exit %d, %d accepted; want exit 1 and part of %d", code, first.Accepted, valid)
	}

	l.onPost.Store(nil)
	start := time.Now()
	code, stdout, stderr := l.cli(context.Background(), "import", "-json", "-skip-invalid", path)
	second := decodeSummary(t, stdout)
	t.Logf("re-run of %d rows: %v (%d accepted, %d already there)", valid, time.Since(start), second.Accepted, second.Already)
	if code != 0 || second.Accepted+second.Already != valid || second.Already < first.Accepted || len(second.Invalid) != bad {
		t.Fatalf("re-run: got exit %d %+v (stderr %q); want exit 0, %d rows accepted or already there", code, second, stderr, valid)
	}
	if got := l.open(t); got != int64(valid) {
		t.Errorf("records: got %d want %d (one per valid row)", got, valid)
	}
}

func TestImportReportsConflictsAndKeepsTheExistingPayout(t *testing.T) {
	l := newLive(t)
	if code, _, stderr := l.cli(context.Background(), "enqueue", "-id", "c-1", "-currency", "195@195", "-to", "TA", "-amount", "2"); code != 0 {
		t.Fatalf("enqueue: exit %d %s", code, stderr)
	}
	path := filepath.Join(t.TempDir(), "c.csv")
	_ = os.WriteFile(path, []byte("third_party_id,currency,to_address,amount\nc-1,195@195,TA,3\nc-2,195@195,TB,1\n"), 0o600)
	code, stdout, _ := l.cli(context.Background(), "import", path)
	if code != 1 {
		t.Fatalf("exit: got %d want 1 for a conflict", code)
	}
	for _, want := range []string{"conflicts      1", "accepted       1", "conflict"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if got := l.open(t); got != 2 {
		t.Errorf("records: got %d want 2", got)
	}
}

func TestImportRefusesABadHeaderAndDuplicateIDs(t *testing.T) {
	l := newLive(t)
	dir := t.TempDir()
	header := filepath.Join(dir, "h.csv")
	_ = os.WriteFile(header, []byte("third_party_id,amout\np,1\n"), 0o600)
	if code, _, stderr := l.cli(context.Background(), "import", header); code != 1 || !strings.Contains(stderr, `unknown column "amout"`) {
		t.Errorf("bad header: got exit %d stderr %q", code, stderr)
	}
	dup := filepath.Join(dir, "d.csv")
	_ = os.WriteFile(dup, []byte("third_party_id,currency,to_address,amount\nd,195@195,TA,1\nd,195@195,TA,1\n"), 0o600)
	code, stdout, _ := l.cli(context.Background(), "import", dup)
	if code != exitInvalidRows || !strings.Contains(stdout, "duplicate_third_party_id") || !strings.Contains(stdout, "also on line 2") {
		t.Errorf("duplicate id: got exit %d stdout %q", code, stdout)
	}
	if l.posts.Load() != 0 {
		t.Errorf("posts: got %d want 0", l.posts.Load())
	}
}
