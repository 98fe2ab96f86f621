package cregistest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/payoutd/payoutd/cregis"
)

// maxAckBytes is how much of a callback answer is read and kept.
const maxAckBytes = 1024

// CallbackDelivery is one callback the fake sent, and the answer.
type CallbackDelivery struct {
	CID        int64          `json:"cid"`
	URL        string         `json:"url"`
	Status     cregis.Status  `json:"status"`
	Fields     map[string]any `json:"fields"`      // as sent, less sign
	Manual     bool           `json:"manual"`      // sent by PushCallback or SendCallback
	StatusCode int            `json:"status_code"` // 0 when no answer came
	Response   string         `json:"response"`    // the answer's body, at most 1 KiB
	Acked      bool           `json:"acked"`       // HTTP 200 with the body exactly "success"
	Err        string         `json:"error,omitempty"`
	At         time.Time      `json:"at"`
}

// startSweeper runs the background progression while payouts with a
// callback_url are in flight, so that their callbacks fire without queries.
func (s *Server) startSweeper() {
	if !s.gate.enter() {
		return
	}
	go func() {
		defer s.gate.leave()
		t := time.NewTicker(s.cfg.TickInterval)
		defer t.Stop()
		for more := true; more; {
			select {
			case <-s.ctx.Done():
				return
			case <-t.C:
			}
			var jobs []callbackJob
			jobs, more = s.ledger.sweep(s.now())
			s.dispatch(jobs)
		}
	}()
}

// observe settles one payout, sending any callback it calls for.
func (s *Server) observe(cid int64) (Payout, bool) {
	p, jobs, ok := s.ledger.observe(cid, s.now())
	s.dispatch(jobs)
	return p, ok
}

// dispatch sends callbacks in the background.
func (s *Server) dispatch(jobs []callbackJob) {
	for _, j := range jobs {
		if !s.gate.enter() {
			return
		}
		go func() {
			defer s.gate.leave()
			d := s.deliver(j.url, s.signed(s.stamped(j.fields, s.now())))
			s.log.addCallback(d)
		}()
	}
}

// stamped returns a copy of fields with a fresh nonce and the timestamp.
func (s *Server) stamped(fields map[string]any, ts time.Time) map[string]any {
	f := maps.Clone(fields)
	f["nonce"] = nonce()
	f["timestamp"] = ts.UnixMilli()
	return f
}

// signed returns a copy of fields with its sign.
func (s *Server) signed(fields map[string]any) map[string]any {
	f := maps.Clone(fields)
	delete(f, "sign")
	f["sign"] = cregis.Sign(s.APIKey, f)
	return f
}

// deliver POSTs fields as JSON to url once, and records the answer.
func (s *Server) deliver(url string, fields map[string]any) CallbackDelivery {
	d := CallbackDelivery{URL: url, At: s.now(), Fields: maps.Clone(fields)}
	delete(d.Fields, "sign")
	d.CID, _ = intField(fields, "cid")
	status, _ := intField(fields, "status")
	d.Status = cregis.Status(status)
	code, body, err := s.post(url, fields)
	d.StatusCode, d.Response = code, body
	d.Acked = code == http.StatusOK && body == cregis.CallbackAck
	if err != nil {
		d.Err = err.Error()
	}
	return d
}

// post sends one callback and returns the answer's status and body.
func (s *Server) post(url string, fields map[string]any) (int, string, error) {
	body, err := json.Marshal(fields)
	if err != nil {
		return 0, "", fmt.Errorf("encoding the callback: %w", err)
	}
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAckBytes))
	return resp.StatusCode, string(b), err
}

// CallbackFields returns the fields of the callback the payout's current
// state makes, with a fresh nonce and timestamp, less sign: change one and
// pass it to SendCallback to test a receiver against forged callbacks.
func (s *Server) CallbackFields(cid int64) (map[string]any, error) {
	p, ok := s.observe(cid)
	if !ok {
		return nil, fmt.Errorf("cregistest: no payout with cid %d", cid)
	}
	return s.stamped(p.callbackFields(s.PID), s.now()), nil
}

// PushCallback sends, now and synchronously, a signed callback of the
// payout's current state to its callback_url, as an operator re-pushing it
// from the Cregis client would.
func (s *Server) PushCallback(cid int64) (CallbackDelivery, error) {
	return s.PushCallbackAt(cid, time.Time{})
}

// PushCallbackAt is PushCallback with the given timestamp (an old one, say);
// the zero time means now.
func (s *Server) PushCallbackAt(cid int64, timestamp time.Time) (CallbackDelivery, error) {
	p, ok := s.observe(cid)
	if !ok {
		return CallbackDelivery{}, fmt.Errorf("cregistest: no payout with cid %d", cid)
	}
	if p.CallbackURL == "" {
		return CallbackDelivery{}, errors.New("cregistest: the payout has no callback_url")
	}
	if timestamp.IsZero() {
		timestamp = s.now()
	}
	return s.SendCallback(p.CallbackURL, s.stamped(p.callbackFields(s.PID), timestamp), true), nil
}

// SendCallback POSTs fields as a callback to url, synchronously. With sign,
// the fields are signed with the API key (any sign given is replaced);
// without, they are sent as given, forged or tampered as the test likes.
func (s *Server) SendCallback(url string, fields map[string]any, sign bool) CallbackDelivery {
	if sign {
		fields = s.signed(fields)
	}
	d := s.deliver(url, fields)
	d.Manual = true
	s.log.addCallback(d)
	return d
}

// nonce returns 6 random characters of [a-z0-9].
func nonce() string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 6)
	for i := range b {
		b[i] = chars[rand.IntN(len(chars))]
	}
	return string(b)
}

// intField reads an integer field of any of the types callbacks carry.
func intField(fields map[string]any, name string) (int64, bool) {
	switch v := fields[name].(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	case json.Number:
		i, err := v.Int64()
		return i, err == nil
	case string:
		i, err := strconv.ParseInt(v, 10, 64)
		return i, err == nil
	}
	return 0, false
}
