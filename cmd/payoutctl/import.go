package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"

	"github.com/payoutd/payoutd/tasks"
)

var cmdImport = command{
	usage: "[-concurrency N] [-skip-invalid] [-json] FILE.csv",
	help:  "enqueue every row of a CSV file (header: the intake's field names); validates all rows first; safe to re-run",
	run:   runImport,
}

// exitInvalidRows is the exit status when rows failed validation and nothing was sent.
const exitInvalidRows = 3

// errInvalidRows says the file has invalid rows and -skip-invalid was not given.
var errInvalidRows = errors.New("invalid rows; nothing was sent (fix them or use -skip-invalid)")

// importOptions are import's flags.
type importOptions struct {
	concurrency int
	skipInvalid bool
	json        bool
	file        string
}

// csvRow is one data row of the file: its line number and its request.
type csvRow struct {
	line int
	req  tasks.Request
}

// rowProblem is a row refused locally or by payoutd.
type rowProblem struct {
	Line         int    `json:"line"`
	ThirdPartyID string `json:"third_party_id,omitempty"`
	Status       int    `json:"status,omitempty"` // payoutd's HTTP status, 0 when refused locally
	Code         string `json:"code"`
	Field        string `json:"field,omitempty"`
	Message      string `json:"message"`
}

func runImport(ctx context.Context, c *client, args []string, env environment) error {
	opt, err := parseImportFlags(args)
	if err != nil {
		return err
	}
	rows, invalid, err := readImportFile(ctx, opt.file)
	if err != nil {
		return err
	}
	if len(invalid) > 0 && !opt.skipInvalid {
		printInvalid(env, opt, invalid)
		return errInvalidRows
	}
	sum := sendRows(ctx, c, rows, opt, newProgress(env.stderr, len(rows)))
	sum.Invalid = invalid
	printSummary(env, opt, sum)
	return sum.err(ctx)
}

func parseImportFlags(args []string) (importOptions, error) {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var opt importOptions
	fs.IntVar(&opt.concurrency, "concurrency", 8, "")
	fs.BoolVar(&opt.skipInvalid, "skip-invalid", false, "")
	fs.BoolVar(&opt.json, "json", false, "")
	if err := fs.Parse(args); err != nil {
		return opt, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 1 || opt.concurrency < 1 {
		return opt, fmt.Errorf("%w: want one FILE.csv and -concurrency >= 1", errUsage)
	}
	opt.file = fs.Arg(0)
	return opt, nil
}

// readImportFile parses and validates the whole file before anything is sent.
func readImportFile(ctx context.Context, name string) ([]csvRow, []rowProblem, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: header row: %w", name, err)
	}
	if err := checkHeader(header); err != nil {
		return nil, nil, fmt.Errorf("%s: line 1: %w", name, err)
	}
	return readRows(ctx, r, header)
}

func readRows(ctx context.Context, r *csv.Reader, header []string) ([]csvRow, []rowProblem, error) {
	var rows []csvRow
	var bad []rowProblem
	seen := map[string]int{}
	for {
		fields, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, bad, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, nil, err
			}
			bad = append(bad, rowProblem{Line: pe.Line, Code: "invalid_csv", Message: pe.Err.Error()})
			continue
		}
		line, _ := r.FieldPos(0)
		row, p := parseRow(ctx, line, header, fields, seen)
		if p != nil {
			bad = append(bad, *p)
			continue
		}
		rows = append(rows, row)
	}
}

// parseRow builds and validates one row's request; a third_party_id seen on
// an earlier line is refused (one payout per id).
func parseRow(ctx context.Context, line int, header, fields []string, seen map[string]int) (csvRow, *rowProblem) {
	if len(fields) != len(header) {
		return csvRow{}, &rowProblem{Line: line, Code: "invalid_csv",
			Message: fmt.Sprintf("has %d fields; the header has %d", len(fields), len(header))}
	}
	req, err := rowRequest(header, fields)
	if err == nil {
		err = req.Validate(ctx, importDecimals{})
	}
	if err != nil {
		return csvRow{}, problemOf(line, req.ThirdPartyID, err)
	}
	if first, dup := seen[req.ThirdPartyID]; dup {
		return csvRow{}, &rowProblem{Line: line, ThirdPartyID: req.ThirdPartyID, Code: "duplicate_third_party_id",
			Field: "third_party_id", Message: "also on line " + strconv.Itoa(first)}
	}
	seen[req.ThirdPartyID] = line
	return csvRow{line: line, req: req}, nil
}

// rowRequest decodes a row the way the intake decodes a body: each non-empty
// cell is a string field, except metadata, which is JSON.
func rowRequest(header, fields []string) (tasks.Request, error) {
	obj := map[string]json.RawMessage{}
	for i, name := range header {
		if fields[i] == "" {
			continue
		}
		v, _ := json.Marshal(fields[i])
		if name == "metadata" {
			v = json.RawMessage(fields[i])
		}
		obj[name] = v
	}
	b, _ := json.Marshal(obj)
	var req tasks.Request
	if err := json.Unmarshal(b, &req); err != nil {
		var ve *tasks.ValidationError
		if errors.As(err, &ve) {
			return req, ve
		}
		return req, &tasks.ValidationError{Field: "metadata", Code: "invalid_type", Message: "is not a JSON object"}
	}
	return req, nil
}

func problemOf(line int, id string, err error) *rowProblem {
	var ve *tasks.ValidationError
	if errors.As(err, &ve) {
		return &rowProblem{Line: line, ThirdPartyID: id, Code: ve.Code, Field: ve.Field, Message: ve.Message}
	}
	return &rowProblem{Line: line, ThirdPartyID: id, Code: "invalid", Message: err.Error()}
}

// requestFields are the intake's field names (tasks.Request's JSON tags).
var requestFields = []string{"third_party_id", "currency", "to_address", "amount", "memo", "remark",
	"wallet_id", "from_address", "source", "notify_url", "metadata"}

func checkHeader(header []string) error {
	for i, h := range header {
		if !slices.Contains(requestFields, h) {
			return fmt.Errorf("unknown column %q (want the intake's field names: %v)", h, requestFields)
		}
		if slices.Index(header, h) != i {
			return fmt.Errorf("column %q appears twice", h)
		}
	}
	if !slices.Contains(header, "third_party_id") {
		return errors.New("no third_party_id column")
	}
	return nil
}

// importDecimals validates amounts locally: the built-in table for the
// well-known tokens, and up to 18 decimals for any other currency, whose
// real precision only the server knows (it refuses the row if it is wrong).
type importDecimals struct{}

// Decimals implements tasks.Decimals.
func (importDecimals) Decimals(ctx context.Context, currency string) (int, bool, error) {
	if d, ok, _ := tasks.BuiltinDecimals.Decimals(ctx, currency); ok {
		return d, true, nil
	}
	return 18, true, nil
}
