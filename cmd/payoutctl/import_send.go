package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/payoutd/payoutd/internal/clock"
)

// importSummary is what an import did.
type importSummary struct {
	Rows      int          `json:"rows"`      // valid rows
	Accepted  int          `json:"accepted"`  // 202: new payouts
	Already   int          `json:"already"`   // 200: the same payout was already there
	Conflicts int          `json:"conflicts"` // 409: the id exists with other fields
	Refused   int          `json:"refused"`   // other 4xx: payoutd refused the row
	Failed    int          `json:"failed"`    // no answer or 5xx after retries, or interrupted: re-run
	Invalid   []rowProblem `json:"invalid"`   // refused locally (with -skip-invalid)
	Problems  []rowProblem `json:"problems"`  // conflicts, refusals and failures
	Seconds   float64      `json:"seconds"`
}

// sendAttempts bounds the tries of one row on a transport error or a 5xx;
// the intake is idempotent by third_party_id, so a retry never doubles.
const sendAttempts = 4

// sendRows posts every row with at most opt.concurrency calls in flight.
func sendRows(ctx context.Context, c *client, rows []csvRow, opt importOptions, prog *progress) *importSummary {
	start := time.Now()
	c = c.withConnections(opt.concurrency)
	sum := &importSummary{Rows: len(rows), Invalid: []rowProblem{}, Problems: []rowProblem{}}
	var mu sync.Mutex
	work := make(chan csvRow)
	var wg sync.WaitGroup
	for range opt.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for row := range work {
				status, err := sendRow(ctx, c, row)
				mu.Lock()
				sum.count(row, status, err)
				prog.step()
				mu.Unlock()
			}
		}()
	}
	feed(ctx, work, rows)
	wg.Wait()
	prog.done()
	sum.Failed += len(rows) - sum.total()
	sort.Slice(sum.Problems, func(i, j int) bool { return sum.Problems[i].Line < sum.Problems[j].Line })
	sum.Seconds = time.Since(start).Seconds()
	return sum
}

// feed hands the rows to the senders until ctx is done.
func feed(ctx context.Context, work chan<- csvRow, rows []csvRow) {
	defer close(work)
	for _, row := range rows {
		select {
		case work <- row:
		case <-ctx.Done():
			return
		}
	}
}

// sendRow posts one row, retrying what may be transient.
func sendRow(ctx context.Context, c *client, row csvRow) (int, error) {
	body, _ := json.Marshal(row.req)
	var status int
	var err error
	for attempt := range sendAttempts {
		if attempt > 0 && !sleepCtx(ctx, time.Duration(attempt)*200*time.Millisecond) {
			break
		}
		_, status, err = c.do(ctx, http.MethodPost, "/v1/payouts", body)
		if !transient(status, err) || ctx.Err() != nil {
			break
		}
	}
	return status, err
}

func transient(status int, err error) bool {
	return err != nil && (status == 0 || status >= 500 || status == http.StatusTooManyRequests)
}

// sleepCtx reports whether d passed before ctx ended.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	return clock.Sleep(ctx, d) == nil
}

// count records one row's answer.
func (s *importSummary) count(row csvRow, status int, err error) {
	switch {
	case err == nil && status == http.StatusAccepted:
		s.Accepted++
		return
	case err == nil:
		s.Already++
		return
	case status == http.StatusConflict:
		s.Conflicts++
	case status >= 400 && status < 500 && status != http.StatusTooManyRequests:
		s.Refused++
	default:
		s.Failed++
	}
	s.Problems = append(s.Problems, answerProblem(row, status, err))
}

func answerProblem(row csvRow, status int, err error) rowProblem {
	p := rowProblem{Line: row.line, ThirdPartyID: row.req.ThirdPartyID, Status: status, Code: "transport", Message: err.Error()}
	var ae *apiError
	if errors.As(err, &ae) {
		p.Code, p.Field, p.Message = ae.Code, ae.Field, ae.Message
	}
	return p
}

func (s *importSummary) total() int {
	return s.Accepted + s.Already + s.Conflicts + s.Refused + s.Failed
}

// err is the import's outcome: nil only when every valid row is now at payoutd as written.
func (s *importSummary) err(ctx context.Context) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted after %d of %d rows; re-run to send the rest", s.total()-s.Failed, s.Rows)
	case s.Conflicts+s.Refused+s.Failed > 0:
		return fmt.Errorf("%d conflicts, %d refused, %d failed (see the summary)", s.Conflicts, s.Refused, s.Failed)
	}
	return nil
}

// withConnections returns a copy of c that keeps n idle connections to payoutd.
func (c *client) withConnections(n int) *client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = n
	hc := *c.http
	hc.Transport = t
	return &client{base: c.base, token: c.token, http: &hc}
}
