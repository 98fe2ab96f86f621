package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
)

// verifyResult is the answer time of POST /cregis/verify.
type verifyResult struct {
	m        int
	p50, p99 time.Duration
}

// firstCID is where the verification requests' cids start: above 2^53, as
// Cregis's are.
const firstCID = 1<<53 + 1

// measureVerify sends m verification requests, signed as Cregis signs them,
// one after another to payoutd's POST /cregis/verify on loopback, each the
// first about its payout (the costly path: the record read, the persisted
// decision and the hint), and times each answer.
func (b *bench) measureVerify(ctx context.Context, m int) (verifyResult, error) {
	fake, st, err := b.freshStack(stackConfig{})
	if err != nil {
		return verifyResult{}, err
	}
	defer fake.Close()
	defer st.close()
	url, stop, err := b.serveAPI(st)
	if err != nil {
		return verifyResult{}, err
	}
	defer stop()
	reqs := newRequests("verify", m)
	if err := parallel(ctx, intakeWorkers, m, func(i int) error { return submitting(ctx, st.store, reqs[i]) }); err != nil {
		return verifyResult{}, err
	}
	took := make([]time.Duration, m)
	for i, req := range reqs {
		fields := verificationFields(fake.PID, firstCID+2*int64(i), req)
		began := time.Now()
		d := fake.SendVerification(url+"/cregis/verify", fields, true)
		took[i] = time.Since(began)
		if d.Response != cregis.VerificationApprove {
			return verifyResult{}, fmt.Errorf("verification of %s: %d %q, want %q", req.ThirdPartyID, d.StatusCode, d.Response, cregis.VerificationApprove)
		}
	}
	slices.Sort(took)
	return verifyResult{m: m, p50: took[m/2], p99: took[m*99/100]}, nil
}

// submitting writes req's record and moves it to submitting: a create
// about to be made, the state a verification request finds.
func submitting(ctx context.Context, s *tasks.Store, req tasks.Request) error {
	if _, _, err := s.Create(ctx, req); err != nil {
		return err
	}
	_, err := s.Update(ctx, req.ThirdPartyID, "payoutbench: create about to be made", func(r *tasks.Record) error {
		r.State = tasks.StateSubmitting
		return nil
	})
	return err
}

// verificationFields are the fields Cregis sends about req's payout, less
// sign (SendVerification signs them with the API key).
func verificationFields(pid, cid int64, req tasks.Request) map[string]any {
	return map[string]any{
		"pid": pid, "cid": cid, "third_party_id": req.ThirdPartyID, "chain_id": "195", "token_id": "195",
		"from_address": "cregistest-payout-wallet-195", "to_address": req.ToAddress, "amount": req.Amount,
		"remark": req.Remark, "nonce": "a1b2c3", "timestamp": time.Now().UnixMilli(),
	}
}
