package cregistest_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
)

func TestQueryModesDecideWhichEndpointAnswers(t *testing.T) {
	const info, query = cregis.PathSubAddressWithdrawalInfo, cregis.PathPayoutQuery
	cases := []struct {
		desc      string
		mode      cregistest.QueryMode
		createdAt string
		want      map[string]string // query path -> code
	}{
		{"by default both answer for a wallet payout", cregistest.QueryBoth, cregis.PathPayout, map[string]string{info: "00000", query: "00000"}},
		{"in info mode only info answers for a wallet payout", cregistest.QueryInfoOnly, cregis.PathPayout, map[string]string{info: "00000", query: "E0014"}},
		{"in payout-query mode only payout/query answers for a wallet payout", cregistest.QueryPayoutQueryOnly, cregis.PathPayout, map[string]string{info: "E0014", query: "00000"}},
		{"a sub-address withdrawal is answered by info only", cregistest.QueryBoth, cregis.PathSubAddressWithdrawal, map[string]string{info: "00000", query: "E0014"}},
		{"a sub-address withdrawal is answered by info even in payout-query mode", cregistest.QueryPayoutQueryOnly, cregis.PathSubAddressWithdrawal, map[string]string{info: "00000", query: "E0014"}},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			s := cregistest.NewServer(t, cregistest.WithQueryMode(tc.mode))
			cid := create(t, s, tc.createdAt, subAddressFields("mode"))
			for path, want := range tc.want {
				if r := call(t, s, path, map[string]any{"cid": cid}); r.Code != want {
					t.Errorf("%s: code = %s, want %s", path, r.Code, want)
				}
			}
		})
	}
}

func TestStatusDataIsComplete(t *testing.T) {
	s := cregistest.NewServer(t)
	fields := with(payoutFields("data"), map[string]any{"currency": "144@144", "to_address": "rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc",
		"memo": "123", "remark": "payout"})
	cid := create(t, s, cregis.PathPayout, fields)
	common := []string{"pid", "chain_id", "token_id", "currency", "from_address", "amount", "status",
		"third_party_id", "remark", "memo", "txid", "block_height", "block_time"}
	cases := []struct {
		desc      string
		path      string
		recipient string
	}{
		{"sub_address_withdrawal/info names the recipient to_address", cregis.PathSubAddressWithdrawalInfo, "to_address"},
		{"payout/query names the recipient address", cregis.PathPayoutQuery, "address"},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			d := statusOf(t, s, tc.path, cid)
			if got, want := slices.Sorted(maps.Keys(d)), slices.Sorted(slices.Values(append(common, tc.recipient))); !slices.Equal(got, want) {
				t.Fatalf("fields = %v, want %v", got, want)
			}
			wantValues := map[string]any{
				"pid": json.Number(fmt.Sprint(s.PID)), "chain_id": "144", "token_id": "144", "currency": "XRP",
				tc.recipient: "rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc", "amount": "1.5", "third_party_id": "data",
				"remark": "payout", "memo": "123", "from_address": "cregistest-payout-wallet-144",
			}
			for k, want := range wantValues {
				if d[k] != want {
					t.Errorf("%s = %#v, want %#v", k, d[k], want)
				}
			}
			if _, ok := d["block_height"].(string); !ok {
				t.Errorf("block_height = %#v, want a string", d["block_height"])
			}
		})
	}
	t.Run("QueriesAreCountedPerCid", func(t *testing.T) {
		if n := s.Queries(cid); n != 2 {
			t.Errorf("Queries = %d, want 2", n)
		}
	})
}

func TestCidsAreAbove2To53AndIncrease(t *testing.T) {
	s := cregistest.NewServer(t)
	var last int64
	for i := range 20 {
		r := call(t, s, cregis.PathPayout, payoutFields(fmt.Sprint("cid-", i)))
		cid := integer(t, r.Data, "cid")
		if cid <= 1<<53 || cid <= last {
			t.Fatalf("cid %d = %d, want above 2^53 and above the previous %d", i, cid, last)
		}
		last = cid
	}
	t.Run("TheDefaultPIDIsNotAFloat64", func(t *testing.T) {
		if int64(float64(cregistest.DefaultPID)) == cregistest.DefaultPID {
			t.Errorf("DefaultPID %d survives float64; want one that does not", cregistest.DefaultPID)
		}
	})
}

