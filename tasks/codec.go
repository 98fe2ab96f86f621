package tasks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/payoutd/payoutd/cregis"
)

// The stored encoding of a record (the value of payout:{id}) is private to
// the store and separate from the Record's JSON, which the HTTP API returns
// with every field present. It is compact JSON:
//
//   - it starts with the format marker {"v":2, so that decodeStored tells it
//     from the plain Record JSON that earlier versions stored (still read);
//   - empty fields (zero numbers, empty strings, false, nil, empty lists) are
//     left out;
//   - times are Unix milliseconds (the store's clock is truncated to the
//     millisecond, so a record reads back equal to what was written); the
//     zero time is left out, and 0 reads back as the zero time;
//   - keys are short but readable (appendRecord lists them), except
//     "history": its entries' "at" is a number, which the Record JSON
//     decoder of earlier versions refuses (a time there is a string), so an
//     older binary fails on a record in this format instead of reading it as
//     an almost empty record and writing that back;
//   - metadata is kept as json.Marshal keeps a json.RawMessage: compacted,
//     with <, >, & escaped as in HTML.
//
// Nothing but this file reads or writes it.
const storedFormat = 2

// storedMarker starts every value in the stored format, the format number
// following it.
var storedMarker = []byte(`{"v":`)

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
	d := decoder{b: raw}
	r, v := d.record()
	if d.err != nil {
		return nil, d.err
	}
	if v != storedFormat {
		return nil, fmt.Errorf("unknown record format %d", v)
	}
	return r, nil
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

// encodeRecord returns r in the stored format, in one allocation for most
// records. It panics if r's metadata is not JSON.
func encodeRecord(r *Record) []byte {
	q := &r.Request
	n := 320 + len(q.ThirdPartyID) + len(q.Currency) + len(q.ToAddress) + len(q.Amount) + len(q.Memo) +
		len(q.Remark) + len(q.FromAddress) + len(q.NotifyURL) + len(q.Metadata) + len(r.LastError) +
		len(r.TxID) + len(r.QueryEndpoint) + 96*len(r.Hints) + 64*len(r.History)
	for i := range r.History {
		n += len(r.History[i].Reason)
	}
	return appendRecord(make([]byte, 0, n), r)
}

// appendRecord appends r in the stored format. It panics if r's metadata is
// not JSON (Create refuses such a request).
func appendRecord(b []byte, r *Record) []byte {
	w := objectWriter{b: append(b, '{')}
	w.int("v", storedFormat)
	w.request(&r.Request)
	w.str("state", string(r.State))
	w.str("cid", r.CID)
	w.status("cstatus", r.CregisStatus)
	w.str("txid", r.TxID)
	w.str("height", r.BlockHeight)
	w.int("btime", r.BlockTime)
	w.int("attempts", int64(r.Attempts))
	w.str("err", r.LastError)
	w.str("qe", r.QueryEndpoint)
	w.int("poll", r.PollSeq)
	w.bool("stuck", r.Stuck)
	w.hints(r.Hints)
	w.time("created", r.CreatedAt)
	w.time("updated", r.UpdatedAt)
	w.int("ver", r.Version)
	w.history(r.History)
	return append(w.b, '}')
}

// objectWriter appends the members of a JSON object, leaving out empty
// values.
type objectWriter struct {
	b    []byte
	more bool // a member was written: the next one needs a comma
}

func (w *objectWriter) key(k string) {
	if w.more {
		w.b = append(w.b, ',')
	}
	w.more = true
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *objectWriter) str(k, v string) {
	if v != "" {
		w.key(k)
		w.b = appendString(w.b, v)
	}
}

func (w *objectWriter) int(k string, v int64) {
	if v != 0 {
		w.key(k)
		w.b = strconv.AppendInt(w.b, v, 10)
	}
}

func (w *objectWriter) bool(k string, v bool) {
	if v {
		w.key(k)
		w.b = append(w.b, "true"...)
	}
}

func (w *objectWriter) time(k string, t time.Time) { w.int(k, unixMS(t)) }

