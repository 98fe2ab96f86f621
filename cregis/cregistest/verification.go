package cregistest

import (
	"fmt"
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/payoutd/payoutd/cregis"
)

// VerificationDelivery is one Payout External Verification request the fake
// sent, and the answer.
type VerificationDelivery struct {
	CID          int64          `json:"cid"`
	ThirdPartyID string         `json:"third_party_id"`
	URL          string         `json:"url"`
	Fields       map[string]any `json:"fields"`      // as sent, less sign
	Manual       bool           `json:"manual"`      // sent by SendVerification
	StatusCode   int            `json:"status_code"` // 0 when no answer came
	Response     string         `json:"response"`    // the answer's body, at most 1 KiB
	// Verdict is cregis.VerificationApprove or cregis.VerificationDeny for an
	// HTTP 200 whose body is exactly one of them, else "" (sent again later).
	Verdict string    `json:"verdict,omitempty"`
	Err     string    `json:"error,omitempty"`
	At      time.Time `json:"at"`
}

// verificationURL is the run-time verification URL.
type verificationURL struct {
	mu  sync.Mutex
	url string
}

func (v *verificationURL) get() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.url
}

func (v *verificationURL) set(url string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.url = url
}

// SetVerificationURL changes Config.VerificationURL at run time; "" turns
// verification off for payouts created afterwards. Payouts already waiting
// keep waiting: each retry goes to the URL current at that moment, and none
// is sent while it is "".
func (s *Server) SetVerificationURL(url string) { s.verifyURL.set(url) }

// VerificationURL returns the current verification URL, "" when off.
func (s *Server) VerificationURL() string { return s.verifyURL.get() }

// verifying reports whether a payout created now must be verified.
func (s *Server) verifying() bool { return s.verifyURL.get() != "" }

// startVerification sends the payout's verification request in the
// background, again every VerificationRetry until a verdict comes.
func (s *Server) startVerification(cid int64) {
	if !s.gate.enter() {
		return
	}
	go func() {
		defer s.gate.leave()
		for !s.verifyOnce(cid) {
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(s.cfg.VerificationRetry):
			}
		}
	}()
}

// verifyOnce sends one verification request if the payout still waits and a
// URL is set, and applies its verdict. It reports whether waiting is over.
func (s *Server) verifyOnce(cid int64) (done bool) {
	fields, waiting := s.ledger.verificationFields(cid)
	url := s.verifyURL.get()
	if !waiting || url == "" {
		return !waiting
	}
	d := s.deliverVerification(url, s.signed(s.stamped(fields, s.now())))
	s.log.addVerification(d)
	if d.Verdict == "" {
		return false
	}
	jobs, startSweep, _ := s.ledger.decide(cid, d.Verdict == cregis.VerificationApprove, s.now())
	if startSweep {
		s.startSweeper()
	}
	s.dispatch(jobs)
	return true
}

// deliverVerification POSTs fields to url once and records the answer.
func (s *Server) deliverVerification(url string, fields map[string]any) VerificationDelivery {
	d := VerificationDelivery{URL: url, At: s.now(), Fields: maps.Clone(fields)}
	delete(d.Fields, "sign")
	d.CID, _ = intField(fields, "cid")
	d.ThirdPartyID, _ = fields["third_party_id"].(string)
	code, body, err := s.post(url, fields)
	d.StatusCode, d.Response = code, body
	if code == http.StatusOK && (body == cregis.VerificationApprove || body == cregis.VerificationDeny) {
		d.Verdict = body
	}
	if err != nil {
		d.Err = err.Error()
	}
	return d
}

// VerificationFields returns the fields of the payout's verification
// request, with a fresh nonce and timestamp, less sign: change one and pass
// it to SendVerification to test a receiver against forged requests.
func (s *Server) VerificationFields(cid int64) (map[string]any, error) {
	p, ok := s.observe(cid)
	if !ok {
		return nil, fmt.Errorf("cregistest: no payout with cid %d", cid)
	}
	return s.stamped(p.verificationFields(s.PID), s.now()), nil
}

// SendVerification POSTs fields as a verification request to url,
// synchronously. With sign, the fields are signed with the API key (any sign
// given is replaced); without, they are sent as given. The answer is recorded
// (Manual) but decides nothing: only the fake's own requests do.
func (s *Server) SendVerification(url string, fields map[string]any, sign bool) VerificationDelivery {
	if sign {
		fields = s.signed(fields)
	}
	d := s.deliverVerification(url, fields)
	d.Manual = true
	s.log.addVerification(d)
	return d
}

// Verifications returns a copy of the verification requests sent, in the
// order their answers came.
func (s *Server) Verifications() []VerificationDelivery {
	var out []VerificationDelivery
	s.log.read(func(in *inspector) {
		out = make([]VerificationDelivery, 0, len(in.verifications))
		for _, d := range in.verifications {
			d.Fields = maps.Clone(d.Fields)
			out = append(out, d)
		}
	})
	return out
}

// VerificationsFor returns the Verifications sent for cid.
func (s *Server) VerificationsFor(cid int64) []VerificationDelivery {
	var out []VerificationDelivery
	for _, d := range s.Verifications() {
		if d.CID == cid {
			out = append(out, d)
		}
	}
	return out
}
