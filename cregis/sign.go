package cregis

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Sign computes the Cregis signature of a request or callback body.
//
// fields holds every field of the body; the "sign" field, nil values and empty
// strings are left out, as the recipe demands (0 and false stay in). The
// remaining keys are sorted in ascending byte order and concatenated as
// key1value1key2value2..., strings verbatim and integers in base 10, the API
// key is prepended, and the result is the lowercase hex MD5 of those bytes.
//
// Values may be of any string kind (json.Number included: its text is used
// verbatim), any integer kind, or bool ("true"/"false"). Floats are formatted
// without an exponent (strconv 'f', precision -1) but lose digits above 2^53:
// pass integers as int64 or json.Number. Anything else (maps, slices) is
// rendered as compact JSON; Cregis bodies are flat, so ParseCallback refuses
// such values before they reach Sign.
func Sign(apiKey string, fields map[string]any) string {
	keys := make([]string, 0, len(fields))
	for k, v := range fields {
		if k == "sign" || isEmptyValue(v) {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)

	var b strings.Builder
	b.WriteString(apiKey)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(formatValue(fields[k]))
	}
	sum := md5.Sum([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// Verify reports whether sign is the signature of fields under apiKey. The
// comparison runs in constant time; hex digits may be of either case.
func Verify(apiKey string, fields map[string]any, sign string) bool {
	want := Sign(apiKey, fields)
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(sign))) == 1
}

// isEmptyValue reports whether v is left out of the signature: nil, or a
// string (of any string type, json.Number included) that is empty.
func isEmptyValue(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.String && rv.Len() == 0
}

// formatValue renders one value as the recipe wants it: strings verbatim,
// integers in base 10, booleans as true/false.
func formatValue(v any) string {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return rv.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10)
	case reflect.Bool:
		return strconv.FormatBool(rv.Bool())
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(rv.Float(), 'f', -1, rv.Type().Bits())
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
