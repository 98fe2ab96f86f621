package cregistest

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/payoutd/payoutd/cregis"
)

// Request is one API call the fake received.
type Request struct {
	Path string `json:"path"`
	// Fields is the decoded body (numbers as json.Number), less sign; nil
	// when the body did not decode.
	Fields map[string]any `json:"fields"`
	// Time is when the call arrived, by Config.NowFunc.
	Time time.Time `json:"time"`
	// Code is the envelope code the call earned; with an after-apply fault
	// it is the code the client never saw, and "" when nothing was answered.
	Code string `json:"code,omitempty"`
	// HTTPStatus is the status written; 0 for a reset or hang.
	HTTPStatus int `json:"http_status"`
	// Fault is the fault injected, FaultNone if none.
	Fault FaultKind `json:"fault"`
}

// inspector records what the fake saw and did.
type inspector struct {
	mu         sync.Mutex
	now        func() time.Time
	keep       int
	requests   []Request
	calls      map[string]int
	creates    map[string]int
	duplicates map[string]int
	queries    map[int64]int
	callbacks  []CallbackDelivery

	verifications []VerificationDelivery
}

func newInspector(cfg Config) *inspector {
	return &inspector{
		now:        cfg.NowFunc,
		keep:       cfg.RequestLogSize,
		calls:      map[string]int{},
		creates:    map[string]int{},
		duplicates: map[string]int{},
		queries:    map[int64]int{},
	}
}

// record logs a request, keeping at most keep of them.
func (in *inspector) record(r Request) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.calls[r.Path]++
	in.requests = append(in.requests, r)
	if len(in.requests) >= 2*in.keep {
		in.requests = slices.Clone(in.requests[len(in.requests)-in.keep:])
	}
}

func (in *inspector) countCreate(thirdPartyID string)    { in.count(in.creates, thirdPartyID) }
func (in *inspector) countDuplicate(thirdPartyID string) { in.count(in.duplicates, thirdPartyID) }

func (in *inspector) count(m map[string]int, key string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	m[key]++
}

func (in *inspector) countQuery(cid int64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.queries[cid]++
}

func (in *inspector) addCallback(d CallbackDelivery) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.callbacks = append(in.callbacks, d)
}

func (in *inspector) addVerification(d VerificationDelivery) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.verifications = append(in.verifications, d)
}

func (in *inspector) read(f func(*inspector)) {
	in.mu.Lock()
	defer in.mu.Unlock()
	f(in)
}

// Requests returns a copy of the API calls received, oldest first (at most
// Config.RequestLogSize of the latest).
func (s *Server) Requests() []Request {
	var out []Request
	s.log.read(func(in *inspector) {
		out = make([]Request, 0, min(len(in.requests), in.keep))
		for _, r := range in.requests[max(0, len(in.requests)-in.keep):] {
			r.Fields = maps.Clone(r.Fields)
			out = append(out, r)
		}
	})
	return out
}

// RequestsTo returns the Requests made to one path.
func (s *Server) RequestsTo(path string) []Request {
	return slices.DeleteFunc(s.Requests(), func(r Request) bool { return r.Path != path })
}

// Calls returns how many calls one path received, faults included.
func (s *Server) Calls(path string) int {
	var n int
	s.log.read(func(in *inspector) { n = in.calls[path] })
	return n
}

// Creates returns how many creates with thirdPartyID were accepted (0 or 1).
func (s *Server) Creates(thirdPartyID string) int {
	var n int
	s.log.read(func(in *inspector) { n = in.creates[thirdPartyID] })
	return n
}

// Duplicates returns how many creates with thirdPartyID were refused with
// E0009.
func (s *Server) Duplicates(thirdPartyID string) int {
	var n int
	s.log.read(func(in *inspector) { n = in.duplicates[thirdPartyID] })
	return n
}

// Queries returns how many status queries were answered for cid.
func (s *Server) Queries(cid int64) int {
	var n int
	s.log.read(func(in *inspector) { n = in.queries[cid] })
	return n
}

// Callbacks returns a copy of the callbacks sent, in the order their
// answers came.
func (s *Server) Callbacks() []CallbackDelivery {
	var out []CallbackDelivery
	s.log.read(func(in *inspector) {
		out = make([]CallbackDelivery, 0, len(in.callbacks))
		for _, d := range in.callbacks {
			d.Fields = maps.Clone(d.Fields)
			out = append(out, d)
		}
	})
	return out
}

// CallbacksFor returns the Callbacks sent for cid.
func (s *Server) CallbacksFor(cid int64) []CallbackDelivery {
	return slices.DeleteFunc(s.Callbacks(), func(d CallbackDelivery) bool { return d.CID != cid })
}

// Rate returns the API calls per second over the window ending now (by
// Config.NowFunc), counting the calls Requests still holds.
func (s *Server) Rate(window time.Duration) float64 {
	if window <= 0 {
		return 0
	}
	var n int
	s.log.read(func(in *inspector) {
		since := in.now().Add(-window)
		oldest := max(0, len(in.requests)-in.keep)
		for i := len(in.requests) - 1; i >= oldest && in.requests[i].Time.After(since); i-- {
			n++
		}
	})
	return float64(n) / window.Seconds()
}

// Payouts returns a snapshot of every payout, by cid, each moved along to
// now.
func (s *Server) Payouts() []Payout {
	out, jobs := s.ledger.observeAll(s.now())
	s.dispatch(jobs)
	return out
}

// Payout returns a snapshot of the payout with cid, moved along to now.
func (s *Server) Payout(cid int64) (Payout, bool) { return s.observe(cid) }

// PayoutByThirdPartyID returns a snapshot of the payout created with
// thirdPartyID.
func (s *Server) PayoutByThirdPartyID(thirdPartyID string) (Payout, bool) {
	cid, ok := s.ledger.cidOf(thirdPartyID)
	if !ok {
		return Payout{}, false
	}
	return s.observe(cid)
}

// SetFate scripts the terminal status of the payout created with
// thirdPartyID, taking precedence over address markers. Call it before the
// create; on an existing payout that is not terminal, it heads for status
// from where it is. A non-terminal status holds the payout there. A status
// the payout can no longer reach in Cregis's order (4 or 3 once it left 0, 2
// once it left 5, an earlier status) holds it where it is; SetStatus forces
// any status.
func (s *Server) SetFate(thirdPartyID string, status cregis.Status) {
	if s.ledger.setFate(thirdPartyID, status, s.now()) {
		s.startSweeper()
	}
}

// SetStatus forces the status of the payout with cid now, sending the
// callback it calls for. A non-terminal status pins the payout there until
// forced again; a terminal one is final, unless forced again (which Cregis
// never does: use it to test that terminal states never change downstream).
func (s *Server) SetStatus(cid int64, status cregis.Status) error {
	jobs, err := s.ledger.force(cid, status, s.now())
	s.dispatch(jobs)
	return err
}

// MarkAddressInvalid makes the fake refuse addr with E0008 and answer
// false for it at /api/v1/address/legal.
func (s *Server) MarkAddressInvalid(addr string) { s.ledger.markInvalid(addr) }
