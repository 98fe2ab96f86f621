package tasks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
)

// oldRecord is a record as payoutd stored it before the stored format: the
// Record's own JSON, times in nanoseconds, written by json.Marshal.
const oldRecord = `{"third_party_id":"order-7","currency":"195@195","to_address":"TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS","amount":"1.5","remark":"payout \u003c7\u003e \u0026 co","wallet_id":"1001","notify_url":"https://backend.example.com/notify","metadata":{"user_id":48213,"note":"a\u003cb"},"state":"submitted","cid":"1382626461605888","cregis_status":1,"txid":"","block_height":"","block_time":0,"attempts":1,"last_error":"","query_endpoint":"/api/v1/payout/query","poll_seq":2,"hints":[{"cid":"99","source":"callback","status":1,"at":"2026-01-02T03:04:06.623456789Z"}],"created_at":"2026-01-02T03:04:05.123456789Z","updated_at":"2026-01-02T03:04:07.123456789Z","version":4,"history":[{"at":"2026-01-02T03:04:05.123456789Z","from":"","to":"queued","reason":"created"},{"at":"2026-01-02T03:04:06.123456789Z","from":"queued","to":"submitting","reason":"create call started"},{"at":"2026-01-02T03:04:07.123456789Z","from":"submitting","to":"submitted","reason":"cregis accepted the payout"}]}`

// oldRecordValue is what oldRecord holds.
func oldRecordValue() *Record {
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	st := cregis.StatusSignatureApproved
	return &Record{
		Request: Request{ThirdPartyID: "order-7", Currency: "195@195", ToAddress: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS",
			Amount: "1.5", Remark: "payout <7> & co", WalletID: 1001, NotifyURL: "https://backend.example.com/notify",
			Metadata: json.RawMessage(`{"user_id":48213,"note":"a\u003cb"}`)},
		State: StateSubmitted, CID: "1382626461605888", CregisStatus: &st, Attempts: 1,
		QueryEndpoint: cregis.PathPayoutQuery, PollSeq: 2,
		Hints:     []Hint{{CID: "99", Source: HintCallback, Status: &st, At: at.Add(1500 * time.Millisecond)}},
		CreatedAt: at, UpdatedAt: at.Add(2 * time.Second), Version: 4,
		History: []Transition{{At: at, To: StateQueued, Reason: "created"},
			{At: at.Add(time.Second), From: StateQueued, To: StateSubmitting, Reason: "create call started"},
			{At: at.Add(2 * time.Second), From: StateSubmitting, To: StateSubmitted, Reason: "cregis accepted the payout"}},
	}
}

// populated returns a record with every field set, down to its one hint and
// one transition, to a distinct non-zero value. A field of a type fill does
// not know fails the test that calls it: extend fill, then the codec, the
// comparison and the copy.
func populated(t testing.TB) *Record {
	t.Helper()
	var r Record
	n := 0
	if err := fill(reflect.ValueOf(&r).Elem(), &n); err != nil {
		t.Fatal(err)
	}
	return &r
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

func fill(v reflect.Value, n *int) error {
	*n++
	switch {
	case v.Type() == timeType:
		v.Set(reflect.ValueOf(time.UnixMilli(1767323045000 + int64(*n)).UTC()))
	case v.Type() == rawType:
		v.SetBytes([]byte(fmt.Sprintf(`{"k":%d}`, *n)))
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			if err := fill(v.Field(i), n); err != nil {
				return fmt.Errorf("%s: %w", v.Type().Field(i).Name, err)
			}
		}
	case v.Kind() == reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		return fill(v.Index(0), n)
	case v.Kind() == reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		return fill(v.Elem(), n)
	case v.Kind() == reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
	case v.CanInt():
		v.SetInt(int64(*n))
	case v.Kind() == reflect.Bool:
		v.SetBool(true)
	default:
		return fmt.Errorf("fill does not know %s", v.Type())
	}
	return nil
}

// leaf is one field of a populated record: a field of the Record, of its
// Request, of its hint or transition, a pointer, or what a pointer points
// to.
type leaf struct {
	path string
	v    reflect.Value
}

// leaves lists the leaves of r (a populated record) in a fixed order.
func leaves(r *Record) []leaf {
	var out []leaf
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch {
		case v.Type() == timeType || v.Type() == rawType:
			out = append(out, leaf{path, v})
		case v.Kind() == reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		case v.Kind() == reflect.Slice:
			walk(v.Index(0), path+"[0]")
		case v.Kind() == reflect.Pointer:
			out = append(out, leaf{path, v})
			walk(v.Elem(), "*"+path)
		default:
			out = append(out, leaf{path, v})
		}
	}
	walk(reflect.ValueOf(r).Elem(), "Record")
	return out
}