// status writes a Cregis status, 0 included: only nil is empty.
func (w *objectWriter) status(k string, s *cregis.Status) {
	if s != nil {
		w.key(k)
		w.b = strconv.AppendInt(w.b, int64(*s), 10)
	}
}

func (w *objectWriter) request(r *Request) {
	w.str("id", r.ThirdPartyID)
	w.str("cur", r.Currency)
	w.str("to", r.ToAddress)
	w.str("amt", r.Amount)
	w.str("memo", r.Memo)
	w.str("remark", r.Remark)
	w.int("wallet", int64(r.WalletID))
	w.str("from", r.FromAddress)
	w.str("src", string(r.Source))
	w.str("notify", r.NotifyURL)
	if len(r.Metadata) > 0 {
		w.key("meta")
		w.b = appendMetadata(w.b, r.Metadata, r.ThirdPartyID)
	}
}

func (w *objectWriter) hints(hints []Hint) {
	if len(hints) == 0 {
		return
	}
	w.key("hints")
	w.b = append(w.b, '[')
	for i := range hints {
		h := &hints[i]
		if i > 0 {
			w.b = append(w.b, ',')
		}
		o := objectWriter{b: append(w.b, '{')}
		o.str("cid", h.CID)
		o.str("src", h.Source)
		o.status("status", h.Status)
		o.time("at", h.At)
		o.int("nf", int64(h.NotFound))
		o.bool("contra", h.Contradicted)
		w.b = append(o.b, '}')
	}
	w.b = append(w.b, ']')
}

func (w *objectWriter) history(history []Transition) {
	if len(history) == 0 {
		return
	}
	w.key("history")
	w.b = append(w.b, '[')
	for i := range history {
		t := &history[i]
		if i > 0 {
			w.b = append(w.b, ',')
		}
		o := objectWriter{b: append(w.b, '{')}
		o.time("at", t.At)
		o.str("from", string(t.From))
		o.str("to", string(t.To))
		o.str("why", t.Reason)
		w.b = append(o.b, '}')
	}
	w.b = append(w.b, ']')
}

// appendMetadata appends m as json.Marshal writes a json.RawMessage:
// compacted, with <, >, &, U+2028 and U+2029 escaped. It panics if m is not
// JSON.
func appendMetadata(b []byte, m json.RawMessage, id string) []byte {
	d := decoder{b: m}
	d.skip()
	if d.ws(); d.err != nil || d.i < len(m) {
		panic(fmt.Sprintf("tasks: encode record %s: metadata is not JSON", id))
	}
	inString := false
	for i := 0; i < len(m); i++ {
		switch c := m[i]; {
		case inString && c == '\\':
			b = append(b, c, m[i+1]) // an escape is copied as is
			i++
		case c == '"':
			inString = !inString
			b = append(b, c)
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
		case c == '<' || c == '>' || c == '&':
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		case c == 0xe2 && i+2 < len(m) && m[i+1] == 0x80 && m[i+2]&^1 == 0xa8: // U+2028, U+2029
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[m[i+2]&0xf])
			i += 2
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// with encoding/json.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = appendEscape(append(b, s[start:i]...), c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(append(b, s[start:i]...), `\ufffd`...)
			start = i + size
		}
		i += size
	}
	return append(append(b, s[start:]...), '"')
}

// hexDigits are the digits of a \u escape.
const hexDigits = "0123456789abcdef"

// appendEscape appends the JSON escape of the ASCII byte c.
func appendEscape(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
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

// maxDepth bounds the nesting of a skipped value, as encoding/json does.
const maxDepth = 10000

// decoder reads the stored format: a JSON object with the keys appendRecord
// writes. It accepts what encoding/json would accept for them: whitespace
// between tokens, null for an empty value, unknown keys (skipped, but
// checked to be JSON). Keys match exactly. The first error sticks: every
// read after it returns a zero value.
type decoder struct {
	b     []byte
	i     int
	depth int
	err   error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("invalid stored record at byte %d: %s", d.i, what)
	}
	d.i = len(d.b)
}

