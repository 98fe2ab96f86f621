package cregis

import "crypto/rand"

const (
	nonceAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	nonceLen      = 6
	// nonceLimit is the largest multiple of len(nonceAlphabet) that fits a
	// byte; bytes at or above it are drawn again so that every character is
	// equally likely.
	nonceLimit = 256 - 256%len(nonceAlphabet)
)

// newNonce returns 6 characters of [a-z0-9] from crypto/rand.
func newNonce() string {
	out := make([]byte, 0, nonceLen)
	var buf [16]byte
	for len(out) < nonceLen {
		rand.Read(buf[:]) // never fails: crypto/rand aborts the program instead
		for _, b := range buf {
			if int(b) < nonceLimit && len(out) < nonceLen {
				out = append(out, nonceAlphabet[int(b)%len(nonceAlphabet)])
			}
		}
	}
	return string(out)
}
