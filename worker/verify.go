package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/tasks"
	"github.com/redis/go-redis/v9"
)

// Verification decisions.
const (
	// verificationTTL is how long a decision is kept, so that a repeat of a
	// request gets the same answer.
	verificationTTL = 90 * 24 * time.Hour
	// maxVerificationCIDs bounds the decisions kept for one third_party_id:
	// whoever holds the API key can sign requests.
	maxVerificationCIDs = 64
)

// Verify answers a Cregis Payout External Verification request:
// cregis.VerificationApprove ("ok") or cregis.VerificationDeny ("deny").
//
// It decides from the record alone, without calling Cregis: "ok" only when
// a record with the request's third_party_id is submitting, submitted or
// unconfirmed, has no cid or this cid, and matches the currency
// (chain_id@token_id), recipient (EVM hex case-insensitively), amount (as a
// decimal), memo, and from_address when the record has one. The decision is
// persisted, keyed by the cid and a digest of the request's fields, before
// it is answered: an identical repeat gets the same answer, also after the
// payout has moved on; the same cid with other fields, and a second cid for
// a third_party_id that got "ok", get "deny". A request about a payout
// payoutd does not have is denied and not persisted (it must not block a
// payout created later). Every deny is an error line and counted.
//
// An "ok" also records the cid as a hint (confirmed by a query before it
// is bound, see HandleConfirm): a payout whose create answer was lost
// learns its cid within seconds. The decision and the hint are durable
// (with tasks.StoreConfig.MinReplicas: confirmed by the replicas) before an
// answer is returned; an error means no answer (Cregis asks again).
func (p *Pipeline) Verify(ctx context.Context, v *cregis.Verification) (string, error) {
	cid := strconv.FormatInt(v.CID, 10)
	rec, err := p.cfg.Store.Get(ctx, v.ThirdPartyID)
	if errors.Is(err, tasks.ErrNotFound) {
		return p.deny(v, "payoutd has no payout with this third_party_id"), nil
	}
	if err != nil {
		return "", err
	}
	why := verificationMismatch(rec, v, cid)
	answer, why, err := p.decide(ctx, v, cid, why)
	if err != nil {
		return "", err
	}
	if answer == cregis.VerificationApprove {
		err = p.verifiedHint(ctx, rec, cid)
	}
	if err == nil {
		err = p.cfg.Store.Sync(ctx, v.ThirdPartyID) // the decision, confirmed by the replicas before it is told
	}
	if err != nil {
		return "", err
	}
	if answer == cregis.VerificationDeny {
		return p.deny(v, why), nil
	}
	p.countVerification(cregis.VerificationApprove)
	return answer, nil
}

// verifiedHint records an approved request's cid as a hint, unless the
// record already holds it or has moved on.
func (p *Pipeline) verifiedHint(ctx context.Context, rec *tasks.Record, cid string) error {
	if rec.CID == cid {
		return nil
	}
	h := tasks.Hint{CID: cid, Source: tasks.HintVerification, At: p.now().UTC()}
	_, err := p.recordHint(ctx, rec.ThirdPartyID, h, 0)
	var te *tasks.TransitionError
	if errors.As(err, &te) || errors.Is(err, ErrCIDMismatch) {
		return nil // settled meanwhile, or it got its cid: the persisted answer stands
	}
	return err
}

// verificationMismatch says why rec does not approve the request, or "".
func verificationMismatch(rec *tasks.Record, v *cregis.Verification, cid string) string {
	switch {
	case rec.State != tasks.StateSubmitting && rec.State != tasks.StateSubmitted && rec.State != tasks.StateUnconfirmed:
		return "the payout is " + string(rec.State)
	case rec.CID != "" && rec.CID != cid:
		return "the payout has cid " + rec.CID
	case rec.Contradicted(cid):
		return "a status query showed this cid is another payout"
	case !sameCurrency(rec.Currency, v.ChainID, v.TokenID, ""):
		return fmt.Sprintf("currency %s, want %s", v.Currency(), rec.Currency)
	case !cregis.SameAddress(v.ToAddress, rec.ToAddress):
		return fmt.Sprintf("to_address %q, want %q", v.ToAddress, rec.ToAddress)
	case !cregis.SameAmount(v.Amount, rec.Amount):
		return fmt.Sprintf("amount %q, want %q", v.Amount, rec.Amount)
	case v.Memo != rec.Memo:
		return fmt.Sprintf("memo %q, want %q", v.Memo, rec.Memo)
	case rec.FromAddress != "" && !cregis.SameAddress(v.FromAddress, rec.FromAddress):
		return fmt.Sprintf("from_address %q, want %q", v.FromAddress, rec.FromAddress)
	}
	return ""
}

