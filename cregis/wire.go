package cregis

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// wireInt is an int64 that decodes exactly (never through float64) from a JSON
// number or from a string of decimal digits. null and "" leave it unset at 0.
type wireInt struct {
	Val int64
	Set bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (w *wireInt) UnmarshalJSON(b []byte) error {
	text := string(b)
	if text == "null" {
		return nil
	}
	if strings.HasPrefix(text, `"`) {
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
		if text == "" {
			return nil
		}
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return errors.New("not an integer")
	}
	w.Val, w.Set = n, true
	return nil
}

// wireString is a string that also accepts a JSON number, kept verbatim
// (block_height arrives as either). null decodes as "".
type wireString string

// UnmarshalJSON implements json.Unmarshaler.
func (w *wireString) UnmarshalJSON(b []byte) error {
	text := string(b)
	switch {
	case text == "null":
		return nil
	case strings.HasPrefix(text, `"`):
		return json.Unmarshal(b, (*string)(w))
	case isJSONNumber(text):
		*w = wireString(text)
		return nil
	}
	return errors.New("not a string or a number")
}

// isJSONNumber reports whether text, already a valid JSON value, is a number.
func isJSONNumber(text string) bool {
	return text != "" && (text[0] == '-' || text[0] >= '0' && text[0] <= '9')
}
