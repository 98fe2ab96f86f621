package cregistest_test

import (
	"fmt"
	"testing"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
)

// BenchmarkCreate measures a signed create over loopback HTTP: the fake's
// own cost, which benchmarks of payoutd pay on every submit.
func BenchmarkCreate(b *testing.B) {
	s := cregistest.NewServer(b)
	i := 0
	for b.Loop() {
		if _, err := tryCall(s, cregis.PathPayout, payoutFields(fmt.Sprint("bench-", i))); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkQuery measures a status query over loopback HTTP.
func BenchmarkQuery(b *testing.B) {
	s := cregistest.NewServer(b)
	cid := create(b, s, cregis.PathPayout, payoutFields("bench"))
	for b.Loop() {
		if _, err := tryCall(s, cregis.PathPayoutQuery, map[string]any{"cid": cid}); err != nil {
			b.Fatal(err)
		}
	}
}
