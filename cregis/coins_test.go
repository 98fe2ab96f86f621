package cregis_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/payoutd/payoutd/cregis"
)

func TestCoins(t *testing.T) {
	s := newStub(t, okData(`{
		"payout_coins": [
			{"coin_name":"TRX","chain_id":"195","token_id":"195","decimals":6},
			{"coin_name":"USDT","chain_id":"195","token_id":"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t","decimals":"6","logo":"x"}
		],
		"address_coins": [{"coin_name":"ETH","chain_id":"60","token_id":"60","decimals":"18"}]
	}`))
	got, err := newClient(t, s.URL).Coins(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := &cregis.Coins{
		PayoutCoins: []cregis.Coin{
			{CoinName: "TRX", ChainID: "195", TokenID: "195", Decimals: 6},
			{CoinName: "USDT", ChainID: "195", TokenID: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", Decimals: 6},
		},
		AddressCoins: []cregis.Coin{{CoinName: "ETH", ChainID: "60", TokenID: "60", Decimals: 18}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Coins = %+v\nwant %+v", got, want)
	}
	if c := got.PayoutCoins[1].Currency(); c != "195@TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t" {
		t.Errorf("Currency() = %s, want 195@TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", c)
	}
	req := s.last(t)
	if req.Path != cregis.PathCoins || len(req.Fields) != 4 {
		t.Errorf("request %s %s, want %s with only pid, nonce, timestamp, sign", req.Path, req.Body, cregis.PathCoins)
	}
}

func TestCoinsWithoutUsableDecimalsIsHTTPError(t *testing.T) {
	for _, coin := range []string{
		`{"coin_name":"TRX"}`,
		`{"coin_name":"TRX","decimals":""}`,
		`{"coin_name":"TRX","decimals":-1}`,
		`{"coin_name":"TRX","decimals":6.5}`,
	} {
		s := newStub(t, okData(`{"payout_coins":[`+coin+`],"address_coins":[]}`))
		_, err := newClient(t, s.URL).Coins(context.Background())
		var he *cregis.HTTPError
		if !errors.As(err, &he) {
			t.Errorf("Coins with coin %s error = %v, want *HTTPError", coin, err)
		}
	}
}