// decideScript persists a verification decision. KEYS[1] is the payout's
// decisions hash (cid -> "<answer>:<digest>"); ARGV: cid, digest, the
// proposed answer, the TTL in ms, the most cids kept. It returns the answer
// and why: "new", "repeat", "other_fields" (this cid was decided for other
// fields), "second_cid" (another cid got ok) or "full".
var decideScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
	local sep = string.find(cur, ':', 1, true)
	if string.sub(cur, sep + 1) == ARGV[2] then return {string.sub(cur, 1, sep - 1), 'repeat'} end
	return {'deny', 'other_fields'}
end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[5]) then return {'deny', 'full'} end
local answer, why = ARGV[3], 'new'
if answer == 'ok' then
	for _, v in ipairs(redis.call('HVALS', KEYS[1])) do
		if string.sub(v, 1, 3) == 'ok:' then answer, why = 'deny', 'second_cid' end
	end
end
redis.call('HSET', KEYS[1], ARGV[1], answer .. ':' .. ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {answer, why}`)

// decide persists the answer the record gives (mismatch "" is ok) unless a
// decision about this request or payout already stands, and returns the
// answer that stands and, for a deny, why.
func (p *Pipeline) decide(ctx context.Context, v *cregis.Verification, cid, mismatch string) (string, string, error) {
	proposed := cregis.VerificationApprove
	if mismatch != "" {
		proposed = cregis.VerificationDeny
	}
	res, err := decideScript.Run(ctx, p.cfg.Redis, []string{p.verificationKey(v.ThirdPartyID)},
		cid, verificationDigest(v), proposed, verificationTTL.Milliseconds(), maxVerificationCIDs).StringSlice()
	if err != nil {
		return "", "", fmt.Errorf("worker: persist the verification decision: %w", err)
	}
	if len(res) != 2 {
		return "", "", fmt.Errorf("worker: persist the verification decision: unexpected answer %q", res)
	}
	return res[0], decisionWhy(res[1], mismatch), nil
}

func decisionWhy(why, mismatch string) string {
	switch why {
	case "other_fields":
		return "this cid was verified before with other fields"
	case "second_cid":
		return "another cid was already approved for this third_party_id"
	case "full":
		return "too many cids were presented for this third_party_id"
	}
	return mismatch
}

// verificationKey is the key of a payout's verification decisions; it
// shares the record's hash tag.
func (p *Pipeline) verificationKey(id string) string {
	return p.cfg.KeyPrefix + "verify:{" + id + "}"
}

// verificationDigest identifies a request's fields (everything but nonce,
// timestamp and sign, which change on every re-send).
func verificationDigest(v *cregis.Verification) string {
	b, _ := json.Marshal([]any{v.PID, v.CID, v.ThirdPartyID, v.ChainID, v.TokenID, v.FromAddress,
		v.ToAddress, v.Amount, v.Remark, v.Memo})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// deny logs and counts a denied request: a bug, or someone else holding
// the API key.
func (p *Pipeline) deny(v *cregis.Verification, why string) string {
	p.countVerification(cregis.VerificationDeny)
	p.log.Error().Str("third_party_id", v.ThirdPartyID).Int64("cid", v.CID).Str("why", why).
		Str("currency", v.Currency()).Str("to_address", v.ToAddress).Str("amount", v.Amount).
		Msg("verification request denied: a bug, or someone else holds the API key")
	return cregis.VerificationDeny
}
