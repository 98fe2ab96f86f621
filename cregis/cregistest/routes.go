package cregistest

import (
	"io"
	"maps"
	"mime"
	"net/http"
	"time"

	"github.com/payoutd/payoutd/cregis"
)

// routeKind groups endpoints for fault injection.
type routeKind int

const (
	kindOther  routeKind = iota
	kindCreate           // creates a payout: faults before or after applying
	kindQuery            // a status query
)

// route is one endpoint of the API.
type route struct {
	kind   routeKind
	handle func(*call) (any, *apiError)
}

// newRoutes lists the whole API the fake serves, every endpoint POST only.
func (s *Server) newRoutes() map[string]route {
	return map[string]route{
		cregis.PathPayout:                   {kindCreate, s.handleCreate(cregis.PathPayout)},
		cregis.PathSubAddressWithdrawal:     {kindCreate, s.handleCreate(cregis.PathSubAddressWithdrawal)},
		cregis.PathSubAddressWithdrawalInfo: {kindQuery, s.handleQuery(cregis.PathSubAddressWithdrawalInfo)},
		cregis.PathPayoutQuery:              {kindQuery, s.handleQuery(cregis.PathPayoutQuery)},
		cregis.PathAddressLegal:             {kindOther, s.handleAddressLegal},
		cregis.PathCoins:                    {kindOther, s.handleCoins},
		cregis.PathTradePage:                {kindOther, s.handleTradePage},
	}
}

// call is one API request being answered.
type call struct {
	path    string
	at      time.Time
	fields  map[string]any // nil when the body did not decode
	badBody *apiError      // why the body did not decode
}

// serveHTTP answers one request: latency, faults before, the answer (which
// applies a create), faults after, then the envelope.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := s.routes[r.URL.Path]
	if !ok {
		s.extra.ServeHTTP(w, r)
		return
	}
	if !s.gate.enter() {
		closeConn(w)
		return
	}
	defer s.gate.leave()
	c := s.receive(w, r)
	if r.Method != http.MethodPost {
		s.refuseMethod(w, c)
		return
	}
	s.sleep(r.Context(), s.faults.currentLatency())
	if f := s.faults.before(rt.kind); f != FaultNone {
		s.fault(w, r, c, "", f)
		return
	}
	env := s.answer(rt, c)
	if f := s.faults.after(rt.kind); f != FaultNone {
		s.fault(w, r, c, env.Code, f)
		return
	}
	s.log.record(c.request(env.Code, http.StatusOK, FaultNone))
	writeEnvelope(w, env)
}

// receive reads and decodes the body.
func (s *Server) receive(w http.ResponseWriter, r *http.Request) *call {
	c := &call{path: r.URL.Path, at: s.now()}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case err != nil:
		c.badBody = paramError("the body could not be read")
	case mediaType != "application/json":
		c.badBody = paramError("Content-Type must be application/json")
	default:
		c.fields, c.badBody = decodeBody(body)
	}
	return c
}

// answer computes the envelope: an error storm, a bad body, a failed
// verification, or the endpoint's own answer.
func (s *Server) answer(rt route, c *call) envelope {
	if code := s.faults.currentStorm(); code != "" {
		return newEnvelope(nil, fail(code))
	}
	if c.badBody != nil {
		return newEnvelope(nil, c.badBody)
	}
	if e := s.verify(c.fields); e != nil {
		return newEnvelope(nil, e)
	}
	return newEnvelope(rt.handle(c))
}

func (s *Server) refuseMethod(w http.ResponseWriter, c *call) {
	s.log.record(c.request("", http.StatusMethodNotAllowed, FaultNone))
	w.Header().Set("Allow", http.MethodPost)
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
}

// request is the inspection record of c; sign is left out.
func (c *call) request(code string, httpStatus int, f FaultKind) Request {
	fields := maps.Clone(c.fields)
	delete(fields, "sign")
	return Request{Path: c.path, Fields: fields, Time: c.at, Code: code, HTTPStatus: httpStatus, Fault: f}
}
