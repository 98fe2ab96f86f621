package cregis

import "strings"

// SameAmount reports whether a and b are the same number written as plain
// non-negative decimals. A plain decimal is ASCII digits with at most one
// '.', and at least one digit before or after it: "1", "1.10", "01.5",
// ".5" and "5." are plain; "", ".", "-1", "+1", "1e3", " 1", "1,5" and
// "1.2.3" are not. Leading zeros of the integer part and trailing zeros of
// the fraction do not count ("1.10" == "1.1", "01.5" == "1.5",
// "0" == "0.000" == ".0"). It is false if either is not plain.
func SameAmount(a, b string) bool {
	ca, okA := canonicalAmount(a)
	cb, okB := canonicalAmount(b)
	return okA && okB && ca == cb
}

// canonicalAmount returns s without leading integer zeros and trailing
// fraction zeros, as "int.frac" (both possibly empty), and whether s is a
// plain decimal.
func canonicalAmount(s string) (string, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || !allDigits(whole) || !allDigits(frac) {
		return "", false
	}
	return strings.TrimLeft(whole, "0") + "." + strings.TrimRight(frac, "0"), true
}

// allDigits reports whether s holds only the ASCII digits 0-9 ("" holds
// none and counts).
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// SameAddress reports whether a and b name the same recipient. Two EVM
// addresses ("0x" followed by exactly 40 hex digits, on both sides) compare
// case-insensitively, since the mixed case of EIP-55 is only a checksum;
// every other form (TRON, XRP, TON, Solana, Bitcoin: case matters) compares
// byte for byte.
func SameAddress(a, b string) bool {
	if isEVMAddress(a) && isEVMAddress(b) {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// isEVMAddress reports whether s is "0x" and 40 hex digits of either case.
func isEVMAddress(s string) bool {
	if len(s) != 42 || !strings.HasPrefix(s, "0x") {
		return false
	}
	for i := 2; i < len(s); i++ {
		if !isHexDigit(s[i]) {
			return false
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
