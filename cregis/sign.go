package cregis

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
// Values may be string, json.Number, bool, any Go integer type, or nested
// values (which are rendered as compact JSON). Floats are refused by
// formatting them with strconv 'f' precision -1, which callers must not rely on:
// Cregis integers never travel as floats in this package.
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
// comparison runs in constant time.
func Verify(apiKey string, fields map[string]any, sign string) bool {
	want := Sign(apiKey, fields)
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(sign))) == 1
}

func isEmptyValue(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case json.Number:
		return v == ""
	}
	return false
}

func formatValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.FormatInt(int64(v), 10)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case int64:
		return strconv.FormatInt(v, 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case Status:
		return strconv.Itoa(int(v))
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
}
