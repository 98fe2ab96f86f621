package cregistest

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/payoutd/payoutd/cregis"
)

// firstBlockHeight is where the fake chain's block heights start.
const firstBlockHeight = 34527604

// ledger holds the payouts and the scripting of their fates.
type ledger struct {
	mu        sync.Mutex
	pid       int64
	dwell     Dwell
	callbacks bool // send callbacks on reaching 2, 4, 6, 7
	lastCID   int64
	height    int64
	byCID     map[int64]*payout
	byID      map[string]*payout // by third_party_id
	inflight  map[int64]*payout  // pending(): moved along by the sweeper
	fates     map[string]cregis.Status
	invalid   map[string]bool
	sweeping  bool // a sweeper goroutine is running
}

func newLedger(cfg Config) *ledger {
	return &ledger{
		pid:       cfg.PID,
		dwell:     cfg.Dwell,
		callbacks: !cfg.DisableCallbacks,
		lastCID:   1<<53 + rand.Int64N(1<<40),
		height:    firstBlockHeight,
		byCID:     map[int64]*payout{},
		byID:      map[string]*payout{},
		inflight:  map[int64]*payout{},
		fates:     map[string]cregis.Status{},
		invalid:   map[string]bool{},
	}
}

// callbackJob is a callback to send: its URL and fields less nonce,
// timestamp and sign.
type callbackJob struct {
	cid    int64
	url    string
	status cregis.Status
	fields map[string]any
}

// create records a payout unless its third_party_id is taken, and reports
// whether the sweeper must be started. With verify it waits in status 0 for
// a verification verdict.
func (l *ledger) create(req createRequest, coin cregis.Coin, now time.Time, verify bool) (cid int64, startSweep, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, dup := l.byID[req.thirdPartyID]; dup {
		return 0, false, false
	}
	l.lastCID += 1 + rand.Int64N(1<<12)
	p := l.newPayout(l.lastCID, req, coin, now)
	if verify {
		p.Verification = VerificationPending
	}
	l.byCID[p.CID], l.byID[p.ThirdPartyID] = p, p
	return p.CID, l.track(p), true
}

func (l *ledger) newPayout(cid int64, req createRequest, coin cregis.Coin, now time.Time) *payout {
	fate, scripted := l.fates[req.thirdPartyID]
	if !scripted {
		fate = fateFromAddress(req.toAddress)
	}
	from := req.fromAddress
	if from == "" {
		from = defaultFromAddress(coin.ChainID)
	}
	return &payout{
		Payout: Payout{
			CID: cid, Path: req.path, WalletID: req.walletID, Currency: req.currency,
			ChainID: coin.ChainID, TokenID: coin.TokenID, CoinName: coin.CoinName,
			FromAddress: from, ToAddress: req.toAddress, Amount: req.amount,
			ThirdPartyID: req.thirdPartyID, Remark: req.remark, Memo: req.memo,
			CallbackURL: req.callbackURL, Status: cregis.StatusPendingApproval, Fate: fate,
			CreatedAt: now, History: []StatusChange{{Status: cregis.StatusPendingApproval, At: now}},
			Foreign: req.foreign,
		},
		since:    now,
		notified: map[cregis.Status]bool{},
	}
}

// track adds p to the sweeper's set if it must move on by itself, and
// reports whether the sweeper must be started. l.mu is held.
func (l *ledger) track(p *payout) (startSweep bool) {
	if !l.callbacks || !p.pending() {
		delete(l.inflight, p.CID)
		return false
	}
	l.inflight[p.CID] = p
	if l.sweeping {
		return false
	}
	l.sweeping = true
	return true
}

// settle moves p along up to now and returns the callback it calls for, if
// any. l.mu is held.
func (l *ledger) settle(p *payout, now time.Time) []callbackJob {
	l.advance(p, now)
	if !l.callbacks || !p.due() {
		return nil
	}
	p.notified[p.Status] = true
	return []callbackJob{{cid: p.CID, url: p.CallbackURL, status: p.Status, fields: p.callbackFields(l.pid)}}
}

// observe settles and returns the payout with cid.
func (l *ledger) observe(cid int64, now time.Time) (Payout, []callbackJob, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.byCID[cid]
	if !ok {
		return Payout{}, nil, false
	}
	jobs := l.settle(p, now)
	return p.snapshot(), jobs, true
}

// observeAll settles and returns every payout, by cid.
func (l *ledger) observeAll(now time.Time) ([]Payout, []callbackJob) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var jobs []callbackJob
	out := make([]Payout, 0, len(l.byCID))
	for _, p := range l.byCID {
		jobs = append(jobs, l.settle(p, now)...)
		out = append(out, p.snapshot())
	}
	slices.SortFunc(out, func(a, b Payout) int { return cmp.Compare(a.CID, b.CID) })
	return out, jobs
}

// sweep settles the payouts in flight. When none is left it marks the
// sweeper stopped and reports more as false.
func (l *ledger) sweep(now time.Time) (jobs []callbackJob, more bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for cid, p := range l.inflight {
		jobs = append(jobs, l.settle(p, now)...)
		if !p.pending() {
			delete(l.inflight, cid)
		}
	}
	l.sweeping = len(l.inflight) > 0
	return jobs, l.sweeping
}

// force sets a payout's status now. A non-terminal status pins it there.
func (l *ledger) force(cid int64, status cregis.Status, now time.Time) ([]callbackJob, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.byCID[cid]
	if !ok {
		return nil, fmt.Errorf("cregistest: no payout with cid %d", cid)
	}
	l.advance(p, now)
	l.enter(p, status, now)
	p.Fate, p.Pinned = status, !status.Terminal()
	if p.awaiting() {
		p.Verification = VerificationForced
	}
	l.track(p)
	return l.settle(p, now), nil
}

// decide applies a verification verdict to a payout still awaiting one:
// approve starts its dwell in status 0 now, deny ends it in status 4. It
// returns the callback called for, whether the sweeper must be started, and
// false if the payout no longer awaited a verdict.
func (l *ledger) decide(cid int64, approve bool, now time.Time) (jobs []callbackJob, startSweep, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, found := l.byCID[cid]
	if !found || !p.awaiting() {
		return nil, false, false
	}
	if approve {
		p.Verification, p.since = VerificationApproved, now
	} else {
		p.Verification, p.Fate = VerificationDenied, cregis.StatusReviewRejected
		l.enter(p, cregis.StatusReviewRejected, now)
	}
	startSweep = l.track(p)
	return l.settle(p, now), startSweep, true
}

// verificationFields returns the verification request of a payout that
// awaits a verdict, less nonce, timestamp and sign.
func (l *ledger) verificationFields(cid int64) (map[string]any, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.byCID[cid]
	if !ok || !p.awaiting() {
		return nil, false
	}
	return p.verificationFields(l.pid), true
}

// setFate scripts the fate of the payout with a third_party_id, before or
// after its creation, and reports whether the sweeper must be started.
func (l *ledger) setFate(thirdPartyID string, fate cregis.Status, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fates[thirdPartyID] = fate
	p, ok := l.byID[thirdPartyID]
	if !ok || p.Pinned || p.Status.Terminal() {
		return false
	}
	l.advance(p, now)
	p.Fate = fate
	return l.track(p)
}

// cidOf returns the cid of a third_party_id.
func (l *ledger) cidOf(thirdPartyID string) (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.byID[thirdPartyID]
	if !ok {
		return 0, false
	}
	return p.CID, true
}

func (l *ledger) markInvalid(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.invalid[addr] = true
}

func (l *ledger) invalidAddress(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.invalid[addr]
}