// change changes the leaf's value in place: a byte of a slice's array, the
// value a pointer points to, or the field itself; a pointer becomes nil.
func (l leaf) change() {
	v := l.v
	switch {
	case v.Type() == timeType:
		v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Millisecond)))
	case v.Type() == rawType:
		v.Index(1).SetUint('K') // {"k":1} becomes {"K":1}, in the same array
	case v.Kind() == reflect.Pointer:
		v.SetZero()
	case v.Kind() == reflect.String:
		v.SetString(v.String() + "x")
	case v.CanInt():
		v.SetInt(v.Int() + 1)
	case v.Kind() == reflect.Bool:
		v.SetBool(!v.Bool())
	}
}

func TestRecordCodec(t *testing.T) {
	t.Run("EveryFieldReadsBackAsWritten", func(t *testing.T) {
		want := populated(t)
		raw := want.encode()
		got, err := decodeRecord("x", raw)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v, %v from %s; want %+v", got, err, raw, want)
		}
	})
	t.Run("EveryFieldLeftEmptyReadsBackEmpty", func(t *testing.T) {
		for i, l := range leaves(populated(t)) {
			want := populated(t)
			leaves(want)[i].v.SetZero()
			raw := want.encode()
			if got, err := decodeRecord("x", raw); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%s empty: got %+v, %v from %s; want %+v", l.path, got, err, raw, want)
			}
		}
	})
	t.Run("StartsWithTheFormatAndLeavesOutEmptyFields", func(t *testing.T) {
		if got := string((&Record{}).encode()); got != `{"v":2}` {
			t.Errorf("an empty record encodes as %s, want {\"v\":2}", got)
		}
		rec := newRecord(validRequest("order-1"), time.UnixMilli(1767323045123).UTC())
		want := `{"v":2,"id":"order-1","cur":"195@195","to":"TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS","amt":"1.5",` +
			`"state":"queued","created":1767323045123,"updated":1767323045123,"ver":1,` +
			`"history":[{"at":1767323045123,"to":"queued","why":"created"}]}`
		if got := string(rec.encode()); got != want {
			t.Errorf("a new record encodes as\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("AnEarlierVersionRefusesTheFormat", func(t *testing.T) {
		var r Record // what the versions before the stored format decode into
		for _, rec := range []*Record{realisticRecord(), newRecord(validRequest("order-1"), time.Now())} {
			if err := json.Unmarshal(rec.encode(), &r); err == nil {
				t.Errorf("the Record JSON decoder reads %s as %+v; want an error, not a record without its fields", rec.encode(), r)
			}
		}
	})
	t.Run("StatusZeroIsNotEmpty", func(t *testing.T) {
		st := cregis.StatusPendingApproval
		rec := &Record{CregisStatus: &st, Hints: []Hint{{CID: "1", Status: &st}}}
		got, err := decodeRecord("x", rec.encode())
		if err != nil || got.CregisStatus == nil || *got.CregisStatus != st || got.Hints[0].Status == nil {
			t.Fatalf("got %+v, %v; want status 0 kept, on the record and its hint", got, err)
		}
	})
	t.Run("TimesAreStoredToTheMillisecondInUTC", func(t *testing.T) {
		at := time.Date(2026, 1, 2, 4, 4, 5, 123456789, time.FixedZone("CET", 3600))
		rec := &Record{CreatedAt: at, Hints: []Hint{{At: at}}}
		got, err := decodeRecord("x", rec.encode())
		want := time.Date(2026, 1, 2, 3, 4, 5, 123000000, time.UTC)
		if err != nil || got.CreatedAt != want || got.Hints[0].At != want {
			t.Fatalf("got %v and %v, %v; want %v", got.CreatedAt, got.Hints[0].At, err, want)
		}
	})
	t.Run("MetadataIsKeptAsJSONMarshalKeepsIt", func(t *testing.T) {
		for _, m := range []string{`{"a": 1, "b" : [1, 2.50, "x"]}`, `{"html":"<b>&amp;</b>","ls":"` + "\u2028" + `"}`, `{}`} {
			rec := &Record{Request: Request{Metadata: json.RawMessage(m)}}
			want, _ := json.Marshal(json.RawMessage(m))
			got, err := decodeRecord("x", rec.encode())
			if err != nil || !bytes.Equal(got.Metadata, want) {
				t.Errorf("metadata %s: got %s, %v; want %s", m, got.Metadata, err, want)
			}
		}
	})
	t.Run("MetadataThatIsNotJSONPanics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("encoding metadata that is not JSON did not panic")
			}
		}()
		(&Record{Request: Request{Metadata: json.RawMessage(`{"a":`)}}).encode()
	})
}