func TestConcurrentCreates(t *testing.T) {
	t.Run("TheSameThirdPartyIDIsAcceptedExactlyOnce", func(t *testing.T) {
		s := cregistest.NewServer(t)
		const n = 24
		codes := make(chan string, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				r, err := tryCall(s, cregis.PathPayout, payoutFields("race"))
				if err != nil {
					t.Error(err)
				}
				codes <- r.Code
			})
		}
		wg.Wait()
		close(codes)
		count := map[string]int{}
		for c := range codes {
			count[c]++
		}
		if count["00000"] != 1 || count["E0009"] != n-1 {
			t.Errorf("codes = %v, want one 00000 and %d E0009", count, n-1)
		}
		if s.Creates("race") != 1 || s.Duplicates("race") != n-1 {
			t.Errorf("Creates = %d, Duplicates = %d; want 1 and %d", s.Creates("race"), s.Duplicates("race"), n-1)
		}
	})
	t.Run("DistinctIDsGetDistinctCids", func(t *testing.T) {
		s := cregistest.NewServer(t)
		const n = 24
		cids := make(chan any, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				r, err := tryCall(s, cregis.PathPayout, payoutFields(fmt.Sprint("par-", i)))
				if err != nil || r.Code != cregis.CodeOK {
					t.Errorf("create %d: code %s, error %v; want 00000", i, r.Code, err)
				}
				cids <- r.Data["cid"]
			})
		}
		wg.Wait()
		close(cids)
		seen := map[any]bool{}
		for c := range cids {
			seen[c] = true
		}
		if len(seen) != n || len(s.Payouts()) != n {
			t.Errorf("%d distinct cids, %d payouts; want %d of each", len(seen), len(s.Payouts()), n)
		}
	})
}

func TestAddressLegal(t *testing.T) {
	s := cregistest.NewServer(t)
	s.MarkAddressInvalid("TMarked")
	cases := []struct {
		desc    string
		chainID string
		address string
		want    bool
	}{
		{"a well-formed address is legal", "195", "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", true},
		{"an address with a space is not", "195", "TXsmKp EuW7q", false},
		{"an address the test marked invalid is not", "195", "TMarked", false},
		{"an address on a chain without coins is not", "999", "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", false},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			r := call(t, s, cregis.PathAddressLegal, map[string]any{"chain_id": tc.chainID, "address": tc.address})
			if r.Code != cregis.CodeOK || r.Data["result"] != tc.want {
				t.Errorf("code %s, result %v; want 00000 and %v", r.Code, r.Data["result"], tc.want)
			}
		})
	}
	t.Run("AMissingAddressIsA0001", func(t *testing.T) {
		if r := call(t, s, cregis.PathAddressLegal, map[string]any{"chain_id": "195"}); r.Code != "A0001" || !hasField(r.Msg, "address") {
			t.Errorf("code %s (%s), want A0001 naming address", r.Code, r.Msg)
		}
	})
}

func TestCoinsListsTheCoinTable(t *testing.T) {
	s := cregistest.NewServer(t, cregistest.WithCoins(cregis.Coin{CoinName: "XRP", ChainID: "144", TokenID: "144", Decimals: 6}))
	r := call(t, s, cregis.PathCoins, nil)
	want := `{"code":"00000","msg":"ok","data":{"payout_coins":[{"coin_name":"XRP","chain_id":"144","token_id":"144","decimals":6}],` +
		`"address_coins":[{"coin_name":"XRP","chain_id":"144","token_id":"144","decimals":6}]}}`
	if string(r.Raw) != want {
		t.Errorf("body = %s\nwant %s", r.Raw, want)
	}
	t.Run("CoinsOutsideTheTableAreE0005", func(t *testing.T) {
		if r := call(t, s, cregis.PathPayout, payoutFields("trx")); r.Code != "E0005" {
			t.Errorf("code = %s, want E0005", r.Code)
		}
	})
}

func TestDefaultCoinsHaveTheDocumentedDecimals(t *testing.T) {
	want := map[string]int{"195@195": 6, "195@TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t": 6, "60@60": 18,
		"60@0xdac17f958d2ee523a2206206994597c13d831ec7": 6, "144@144": 6, "2000@2000": 9, "1000@1000": 9, "0@0": 8}
	got := map[string]int{}
	for _, c := range cregistest.DefaultCoins() {
		got[c.Currency()] = c.Decimals
	}
	if !maps.Equal(got, want) {
		t.Errorf("DefaultCoins = %v, want %v", got, want)
	}
}