// record reads the whole value: the record and its format number.
func (d *decoder) record() (*Record, int64) {
	r := &Record{}
	var v int64
	d.object(func(key []byte) {
		if string(key) == "v" {
			v = d.int()
		} else if !d.requestField(&r.Request, key) {
			d.recordField(r, key)
		}
	})
	if d.ws(); d.i < len(d.b) {
		d.fail("data after the record")
	}
	return r, v
}

// requestField reads the value of key into r if key is a Request field.
func (d *decoder) requestField(r *Request, key []byte) bool {
	switch string(key) {
	case "id":
		r.ThirdPartyID = d.str()
	case "cur":
		r.Currency = d.str()
	case "to":
		r.ToAddress = d.str()
	case "amt":
		r.Amount = d.str()
	case "memo":
		r.Memo = d.str()
	case "remark":
		r.Remark = d.str()
	case "wallet":
		r.WalletID = Int64String(d.int())
	case "from":
		r.FromAddress = d.str()
	case "src":
		r.Source = Source(d.str())
	case "notify":
		r.NotifyURL = d.str()
	case "meta":
		r.Metadata = d.raw()
	default:
		return false
	}
	return true
}

// recordField reads the value of key into r; an unknown key's value is
// skipped.
func (d *decoder) recordField(r *Record, key []byte) {
	switch string(key) {
	case "state":
		r.State = State(d.name())
	case "cid":
		r.CID = d.str()
	case "cstatus":
		r.CregisStatus = d.status()
	case "txid":
		r.TxID = d.str()
	case "height":
		r.BlockHeight = d.str()
	case "btime":
		r.BlockTime = d.int()
	case "attempts":
		r.Attempts = int(d.int())
	case "err":
		r.LastError = d.str()
	case "qe":
		r.QueryEndpoint = d.name()
	case "poll":
		r.PollSeq = d.int()
	case "stuck":
		r.Stuck = d.bool()
	case "hints":
		r.Hints = d.hints()
	case "created":
		r.CreatedAt = fromUnixMS(d.int())
	case "updated":
		r.UpdatedAt = fromUnixMS(d.int())
	case "ver":
		r.Version = d.int()
	case "history":
		r.History = d.history()
	default:
		d.skip()
	}
}

func (d *decoder) hints() []Hint {
	var hints []Hint
	d.array(func() {
		var h Hint
		d.object(func(key []byte) { d.hintField(&h, key) })
		hints = append(hints, h)
	})
	return hints
}

func (d *decoder) hintField(h *Hint, key []byte) {
	switch string(key) {
	case "cid":
		h.CID = d.str()
	case "src":
		h.Source = d.name()
	case "status":
		h.Status = d.status()
	case "at":
		h.At = fromUnixMS(d.int())
	case "nf":
		h.NotFound = int(d.int())
	case "contra":
		h.Contradicted = d.bool()
	default:
		d.skip()
	}
}

func (d *decoder) history() []Transition {
	var history []Transition
	d.array(func() {
		var t Transition
		d.object(func(key []byte) { d.transitionField(&t, key) })
		if history == nil {
			history = make([]Transition, 0, 4) // most records have 3 to 5
		}
		history = append(history, t)
	})
	return history
}

func (d *decoder) transitionField(t *Transition, key []byte) {
	switch string(key) {
	case "at":
		t.At = fromUnixMS(d.int())
	case "from":
		t.From = State(d.name())
	case "to":
		t.To = State(d.name())
	case "why":
		t.Reason = d.str()
	default:
		d.skip()
	}
}