func TestRecordCodecStrings(t *testing.T) {
	cases := []struct{ desc, s string }{
		{"plain ASCII", "withdrawal 48213"},
		{"quotes and backslashes", `say "hi" \ bye`},
		{"control characters", "a\nb\rc\td\x00e\x1f\x7f"},
		{"non-ASCII", "提现 — ünïcödé 🙂"},
		{"line and paragraph separators", "a\u2028b\u2029c"},
		{"HTML", "<script>&</script>"},
		{"invalid UTF-8", "a\xffb\xc3(c\xed\xa0\x80"},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			raw := (&Record{Request: Request{Remark: tc.s}, History: []Transition{{Reason: tc.s}}}).encode()
			if !json.Valid(raw) {
				t.Fatalf("%q encodes as %s, not JSON", tc.s, raw)
			}
			var want string // what encoding/json makes of the string
			b, _ := json.Marshal(tc.s)
			_ = json.Unmarshal(b, &want)
			got, err := decodeRecord("x", raw)
			if err != nil || got.Remark != want || got.History[0].Reason != want {
				t.Fatalf("%q reads back as %q, %v; want %q", tc.s, got.Remark, err, want)
			}
			if ref := refDecode(t, raw); ref.Remark != want {
				t.Fatalf("encoding/json reads %s as %q, want %q", raw, ref.Remark, want)
			}
		})
	}
}

func TestRecordDecoder(t *testing.T) {
	t.Run("RefusesWhatIsNotTheFormat", func(t *testing.T) {
		for _, raw := range []string{
			`{"v":3,"id":"a"}`, `{"v":1}`, `{"v":"2"}`, `{"v":2.0}`, `{"v":2`, `{"v":2,}`, `{"v":2}x`, `{"v":2}{}`,
			`{"v":2,"id":5}`, `{"v":2,"ver":"5"}`, `{"v":2,"ver":1.5}`, `{"v":2,"ver":1e3}`, `{"v":2,"ver":01}`,
			`{"v":2,"ver":9223372036854775808}`, `{"v":2,"wallet":-9223372036854775809}`, `{"v":2,"ver":-}`,
			`{"v":2,"stuck":1}`, `{"v":2,"stuck":tru}`, `{"v":2,"hints":{}}`, `{"v":2,"history":[1]}`,
			`{"v":2,"id":"a` + "\n" + `"}`, `{"v":2,"id":"a` + "\x1f" + `"}`, `{"v":2,"id":"\x"}`, `{"v":2,"id":"\u12"}`, `{"v":2,"id":"a`,
			`{"v":2,"meta":}`, `{"v":2,"meta":{"a":1,}}`, `{"v":2,"meta":[1 2]}`, `{"v":2,"meta":nul}`,
			`{"v":2,"x":1.}`, `{"v":2,"x":.5}`, `{"v":2,"x":1e}`, `{"v":2,"x":+1}`, `{"v":2 "id":"a"}`, `{"v":2,"id" "a"}`,
			`{"v":2,5:1}`,
		} {
			if got, err := decodeRecord("x", []byte(raw)); err == nil {
				t.Errorf("%s: got %+v, want an error", raw, got)
			}
		}
	})
	t.Run("ReadsRecordsWrittenBeforeTheFormat", func(t *testing.T) {
		got, err := decodeRecord("order-7", []byte(oldRecord))
		if want := oldRecordValue(); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v, %v; want %+v", got, err, want)
		}
		again, err := decodeRecord("order-7", got.encode())
		if err != nil || !equalRecord(again, got) || again.CreatedAt.Nanosecond() != 123000000 {
			t.Fatalf("rewritten: got %+v, %v; want the same record to the millisecond", again, err)
		}
	})
}

