package cregistest

import (
	"time"

	"github.com/payoutd/payoutd/cregis"
)

// handleCreate answers /api/v2/payout and /api/v1/sub_address_withdrawal:
// the cid of a new payout, or E0009 (data null) for a third_party_id already
// used by either endpoint.
func (s *Server) handleCreate(path string) func(*call) (any, *apiError) {
	return func(c *call) (any, *apiError) {
		req, e := parseCreate(path, c.fields)
		if e != nil {
			return nil, e
		}
		cid, e := s.apply(req, c.at)
		if e != nil {
			return nil, e
		}
		return map[string]any{"cid": cid}, nil
	}
}

// apply validates and records a create, counts it (unless foreign), and
// starts what follows it: the sweeper and the verification request, which
// may reach its receiver before the create's answer reaches the client.
func (s *Server) apply(req createRequest, at time.Time) (int64, *apiError) {
	coin, e := s.validate(req)
	if e != nil {
		return 0, e
	}
	verify := s.verifying()
	cid, startSweep, ok := s.ledger.create(req, coin, at, verify)
	if !ok {
		if !req.foreign {
			s.log.countDuplicate(req.thirdPartyID)
		}
		return 0, fail("E0009")
	}
	if !req.foreign {
		s.log.countCreate(req.thirdPartyID)
	}
	if startSweep {
		s.startSweeper()
	}
	if verify {
		s.startVerification(cid)
	}
	return cid, nil
}

// handleQuery answers a status query by cid, or E0014 for an unknown cid
// or one this endpoint does not answer for (see QueryMode).
func (s *Server) handleQuery(path string) func(*call) (any, *apiError) {
	return func(c *call) (any, *apiError) {
		r := fieldReader{fields: c.fields}
		cid := r.integer("cid", true)
		if r.err != nil {
			return nil, r.err
		}
		p, ok := s.observe(cid)
		if !ok || !s.answersFor(path, p.Path) {
			return nil, fail("E0014")
		}
		s.log.countQuery(cid)
		recipient := "to_address"
		if path == cregis.PathPayoutQuery {
			recipient = "address"
		}
		return p.statusData(s.PID, recipient), nil
	}
}

// answersFor reports whether the query endpoint path answers for a payout
// created at createdBy.
func (s *Server) answersFor(path, createdBy string) bool {
	if createdBy == cregis.PathSubAddressWithdrawal {
		return path == cregis.PathSubAddressWithdrawalInfo
	}
	switch s.cfg.QueryMode {
	case QueryInfoOnly:
		return path == cregis.PathSubAddressWithdrawalInfo
	case QueryPayoutQueryOnly:
		return path == cregis.PathPayoutQuery
	}
	return true
}

// handleAddressLegal answers {result: bool}: false for a chain without
// coins, an address marked invalid, or an obviously invalid one.
func (s *Server) handleAddressLegal(c *call) (any, *apiError) {
	r := fieldReader{fields: c.fields}
	chainID := r.str("chain_id", true)
	addr := r.str("address", true)
	if r.err != nil {
		return nil, r.err
	}
	return map[string]bool{"result": s.coins.hasChain(chainID) && s.addressValid(addr)}, nil
}

// handleCoins lists the coin table as payout_coins and address_coins.
func (s *Server) handleCoins(*call) (any, *apiError) {
	return s.coins.json(), nil
}
