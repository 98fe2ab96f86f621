package tasks

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzDecodeRecord: decoding any bytes never panics, accepts only JSON, and
// a record it returns writes and reads back as the same record (metadata
// compacted, times to the millisecond), a fixed point from there on.
func FuzzDecodeRecord(f *testing.F) {
	for _, seed := range []string{
		oldRecord, string(realisticRecord().encode()), string(populated(f).encode()), `{"v":2}`, `{"v":3}`,
		`{"v":2,"id":"\u00e9\ud83d\ude42","meta":{"a" : [1, 2.5e3, "<b>"]},"history":[{"at":-1}]}`,
		`{"third_party_id":"x","metadata":null,"history":null,"hints":[]}`, `{"v":2,"x":[[[{}]]]}`, ``, `null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := decodeRecord("x", raw)
		if err != nil {
			return
		}
		if bytes.HasPrefix(raw, storedMarker) && !json.Valid(raw) {
			t.Fatalf("accepted %q, which is not JSON", raw)
		}
		enc := r.encode()
		again, err := decodeRecord("x", enc)
		if err != nil {
			t.Fatalf("%+v encodes as %s, which does not decode: %v", r, enc, err)
		}
		want := r.clone()
		if len(want.Metadata) > 0 {
			want.Metadata, _ = json.Marshal(want.Metadata) // compacted, as it was stored before
		}
		if !equalRecord(again, want) {
			t.Fatalf("%q decodes as %+v, which reads back as %+v", raw, r, again)
		}
		if enc2 := again.encode(); !bytes.Equal(enc2, enc) {
			t.Fatalf("%s reads back and encodes as %s", enc, enc2)
		}
	})
}

// FuzzEncodeRecord: whatever the strings, numbers and metadata, the encoding
// is JSON that encoding/json reads as the decoder does, and valid UTF-8
// strings and metadata come back as encoding/json would give them.
func FuzzEncodeRecord(f *testing.F) {
	f.Add("withdrawal 48213", "a\xffb\u2028\"\\\x00\x1f", int64(1767323045123), []byte(`{"a": [1, "<b>&"]}`))
	f.Add("提现 🙂", "\xed\xa0\x80", int64(-1), []byte(`not json`))
	f.Add("", "", int64(0), []byte(`{"a":"\u2028 `+"\u2028"+` <>&","b":[ 1 , { } ],"c":"x\"y\\"}`))
	f.Add("a", "b", int64(1<<62), []byte(` [1, -2.5e+3, true, null, "\ud83d\ude42"] `))
	f.Fuzz(func(t *testing.T, s1, s2 string, n int64, meta []byte) {
		r := populated(t)
		r.Remark, r.LastError, r.Hints[0].CID, r.History[0].Reason = s1, s2, s1+s2, s2
		r.BlockTime, r.Version, r.WalletID, r.Attempts = n, -n, Int64String(n), int(n)
		r.CreatedAt, r.Metadata = time.UnixMilli(n), nil
		if json.Valid(meta) {
			r.Metadata = meta
		}
		raw := r.encode()
		if !json.Valid(raw) {
			t.Fatalf("%+v encodes as %q, not JSON", r, raw)
		}
		got, err := decodeRecord("x", raw)
		if want := refDecode(t, raw); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: got %+v, %v; encoding/json reads %+v", raw, got, err, want)
		}
		if utf8.ValidString(s1) && (got.Remark != s1 || got.Hints[0].CID != s1+s2 && utf8.ValidString(s2)) {
			t.Fatalf("%q reads back as %q", s1, got.Remark)
		}
		if wantMeta, _ := json.Marshal(json.RawMessage(r.Metadata)); r.Metadata != nil && !bytes.Equal(got.Metadata, wantMeta) {
			t.Fatalf("metadata %s reads back as %s, want %s", r.Metadata, got.Metadata, wantMeta)
		}
	})
}