// refRecord is the stored format as the standard library's encoding/json
// reads it, with its own copy of the keys: an independent reading of the
// format, to check storedRecord and github.com/segmentio/encoding/json
// against.
type refRecord struct {
	V             int             `json:"v"`
	ThirdPartyID  string          `json:"id"`
	Currency      string          `json:"cur"`
	ToAddress     string          `json:"to"`
	Amount        string          `json:"amt"`
	Memo          string          `json:"memo"`
	Remark        string          `json:"remark"`
	WalletID      int64           `json:"wallet"`
	FromAddress   string          `json:"from"`
	Source        Source          `json:"src"`
	NotifyURL     string          `json:"notify"`
	Metadata      json.RawMessage `json:"meta"`
	State         State           `json:"state"`
	CID           string          `json:"cid"`
	CregisStatus  *cregis.Status  `json:"cstatus"`
	TxID          string          `json:"txid"`
	BlockHeight   string          `json:"height"`
	BlockTime     int64           `json:"btime"`
	Attempts      int             `json:"attempts"`
	LastError     string          `json:"err"`
	QueryEndpoint string          `json:"qe"`
	PollSeq       int64           `json:"poll"`
	Stuck         bool            `json:"stuck"`
	Hints         []struct {
		CID          string         `json:"cid"`
		Source       string         `json:"src"`
		Status       *cregis.Status `json:"status"`
		At           int64          `json:"at"`
		NotFound     int            `json:"nf"`
		Contradicted bool           `json:"contra"`
	} `json:"hints"`
	CreatedAt int64 `json:"created"`
	UpdatedAt int64 `json:"updated"`
	Version   int64 `json:"ver"`
	History   []struct {
		At     int64  `json:"at"`
		From   *State `json:"from"`
		To     State  `json:"to"`
		Reason string `json:"why"`
	} `json:"history"`
}

// refDecode reads raw in the stored format with encoding/json.
func refDecode(t testing.TB, raw []byte) *Record {
	t.Helper()
	var s refRecord
	if err := json.Unmarshal(raw, &s); err != nil || s.V != storedFormat {
		t.Fatalf("encoding/json reads %s as format %d, %v", raw, s.V, err)
	}
	r := &Record{
		Request: Request{ThirdPartyID: s.ThirdPartyID, Currency: s.Currency, ToAddress: s.ToAddress,
			Amount: s.Amount, Memo: s.Memo, Remark: s.Remark, WalletID: Int64String(s.WalletID),
			FromAddress: s.FromAddress, Source: s.Source, NotifyURL: s.NotifyURL, Metadata: s.Metadata},
		State: s.State, CID: s.CID, CregisStatus: s.CregisStatus, TxID: s.TxID, BlockHeight: s.BlockHeight,
		BlockTime: s.BlockTime, Attempts: s.Attempts, LastError: s.LastError, QueryEndpoint: s.QueryEndpoint,
		PollSeq: s.PollSeq, Stuck: s.Stuck, CreatedAt: fromUnixMS(s.CreatedAt), UpdatedAt: fromUnixMS(s.UpdatedAt),
		Version: s.Version,
	}
	for _, h := range s.Hints {
		r.Hints = append(r.Hints, Hint{CID: h.CID, Source: h.Source, Status: h.Status, At: fromUnixMS(h.At),
			NotFound: h.NotFound, Contradicted: h.Contradicted})
	}
	for i, x := range s.History {
		from := State("")
		switch {
		case x.From != nil:
			from = *x.From
		case i > 0:
			from = r.History[i-1].To // left out: the previous entry's "to"
		}
		r.History = append(r.History, Transition{At: fromUnixMS(x.At), From: from, To: x.To, Reason: x.Reason})
	}
	return r
}

func TestEqualRecord(t *testing.T) {
	t.Run("SeesAChangeOfEveryField", func(t *testing.T) {
		if !equalRecord(populated(t), populated(t)) {
			t.Fatal("two equal records compare unequal")
		}
		for i, l := range leaves(populated(t)) {
			a, b := populated(t), populated(t)
			leaves(b)[i].change()
			if equalRecord(a, b) || equalRecord(b, a) {
				t.Errorf("%s: equalRecord misses a change of it", l.path)
			}
		}
	})
	t.Run("IgnoresWhatStoringDoesNotKeep", func(t *testing.T) {
		a := populated(t)
		b := a.clone()
		b.CreatedAt = b.CreatedAt.Add(999 * time.Microsecond).In(time.FixedZone("CET", 3600))
		b.History[0].At = b.History[0].At.Add(time.Nanosecond)
		if !equalRecord(a, b) {
			t.Error("times equal to the millisecond compare unequal")
		}
		a.Hints, b.Hints = nil, []Hint{}
		if !equalRecord(a, b) {
			t.Error("nil and empty hints compare unequal")
		}
	})
}

