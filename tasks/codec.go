package tasks

import (
	"bytes"
	stdjson "encoding/json"

	"fmt"
	json "github.com/segmentio/encoding/json"
	"slices"
	"time"

	"github.com/payoutd/payoutd/cregis"
)

// The stored encoding of a record (the value of payout:{id}) is private to
// the store and separate from the Record's JSON, which the HTTP API returns
// with every field present. It is compact JSON, written and read by
// encoding/json through storedRecord:
//
//   - it starts with the format marker {"v":2, so that decodeStored tells it
//     from the plain Record JSON that earlier versions stored (still read);
//   - empty fields (zero numbers, empty strings, false, nil, empty lists) are
//     left out, and so is a history entry's "from" when it is the previous
//     entry's "to";
//   - times are Unix milliseconds (the store's clock is truncated to the
//     millisecond, so a record reads back equal to what was written); the
//     zero time is left out, and 0 reads back as the zero time;
//   - keys are short but readable (storedRecord lists them);
//   - metadata is kept as json.Marshal keeps a json.RawMessage: compacted,
//     with <, >, & escaped as in HTML.
//
// The history is stored under "history" with times as numbers on purpose: a
// binary from before the format, which decodes the plain Record JSON, fails
// on such a value instead of reading it as a record without its fields.
//
// Nothing but this file reads or writes it.
const storedFormat = 2

// storedMarker starts every value in the stored format, the format number
// following it.
var storedMarker = []byte(`{"v":`)

// storedRecord is a Record as stored.
type storedRecord struct {
	V             int                `json:"v"`
	ThirdPartyID  string             `json:"id,omitempty"`
	Currency      string             `json:"cur,omitempty"`
	ToAddress     string             `json:"to,omitempty"`
	Amount        string             `json:"amt,omitempty"`
	Memo          string             `json:"memo,omitempty"`
	Remark        string             `json:"remark,omitempty"`
	WalletID      int64              `json:"wallet,omitempty"`
	FromAddress   string             `json:"from,omitempty"`
	Source        Source             `json:"src,omitempty"`
	NotifyURL     string             `json:"notify,omitempty"`
	Metadata      stdjson.RawMessage `json:"meta,omitempty"`
	State         State              `json:"state,omitempty"`
	CID           string             `json:"cid,omitempty"`
	CregisStatus  *cregis.Status     `json:"cstatus,omitempty"`
	TxID          string             `json:"txid,omitempty"`
	BlockHeight   string             `json:"height,omitempty"`
	BlockTime     int64              `json:"btime,omitempty"`
	Attempts      int                `json:"attempts,omitempty"`
	LastError     string             `json:"err,omitempty"`
	QueryEndpoint string             `json:"qe,omitempty"`
	PollSeq       int64              `json:"poll,omitempty"`
	Stuck         bool               `json:"stuck,omitempty"`
	Hints         []storedHint       `json:"hints,omitempty"`
	CreatedAt     int64              `json:"created,omitempty"`
	UpdatedAt     int64              `json:"updated,omitempty"`
	Version       int64              `json:"ver,omitempty"`
	History       []storedHistory    `json:"history,omitempty"`
}

// storedHint is a Hint as stored.
type storedHint struct {
	CID          string         `json:"cid,omitempty"`
	Source       string         `json:"src,omitempty"`
	Status       *cregis.Status `json:"status,omitempty"`
	At           int64          `json:"at,omitempty"`
	NotFound     int            `json:"nf,omitempty"`
	Contradicted bool           `json:"contra,omitempty"`
}

// storedHistory is a Transition as stored. From is left out (nil) when it
// is the previous entry's To, as it is for every transition the store
// records, or "" for the first entry.
type storedHistory struct {
	At     int64  `json:"at,omitempty"`
	From   *State `json:"from,omitempty"`
	To     State  `json:"to,omitempty"`
	Reason string `json:"why,omitempty"`
}

