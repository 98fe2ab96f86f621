package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
	"github.com/payoutd/payoutd/tasks"
)

// demoWatchInterval is how often the demo reads the sample payouts.
const demoWatchInterval = 250 * time.Millisecond

// sample is one demo payout and the fate the sandbox scripts for it: the
// fake reads the fate from a marker in the recipient address.
type sample struct {
	label      string
	to, amount string
	lostAnswer bool          // the fake applies the create but its answer is lost (HTTP 504)
	wantState  tasks.State   // "" for a payout refused at intake
	wantStatus cregis.Status // the Cregis status it ends with
	id         string        // third_party_id, set per run
	refusal    string        // the intake's error code, for a refused one
}

func demoSamples() []sample {
	return []sample{
		{label: "answer lost once", to: "TDemoLostAnswerThenRetried", amount: "5", lostAnswer: true, wantState: tasks.StateSucceeded, wantStatus: 6},
		{label: "succeeds", to: "TDemoRecipientSucceeds", amount: "12.5", wantState: tasks.StateSucceeded, wantStatus: 6},
		{label: "fails on chain", to: "TDemoRecipient-fail7", amount: "3", wantState: tasks.StateFailed, wantStatus: 7},
		{label: "rejected in review", to: "TDemoRecipient-reject4", amount: "7.25", wantState: tasks.StateFailed, wantStatus: 4},
		{label: "cancelled", to: "TDemoRecipient-cancel3", amount: "1", wantState: tasks.StateFailed, wantStatus: 3},
		{label: "invalid amount", to: "TDemoRecipientInvalid", amount: "1.0000001"},
	}
}

// play enqueues the samples through the HTTP API and shows their states
// until every one is settled, then says whether each ended as scripted.
func (sb *sandbox) play(ctx context.Context, w io.Writer) error {
	c := &demoClient{base: sb.baseURL(), token: sb.token}
	if err := c.awaitReady(ctx); err != nil {
		return err
	}
	samples := demoSamples()
	run := randomHex(3)
	for i := range samples {
		samples[i].id = fmt.Sprintf("demo-%s-%d", run, i+1)
		if err := sb.enqueue(ctx, c, &samples[i]); err != nil {
			return err
		}
	}
	recs, err := watch(ctx, c, samples, w)
	if err != nil {
		return err
	}
	return verdict(samples, recs, sb.fake, w)
}

// enqueue posts one sample. For the lost answer it arms the fault first and
// waits until that create reached the fake, so no other sample gets it.
func (sb *sandbox) enqueue(ctx context.Context, c *demoClient, s *sample) error {
	if s.lostAnswer {
		sb.fake.FailCreatesAfterApply(1, cregistest.FaultGatewayTimeout)
	}
	body, _ := json.Marshal(map[string]string{"third_party_id": s.id, "currency": "195@195", "to_address": s.to, "amount": s.amount})
	status, out, err := c.do(ctx, "POST", "/v1/payouts", body)
	switch {
	case err != nil:
		return err
	case status == http.StatusUnprocessableEntity:
		s.refusal = errorCode(out)
	case status != http.StatusAccepted:
		return fmt.Errorf("demo: enqueue %s: HTTP %d: %s", s.id, status, out)
	}
	if s.lostAnswer {
		return awaitCond(ctx, func() bool { return sb.fake.Creates(s.id) > 0 })
	}
	return nil
}

// watch reads the samples until all are settled, printing the table each
// time it changes.
func watch(ctx context.Context, c *demoClient, samples []sample, w io.Writer) ([]*tasks.Record, error) {
	var last string
	for {
		recs, err := c.records(ctx, samples)
		if err != nil {
			return nil, err
		}
		if t := table(samples, recs); t != last {
			fmt.Fprintf(w, "\n%s\n%s", time.Now().Format(time.TimeOnly), t)
			last = t
		}
		if settled(recs) {
			return recs, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(demoWatchInterval):
		}
	}
}

func settled(recs []*tasks.Record) bool {
	for _, r := range recs {
		if r != nil && !r.State.Terminal() {
			return false
		}
	}
	return true
}

// table renders the samples' states, one line each.
func table(samples []sample, recs []*tasks.Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %-18s %-20s %-12s %-22s %-20s %s\n", "sample", "third_party_id", "state", "cregis status", "cid", "create calls")
	for i, s := range samples {
		state, status, cid, attempts := "refused", "(422 "+s.refusal+")", "-", "0"
		if r := recs[i]; r != nil {
			state, status, cid, attempts = string(r.State), "-", orString(r.CID, "-"), fmt.Sprint(r.Attempts)
			if r.CregisStatus != nil {
				status = fmt.Sprintf("%d %s", *r.CregisStatus, *r.CregisStatus)
			}
		}
		fmt.Fprintf(&b, "  %-18s %-20s %-12s %-22s %-20s %s\n", s.label, s.id, state, status, cid, attempts)
	}
	return b.String()
}

// verdict compares each sample's end, and the creates the fake accepted
// for it, with its script.
func verdict(samples []sample, recs []*tasks.Record, fake *cregistest.Server, w io.Writer) error {
	var wrong []string
	for i, s := range samples {
		wantCreates := 1
		if s.wantState == "" {
			wantCreates = 0
		}
		if !asScripted(s, recs[i]) || fake.Creates(s.id) != wantCreates {
			wrong = append(wrong, s.id+" ("+s.label+")")
		}
	}
	if len(wrong) > 0 {
		return fmt.Errorf("demo: not as scripted: %s", strings.Join(wrong, ", "))
	}
	fmt.Fprintf(w, "\nAll %d sample payouts ended as the sandbox scripted them. Each valid one was created at the\n"+
		"fake Cregis exactly once, the one whose answer was lost too; the invalid one never left payoutd.\n", len(samples))
	return nil
}

func asScripted(s sample, r *tasks.Record) bool {
	if s.wantState == "" {
		return r == nil && s.refusal == tasks.CodeTooManyDecimals
	}
	return r != nil && r.State == s.wantState && r.CregisStatus != nil && *r.CregisStatus == s.wantStatus
}

// demoClient calls the demo's own HTTP API, as a backend would.
type demoClient struct{ base, token string }

func (c *demoClient) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, out, err
}

// records reads each sample's record (nil for one refused at intake).
func (c *demoClient) records(ctx context.Context, samples []sample) ([]*tasks.Record, error) {
	recs := make([]*tasks.Record, len(samples))
	for i, s := range samples {
		if s.refusal != "" {
			continue
		}
		status, out, err := c.do(ctx, "GET", "/v1/payouts/"+s.id, nil)
		if err != nil {
			return nil, err
		}
		recs[i] = new(tasks.Record)
		if status != http.StatusOK || json.Unmarshal(out, recs[i]) != nil {
			return nil, fmt.Errorf("demo: read %s: HTTP %d: %s", s.id, status, out)
		}
	}
	return recs, nil
}

// awaitReady waits until payoutd answers /readyz.
func (c *demoClient) awaitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := awaitCond(ctx, func() bool {
		status, _, err := c.do(ctx, "GET", "/readyz", nil)
		return err == nil && status == http.StatusOK
	})
	if err != nil {
		return errors.New("demo: payoutd did not become ready")
	}
	return nil
}

// awaitCond polls cond until it holds or ctx ends.
func awaitCond(ctx context.Context, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

func errorCode(body []byte) string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Error.Code
}
