package cregis

import (
	"encoding/json"
	"testing"
)

func TestWireInt(t *testing.T) {
	tests := []struct {
		desc    string
		in      string
		want    int64
		set     bool
		wantErr bool
	}{
		{"NumberAboveTwoToThe53IsExact", `9007199254740993`, 9007199254740993, true, false},
		{"StringOfDigitsIsExact", `"9007199254740993"`, 9007199254740993, true, false},
		{"NegativeNumber", `-5`, -5, true, false},
		{"ZeroIsSet", `0`, 0, true, false},
		{"NullIsUnset", `null`, 0, false, false},
		{"EmptyStringIsUnset", `""`, 0, false, false},
		{"FractionIsAnError", `1.5`, 0, false, true},
		{"ExponentIsAnError", `1e3`, 0, false, true},
		{"OverflowIsAnError", `9223372036854775808`, 0, false, true},
		{"WordIsAnError", `"abc"`, 0, false, true},
		{"BoolIsAnError", `true`, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var w wireInt
			err := json.Unmarshal([]byte(tt.in), &w)
			if (err != nil) != tt.wantErr || w.Val != tt.want || w.Set != tt.set {
				t.Errorf("decode %s = %+v, %v; want {%d %v}, error %v", tt.in, w, err, tt.want, tt.set, tt.wantErr)
			}
		})
	}
}

func TestWireString(t *testing.T) {
	tests := []struct {
		desc    string
		in      string
		want    string
		wantErr bool
	}{
		{"StringIsUnquoted", `"34527604"`, "34527604", false},
		{"NumberIsVerbatim", `34527604`, "34527604", false},
		{"NegativeFractionIsVerbatim", `-0.10`, "-0.10", false},
		{"NullIsEmpty", `null`, "", false},
		{"BoolIsAnError", `false`, "", true},
		{"ObjectIsAnError", `{}`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var w wireString
			err := json.Unmarshal([]byte(tt.in), &w)
			if (err != nil) != tt.wantErr || string(w) != tt.want {
				t.Errorf("decode %s = %q, %v; want %q, error %v", tt.in, w, err, tt.want, tt.wantErr)
			}
		})
	}
}
