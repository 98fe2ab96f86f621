package cregis_test

import (
	"strings"
	"testing"

	"github.com/payoutd/payoutd/cregis"
)

func TestSameAmount(t *testing.T) {
	tests := []struct {
		desc string
		a, b string
		want bool
	}{
		{"Identical", "1.1", "1.1", true},
		{"TrailingFractionZeros", "1.10", "1.1", true},
		{"LeadingIntegerZeros", "01.5", "1.5", true},
		{"ZeroAndZeroWithDecimals", "0", "0.000", true},
		{"ZeroAndBareFraction", "0", ".0", true},
		{"IntegerAndTrailingDot", "5.", "5", true},
		{"BareFraction", ".5", "0.50", true},
		{"ManyDigitsBeyondFloatPrecision", "12345678901234567890.123456789012345678", "12345678901234567890.1234567890123456780", true},
		{"DifferentNumbers", "1.1", "1.01", false},
		{"FloatWouldRoundThemTogether", "0.30000000000000001", "0.3", false},
		{"TenAndOne", "10", "1", false},
		{"ZeroInTheMiddleMatters", "1.01", "1.1", false},
		{"Empty", "", "", false},
		{"BareDot", ".", ".", false},
		{"Negative", "-1", "-1", false},
		{"ExplicitPlus", "+1", "1", false},
		{"Exponent", "1e3", "1000", false},
		{"Space", " 1", "1", false},
		{"Comma", "1,5", "1.5", false},
		{"TwoDots", "1.2.3", "1.2.3", false},
		{"UnicodeDigit", "١", "1", false},
		{"Hex", "0x10", "16", false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got := cregis.SameAmount(tt.a, tt.b); got != tt.want {
				t.Errorf("SameAmount(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
			if got := cregis.SameAmount(tt.b, tt.a); got != tt.want {
				t.Errorf("SameAmount(%q, %q) = %v, want %v", tt.b, tt.a, got, tt.want)
			}
		})
	}
}

func TestSameAddress(t *testing.T) {
	const evm = "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01"
	tests := []struct {
		desc string
		a, b string
		want bool
	}{
		{"EVMChecksumCaseAndLowerCase", evm, strings.ToLower(evm), true},
		{"EVMUpperHexDigits", evm, "0x" + strings.ToUpper(evm[2:]), true},
		{"EVMDifferentDigit", evm, evm[:41] + "2", false},
		{"EVMTooShortComparesExactly", evm[:41], strings.ToLower(evm[:41]), false},
		{"EVMNonHexComparesExactly", "0xg" + evm[3:], "0xG" + evm[3:], false},
		{"EVMAgainstOtherForm", evm, strings.ToLower(evm)[2:], false},
		{"UpperCasePrefixIsNotEVM", "0X" + evm[2:], "0x" + strings.ToLower(evm[2:]), false},
		{"TRONExact", "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", true},
		{"TRONCaseMatters", "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", "txsmkpeuw7qwnxzjlgp9edlvwpr2grn1fs", false},
		{"XRPExact", "rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc", "rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc", true},
		{"WhitespaceMatters", "rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc ", "rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc", false},
		{"BothEmpty", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got := cregis.SameAddress(tt.a, tt.b); got != tt.want {
				t.Errorf("SameAddress(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
			if got := cregis.SameAddress(tt.b, tt.a); got != tt.want {
				t.Errorf("SameAddress(%q, %q) = %v, want %v", tt.b, tt.a, got, tt.want)
			}
		})
	}
}

// isPlainDecimal is SameAmount's definition of a valid amount, written out
// independently.
func isPlainDecimal(s string) bool {
	digits, dots := 0, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

func FuzzSameAmount(f *testing.F) {
	for _, seed := range [][2]string{{"1.10", "1.1"}, {"0", ".000"}, {"01.5", "1.50"}, {".", ""}, {"1e3", "-1"}, {"5.", "05"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if cregis.SameAmount(a, b) != cregis.SameAmount(b, a) {
			t.Fatalf("SameAmount(%q, %q) is not symmetric", a, b)
		}
		if got := cregis.SameAmount(a, a); got != isPlainDecimal(a) {
			t.Fatalf("SameAmount(%q, itself) = %v, want %v", a, got, isPlainDecimal(a))
		}
		if isPlainDecimal(a) && !cregis.SameAmount(a, "00"+a+zeroFraction(a)) {
			t.Fatalf("SameAmount(%q) differs from itself padded with zeros", a)
		}
	})
}

// zeroFraction returns trailing zeros that leave the value of a unchanged.
func zeroFraction(a string) string {
	if strings.Contains(a, ".") {
		return "000"
	}
	return ".000"
}