func TestEqualRequest(t *testing.T) {
	for i, l := range leaves(populated(t)) {
		if !strings.HasPrefix(l.path, "Record.Request.") {
			continue
		}
		a, b := populated(t), populated(t)
		leaves(b)[i].change()
		if equalRequest(&a.Request, &b.Request) {
			t.Errorf("%s: equalRequest misses a change of it", l.path)
		}
	}
	a, b := Request{}, Request{Metadata: json.RawMessage{}}
	if equalRequest(&a, &b) {
		t.Error("nil and empty metadata compare equal; the update that makes one the other must be refused")
	}
}

func TestRecordClone(t *testing.T) {
	if a := populated(t); !reflect.DeepEqual(a.clone(), a) {
		t.Fatalf("clone %+v differs from %+v", a.clone(), a)
	}
	for i, l := range leaves(populated(t)) {
		a := populated(t)
		c := a.clone()
		leaves(c)[i].change()
		if !reflect.DeepEqual(a, populated(t)) {
			t.Errorf("%s: changing it in the clone changed the original", l.path)
		}
	}
	if c := (&Record{}).clone(); c.Hints != nil || c.History != nil || c.Metadata != nil || c.CregisStatus != nil {
		t.Errorf("the clone of an empty record is %+v, want nil lists and pointers", c)
	}
}