// impliedFrom is the From a history entry at i has when it is left out.
func impliedFrom(history []Transition, i int) State {
	if i == 0 {
		return ""
	}
	return history[i-1].To
}

// decodeStored decodes a record in either format: the stored format, or the
// plain Record JSON of records written before it.
func decodeStored(raw []byte) (*Record, error) {
	if !bytes.HasPrefix(raw, storedMarker) {
		var r Record
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, err
		}
		return &r, nil
	}
	var s storedRecord
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	if s.V != storedFormat {
		return nil, fmt.Errorf("unknown record format %d", s.V)
	}
	return s.record(), nil
}

// encodeRecord returns r in the stored format. It panics if r's metadata is
// not JSON (Create refuses such a request).
func encodeRecord(r *Record) []byte {
	b, err := json.Marshal(stored(r))
	if err != nil {
		panic(fmt.Sprintf("tasks: encode record %s: %v", r.ThirdPartyID, err))
	}
	return b
}

// stored is r as stored.
func stored(r *Record) *storedRecord {
	q := &r.Request
	s := &storedRecord{V: storedFormat,
		ThirdPartyID: q.ThirdPartyID, Currency: q.Currency, ToAddress: q.ToAddress, Amount: q.Amount,
		Memo: q.Memo, Remark: q.Remark, WalletID: int64(q.WalletID), FromAddress: q.FromAddress,
		Source: q.Source, NotifyURL: q.NotifyURL, Metadata: q.Metadata,
		State: r.State, CID: r.CID, CregisStatus: r.CregisStatus, TxID: r.TxID, BlockHeight: r.BlockHeight,
		BlockTime: r.BlockTime, Attempts: r.Attempts, LastError: r.LastError, QueryEndpoint: r.QueryEndpoint,
		PollSeq: r.PollSeq, Stuck: r.Stuck, CreatedAt: unixMS(r.CreatedAt), UpdatedAt: unixMS(r.UpdatedAt),
		Version: r.Version}
	if len(r.Hints) > 0 {
		s.Hints = make([]storedHint, len(r.Hints))
	}
	for i, h := range r.Hints {
		s.Hints[i] = storedHint{CID: h.CID, Source: h.Source, Status: h.Status, At: unixMS(h.At),
			NotFound: h.NotFound, Contradicted: h.Contradicted}
	}
	if len(r.History) > 0 {
		s.History = make([]storedHistory, len(r.History))
	}
	for i, t := range r.History {
		s.History[i] = storedHistory{At: unixMS(t.At), To: t.To, Reason: t.Reason}
		if t.From != impliedFrom(r.History, i) {
			s.History[i].From = &r.History[i].From
		}
	}
	return s
}

// record is s as a Record.
func (s *storedRecord) record() *Record {
	r := &Record{
		Request: Request{ThirdPartyID: s.ThirdPartyID, Currency: s.Currency, ToAddress: s.ToAddress,
			Amount: s.Amount, Memo: s.Memo, Remark: s.Remark, WalletID: Int64String(s.WalletID),
			FromAddress: s.FromAddress, Source: s.Source, NotifyURL: s.NotifyURL, Metadata: s.Metadata},
		State: s.State, CID: s.CID, CregisStatus: s.CregisStatus, TxID: s.TxID, BlockHeight: s.BlockHeight,
		BlockTime: s.BlockTime, Attempts: s.Attempts, LastError: s.LastError, QueryEndpoint: s.QueryEndpoint,
		PollSeq: s.PollSeq, Stuck: s.Stuck, CreatedAt: fromUnixMS(s.CreatedAt), UpdatedAt: fromUnixMS(s.UpdatedAt),
		Version: s.Version,
	}
	if len(s.Hints) > 0 {
		r.Hints = make([]Hint, len(s.Hints))
	}
	for i, h := range s.Hints {
		r.Hints[i] = Hint{CID: h.CID, Source: h.Source, Status: h.Status, At: fromUnixMS(h.At),
			NotFound: h.NotFound, Contradicted: h.Contradicted}
	}
	if len(s.History) > 0 {
		r.History = make([]Transition, len(s.History))
	}
	for i, t := range s.History {
		r.History[i] = Transition{At: fromUnixMS(t.At), From: impliedFrom(r.History, i), To: t.To, Reason: t.Reason}
		if t.From != nil {
			r.History[i].From = *t.From
		}
	}
	return r
}