// ws skips whitespace.
func (d *decoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek returns the next byte after whitespace, 0 at the end.
func (d *decoder) peek() byte {
	if d.ws(); d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// null consumes a null and reports whether there was one.
func (d *decoder) null() bool {
	if d.peek() == 'n' {
		d.literal("null")
		return true
	}
	return false
}

func (d *decoder) literal(lit string) {
	if string(d.b[d.i:min(d.i+len(lit), len(d.b))]) != lit {
		d.fail("invalid literal")
		return
	}
	d.i += len(lit)
}

func (d *decoder) consume(c byte) bool {
	if d.peek() != c {
		return false
	}
	d.i++
	return true
}

func (d *decoder) nest() bool {
	if d.depth++; d.depth > maxDepth {
		d.fail("nested too deep")
		return false
	}
	return true
}

// object reads an object (or null), calling member for each key with the
// reader at the key's value, which member must read.
func (d *decoder) object(member func(key []byte)) {
	if d.null() {
		return
	}
	if !d.consume('{') {
		d.fail("want an object")
		return
	}
	if !d.nest() || d.consume('}') {
		d.depth--
		return
	}
	for d.err == nil {
		key := d.key()
		if !d.consume(':') {
			d.fail("want ':'")
		}
		member(key)
		if d.consume('}') {
			break
		}
		if !d.consume(',') {
			d.fail("want ',' or '}'")
		}
	}
	d.depth--
}

// array reads an array (or null), calling elem with the reader at each
// element, which elem must read.
func (d *decoder) array(elem func()) {
	if d.null() {
		return
	}
	if !d.consume('[') {
		d.fail("want an array")
		return
	}
	if !d.nest() || d.consume(']') {
		d.depth--
		return
	}
	for d.err == nil {
		elem()
		if d.consume(']') {
			break
		}
		if !d.consume(',') {
			d.fail("want ',' or ']'")
		}
	}
	d.depth--
}

// skip reads any JSON value and drops it.
func (d *decoder) skip() {
	switch c := d.peek(); {
	case c == '{':
		d.object(func([]byte) { d.skip() })
	case c == '[':
		d.array(d.skip)
	case c == '"':
		d.quoted()
	case c == 't':
		d.literal("true")
	case c == 'f':
		d.literal("false")
	case c == 'n':
		d.literal("null")
	case c == '-' || isDigit(c):
		d.number()
	default:
		d.fail("want a value")
	}
}

// raw reads any JSON value and returns a copy of its bytes.
func (d *decoder) raw() json.RawMessage {
	d.ws()
	start := d.i
	if d.skip(); d.err != nil {
		return nil
	}
	return bytes.Clone(d.b[start:d.i])
}

// number reads a JSON number and returns its bytes.
func (d *decoder) number() []byte {
	start := d.i
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	if n := d.digits(); n == 0 || n > 1 && d.b[d.i-n] == '0' {
		d.fail("invalid number")
		return nil
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if d.digits() == 0 {
			d.fail("invalid number")
			return nil
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		if d.i++; d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if d.digits() == 0 {
			d.fail("invalid number")
			return nil
		}
	}
	return d.b[start:d.i]
}

func (d *decoder) digits() int {
	start := d.i
	for d.i < len(d.b) && isDigit(d.b[d.i]) {
		d.i++
	}
	return d.i - start
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// int reads an integer (null: 0); a fraction, an exponent or an overflow is
// an error, as encoding/json makes it for an int64.
func (d *decoder) int() int64 {
	if d.null() {
		return 0
	}
	if c := d.peek(); c != '-' && !isDigit(c) {
		d.fail("want an integer")
		return 0
	}
	num := d.number()
	neg := len(num) > 0 && num[0] == '-'
	if neg {
		num = num[1:]
	}
	var n uint64
	for _, c := range num {
		if !isDigit(c) || n > (1<<63)/10 {
			d.fail("want an integer in range")
			return 0
		}
		n = n*10 + uint64(c-'0')
	}
	if neg && n > 1<<63 || !neg && n > 1<<63-1 {
		d.fail("want an integer in range")
		return 0
	}
	if neg {
		return -int64(n)
	}
	return int64(n)
}

func (d *decoder) bool() bool {
	switch d.peek() {
	case 't':
		d.literal("true")
		return true
	case 'f':
		d.literal("false")
	case 'n':
		d.literal("null")
	default:
		d.fail("want a boolean")
	}
	return false
}

// status reads a Cregis status: null is nil, 0 is not.
func (d *decoder) status() *cregis.Status {
	if d.null() {
		return nil
	}
	s := cregis.Status(d.int())
	return &s
}

// key reads an object key.
func (d *decoder) key() []byte {
	if d.peek() != '"' {
		d.fail("want a key")
		return nil
	}
	q, plain := d.quoted()
	if plain {
		return q
	}
	return []byte(unquote(q))
}

// str reads a string (null: "").
func (d *decoder) str() string {
	q, plain := d.strQuoted()
	if plain {
		return string(q)
	}
	return unquote(q)
}

// name reads a string that is often one of a few constants (a state, a hint
// source, a query endpoint), sharing their memory rather than allocating.
func (d *decoder) name() string {
	q, plain := d.strQuoted()
	if !plain {
		return unquote(q)
	}
	for _, n := range names {
		if string(q) == n {
			return n
		}
	}
	return string(q)
}

// names are the strings name shares.
var names = []string{
	string(StateQueued), string(StateSubmitting), string(StateSubmitted), string(StateUnconfirmed),
	string(StateSucceeded), string(StateFailed), string(StateRejected), string(StateCanceled),
	HintCallback, HintVerification, HintTradeScan,
	cregis.PathPayoutQuery, cregis.PathSubAddressWithdrawalInfo,
}

// strQuoted reads a string (null: "") and returns what quoted does.
func (d *decoder) strQuoted() (q []byte, plain bool) {
	if d.null() {
		return nil, true
	}
	if d.peek() != '"' {
		d.fail("want a string")
		return nil, true
	}
	return d.quoted()
}

// quoted reads a JSON string and returns what is between its quotes, and
// whether that is plain: ASCII without escapes, the string as is.
func (d *decoder) quoted() (q []byte, plain bool) {
	d.i++ // the opening quote
	start, plain := d.i, true
	for d.i < len(d.b) {
		switch c := d.b[d.i]; {
		case c == '"':
			d.i++
			return d.b[start : d.i-1], plain
		case c == '\\':
			plain = false
			d.escape()
		case c < 0x20:
			d.fail("control character in a string")
		default:
			plain = plain && c < utf8.RuneSelf
			d.i++
		}
	}
	d.fail("unterminated string")
	return nil, false
}

// escape checks the escape at d.i and moves past it.
func (d *decoder) escape() {
	if d.i+1 >= len(d.b) {
		d.fail("unterminated string")
		return
	}
	switch d.b[d.i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		d.i += 2
	case 'u':
		if hex4(d.b[d.i+2:]) < 0 {
			d.fail("invalid \\u escape")
			return
		}
		d.i += 6
	default:
		d.fail("invalid escape")
	}
}

// hex4 returns the value of the four hex digits b starts with, or -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case isDigit(c):
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// unquote returns the string q (checked by quoted) stands for. Invalid
// UTF-8 and a lone surrogate become U+FFFD, as with encoding/json.
func unquote(q []byte) string {
	b := make([]byte, 0, len(q))
	for i := 0; i < len(q); {
		switch c := q[i]; {
		case c == '\\' && q[i+1] == 'u':
			var r rune
			r, i = unescapeRune(q, i)
			b = utf8.AppendRune(b, r)
		case c == '\\':
			b = append(b, unescaped[q[i+1]])
			i += 2
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRune(q[i:])
			b = utf8.AppendRune(b, r) // RuneError for invalid UTF-8
			i += size
		}
	}
	return string(b)
}

// unescaped maps the letter of a one-letter escape to its byte.
var unescaped = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// unescapeRune decodes the \u escape at q[i], and the one after it if the
// two are a surrogate pair. It returns the rune and the index after them.
func unescapeRune(q []byte, i int) (rune, int) {
	r := hex4(q[i+2:])
	i += 6
	if !utf16.IsSurrogate(r) {
		return r, i
	}
	if i+1 < len(q) && q[i] == '\\' && q[i+1] == 'u' {
		if pair := utf16.DecodeRune(r, hex4(q[i+2:])); pair != utf8.RuneError {
			return pair, i + 6
		}
	}
	return utf8.RuneError, i
}