func TestStoreRecordFormat(t *testing.T) {
	t.Run("AnOldRecordIsReadUpdatedAndRewritten", func(t *testing.T) {
		f := newStoreFixture(t)
		if err := f.rdb.Set(f.ctx, f.RecordKey("order-7"), oldRecord, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if got, err := f.Get(f.ctx, "order-7"); err != nil || !reflect.DeepEqual(got, oldRecordValue()) {
			t.Fatalf("got %+v, %v; want %+v", got, err, oldRecordValue())
		}
		if _, err := f.Update(f.ctx, "order-7", "x", func(*Record) error { return nil }); err != nil || f.raw(t, "order-7") != oldRecord {
			t.Fatalf("an update that changed nothing: %v, record %s; want no write", err, f.raw(t, "order-7"))
		}
		rec, err := f.Update(f.ctx, "order-7", "poll", func(r *Record) error { r.PollSeq = 3; return nil })
		if raw := f.raw(t, "order-7"); err != nil || !strings.HasPrefix(raw, `{"v":2,`) {
			t.Fatalf("an update: %v, record %s; want it rewritten in the stored format", err, raw)
		}
		want := oldRecordValue()
		want.PollSeq, want.Version, want.UpdatedAt = 3, 5, f.clock.Now()
		if got, err := f.Get(f.ctx, "order-7"); err != nil || !equalRecord(got, want) || !equalRecord(rec, want) {
			t.Fatalf("got %+v (returned %+v), %v; want %+v", got, rec, err, want)
		}
		if _, created, err := f.Create(f.ctx, oldRecordValue().Request); err != nil || created {
			t.Fatalf("the same request again: created %v, %v; want the existing record", created, err)
		}
	})
	t.Run("ARecordReadsBackAsItWasWritten", func(t *testing.T) {
		f := newStoreFixture(t)
		f.clock.Advance(123456789 * time.Nanosecond) // a clock finer than the stored millisecond
		rec := f.create(t, validRequest("order-1"))
		if got, err := f.Get(f.ctx, "order-1"); err != nil || !reflect.DeepEqual(got, rec) {
			t.Fatalf("created %+v, read back %+v, %v", rec, got, err)
		}
		f.clock.Advance(1500*time.Microsecond + 7)
		rec, err := f.Update(f.ctx, "order-1", "x", func(r *Record) error {
			r.State = StateSubmitting
			r.AddHint(Hint{CID: "5", Source: HintCallback, At: time.Now()})
			return nil
		})
		if got, gerr := f.Get(f.ctx, "order-1"); err != nil || gerr != nil || !reflect.DeepEqual(got, rec) {
			t.Fatalf("updated %+v, %v; read back %+v, %v", rec, err, got, gerr)
		}
	})
}

func TestApplyComparesAsStored(t *testing.T) {
	s := NewStore(nil, StoreConfig{})
	rec := realisticRecord()
	st := cregis.StatusPendingApproval
	rec.Hints = []Hint{{CID: "5", Source: HintCallback, Status: &st, At: rec.UpdatedAt}}
	raw := rec.encode()
	apply := func(fn func(r *Record)) (cur, next *Record, err error) {
		return s.apply(rec.ThirdPartyID, raw, nil, change{reason: "x", fn: func(r *Record) error { fn(r); return nil }})
	}
	t.Run("AChangeBelowTheMillisecondWritesNothing", func(t *testing.T) {
		if _, next, err := apply(func(r *Record) { r.Hints[0].At = r.Hints[0].At.Add(999 * time.Microsecond) }); next != nil || err != nil {
			t.Fatalf("got %+v, %v; want nothing to write", next, err)
		}
	})
	t.Run("AChangeInPlaceLeavesTheCurrentRecordAlone", func(t *testing.T) {
		_, next, err := apply(func(r *Record) { *r.Hints[0].Status = cregis.StatusSucceeded; r.Metadata[0] = ' ' })
		if err == nil || next != nil {
			t.Fatalf("changing the metadata in place: got %+v, %v; want the request change refused", next, err)
		}
		cur, next, err := apply(func(r *Record) { *r.Hints[0].Status = cregis.StatusSucceeded })
		if err != nil || next == nil || *next.Hints[0].Status != cregis.StatusSucceeded {
			t.Fatalf("got %+v, %v; want the hint's new status written", next, err)
		}
		if again, _ := decodeRecord("x", raw); !reflect.DeepEqual(cur, again) {
			t.Fatalf("the current record became %+v", cur)
		}
	})
	t.Run("AnEmptyMetadataForNoneIsARequestChange", func(t *testing.T) {
		s := NewStore(nil, StoreConfig{})
		raw := newRecord(validRequest("order-1"), rec.CreatedAt).encode()
		_, _, err := s.apply("order-1", raw, nil, change{fn: func(r *Record) error { r.Metadata = json.RawMessage{}; return nil }})
		if err == nil {
			t.Fatal("got no error; want the request change refused, as reflect.DeepEqual refused it")
		}
	})
}

// realisticRecord is a submitted payout as the worker leaves it: remark,
// notify_url, metadata, a cid, three history entries (the shape
// BenchmarkStoreBytesPerPayout stores).
func realisticRecord() *Record {
	req := validRequest("pay-00000001-7f3a9c")
	req.Remark = "withdrawal 2026-01-02 user 48213"
	req.NotifyURL = "https://backend.example.com/payouts/notify"
	req.Metadata = json.RawMessage(`{"user_id":48213,"invoice":"INV-2026-000123"}`)
	at := time.Date(2026, 1, 2, 3, 4, 5, 123000000, time.UTC)
	r := newRecord(req, at)
	r.State, r.Attempts, r.QueryEndpoint = StateSubmitted, 1, "/api/v1/payout/query"
	r.CID, r.PollSeq, r.Version = "1382626461605888", 1, 3
	r.UpdatedAt = at.Add(900 * time.Millisecond)
	r.History = append(r.History,
		Transition{At: at.Add(400 * time.Millisecond), From: StateQueued, To: StateSubmitting, Reason: "create call started"},
		Transition{At: r.UpdatedAt, From: StateSubmitting, To: StateSubmitted, Reason: "cregis accepted the payout"})
	return r
}

func BenchmarkRecordEncode(b *testing.B) {
	r := realisticRecord()
	b.ReportAllocs()
	for b.Loop() {
		r.encode()
	}
	b.ReportMetric(float64(len(r.encode())), "bytes")
}

func BenchmarkRecordDecode(b *testing.B) {
	raw := realisticRecord().encode()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeRecord("pay-00000001-7f3a9c", raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApply is one update's work in process (no Redis): a poll's
// same-state write, and an update that changes nothing.
func BenchmarkApply(b *testing.B) {
	s := NewStore(nil, StoreConfig{})
	raw := realisticRecord().encode()
	b.Run("Write", func(b *testing.B) {
		c := change{reason: "poll", fn: func(r *Record) error { r.PollSeq++; return nil }}
		b.ReportAllocs()
		for b.Loop() {
			if _, next, err := s.apply("pay-00000001-7f3a9c", raw, nil, c); err != nil || next == nil {
				b.Fatalf("got %v, %v; want a record to write", next, err)
			}
		}
	})
	b.Run("NoChange", func(b *testing.B) {
		c := change{reason: "poll", fn: func(r *Record) error { return nil }}
		b.ReportAllocs()
		for b.Loop() {
			if _, next, err := s.apply("pay-00000001-7f3a9c", raw, nil, c); err != nil || next != nil {
				b.Fatalf("got %v, %v; want nothing to write", next, err)
			}
		}
	})
}