// unixMS is t as stored: Unix milliseconds, 0 for the zero time.
func unixMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromUnixMS is the time stored as ms (see unixMS), in UTC.
func fromUnixMS(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// equalRecord reports whether writing b over a would change nothing: the
// same request (equalRequest) and every other field the same as stored
// (times to the millisecond, a nil list like an empty one).
func equalRecord(a, b *Record) bool {
	return equalRequest(&a.Request, &b.Request) && a.State == b.State && a.CID == b.CID &&
		equalStatus(a.CregisStatus, b.CregisStatus) && a.TxID == b.TxID &&
		a.BlockHeight == b.BlockHeight && a.BlockTime == b.BlockTime && a.Attempts == b.Attempts &&
		a.LastError == b.LastError && a.QueryEndpoint == b.QueryEndpoint && a.PollSeq == b.PollSeq &&
		a.Stuck == b.Stuck && slices.EqualFunc(a.Hints, b.Hints, equalHint) &&
		unixMS(a.CreatedAt) == unixMS(b.CreatedAt) && unixMS(a.UpdatedAt) == unixMS(b.UpdatedAt) &&
		a.Version == b.Version && slices.EqualFunc(a.History, b.History, equalTransition)
}

// equalRequest reports whether a and b are the same request, field by field
// and byte for byte (metadata too, and a nil metadata is not an empty one).
// It is not sameRequest, which compares canonical forms.
func equalRequest(a, b *Request) bool {
	return a.ThirdPartyID == b.ThirdPartyID && a.Currency == b.Currency && a.ToAddress == b.ToAddress &&
		a.Amount == b.Amount && a.Memo == b.Memo && a.Remark == b.Remark && a.WalletID == b.WalletID &&
		a.FromAddress == b.FromAddress && a.Source == b.Source && a.NotifyURL == b.NotifyURL &&
		(a.Metadata == nil) == (b.Metadata == nil) && bytes.Equal(a.Metadata, b.Metadata)
}

func equalHint(a, b Hint) bool {
	return a.CID == b.CID && a.Source == b.Source && equalStatus(a.Status, b.Status) &&
		unixMS(a.At) == unixMS(b.At) && a.NotFound == b.NotFound && a.Contradicted == b.Contradicted
}

func equalTransition(a, b Transition) bool {
	return unixMS(a.At) == unixMS(b.At) && a.From == b.From && a.To == b.To && a.Reason == b.Reason
}

func equalStatus(a, b *cregis.Status) bool {
	return a == b || a != nil && b != nil && *a == *b
}

// clone returns a deep copy of r: nothing of it aliases r.
func (r *Record) clone() *Record {
	c := *r
	c.Metadata = slices.Clone(r.Metadata)
	c.CregisStatus = cloneStatus(r.CregisStatus)
	c.History = slices.Clone(r.History)
	if r.Hints != nil {
		c.Hints = make([]Hint, len(r.Hints))
	}
	for i, h := range r.Hints {
		h.Status = cloneStatus(h.Status)
		c.Hints[i] = h
	}
	return &c
}

func cloneStatus(s *cregis.Status) *cregis.Status {
	if s == nil {
		return nil
	}
	v := *s
	return &v
}

// roundHintTimes rounds the hints' times as storing them does (History and
// UpdatedAt come from the store's clock, which is at the millisecond
// already), so that r is what reads back.
func (r *Record) roundHintTimes() {
	for i := range r.Hints {
		r.Hints[i].At = fromUnixMS(unixMS(r.Hints[i].At))
	}
}
