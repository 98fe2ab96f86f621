package cregistest

import (
	"fmt"

	"github.com/payoutd/payoutd/cregis"
)

// DefaultCoins returns the well-known tokens of the Cregis notes with their
// decimals: TRX, USDT-TRC20, ETH, USDT-ERC20, XRP, TON, SOL and BTC.
func DefaultCoins() []cregis.Coin {
	return []cregis.Coin{
		{CoinName: "TRX", ChainID: "195", TokenID: "195", Decimals: 6},
		{CoinName: "USDT-TRC20", ChainID: "195", TokenID: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", Decimals: 6},
		{CoinName: "ETH", ChainID: "60", TokenID: "60", Decimals: 18},
		{CoinName: "USDT-ERC20", ChainID: "60", TokenID: "0xdac17f958d2ee523a2206206994597c13d831ec7", Decimals: 6},
		{CoinName: "XRP", ChainID: "144", TokenID: "144", Decimals: 6},
		{CoinName: "TON", ChainID: "2000", TokenID: "2000", Decimals: 9},
		{CoinName: "SOL", ChainID: "1000", TokenID: "1000", Decimals: 9},
		{CoinName: "BTC", ChainID: "0", TokenID: "0", Decimals: 8},
	}
}

// Chains whose payouts may carry a memo.
const (
	chainXRP = "144"
	chainTON = "2000"
)

// coinTable finds a coin by "chain_id@token_id" or by coin name.
type coinTable struct {
	coins  []cregis.Coin
	byName map[string]cregis.Coin
}

func newCoinTable(coins []cregis.Coin) *coinTable {
	t := &coinTable{coins: coins, byName: make(map[string]cregis.Coin, 2*len(coins))}
	for _, c := range coins {
		t.byName[c.Currency()] = c
		t.byName[c.CoinName] = c
	}
	return t
}

// lookup finds the coin a request's currency names.
func (t *coinTable) lookup(currency string) (cregis.Coin, bool) {
	c, ok := t.byName[currency]
	return c, ok
}

// hasChain reports whether any coin is on the chain.
func (t *coinTable) hasChain(chainID string) bool {
	for _, c := range t.coins {
		if c.ChainID == chainID {
			return true
		}
	}
	return false
}

func validateCoins(coins []cregis.Coin) error {
	seen := map[string]bool{}
	for i, c := range coins {
		switch {
		case c.ChainID == "" || c.TokenID == "" || c.CoinName == "":
			return fmt.Errorf("cregistest: Config.Coins[%d] needs CoinName, ChainID and TokenID", i)
		case c.Decimals < 0 || c.Decimals > 36:
			return fmt.Errorf("cregistest: Config.Coins[%d].Decimals must be in [0, 36], got %d", i, c.Decimals)
		case seen[c.Currency()] || seen[c.CoinName]:
			return fmt.Errorf("cregistest: Config.Coins[%d] repeats %s", i, c.Currency())
		}
		seen[c.Currency()], seen[c.CoinName] = true, true
	}
	return nil
}

// coinJSON is one entry of /api/v1/coins.
type coinJSON struct {
	CoinName string `json:"coin_name"`
	ChainID  string `json:"chain_id"`
	TokenID  string `json:"token_id"`
	Decimals int    `json:"decimals"`
}

// coinsJSON is the data of /api/v1/coins.
type coinsJSON struct {
	PayoutCoins  []coinJSON `json:"payout_coins"`
	AddressCoins []coinJSON `json:"address_coins"`
}

func (t *coinTable) json() coinsJSON {
	list := make([]coinJSON, 0, len(t.coins))
	for _, c := range t.coins {
		list = append(list, coinJSON{c.CoinName, c.ChainID, c.TokenID, c.Decimals})
	}
	return coinsJSON{PayoutCoins: list, AddressCoins: list}
}
