package cregis

import "context"

// Coin is a token enabled for the project.
type Coin struct {
	CoinName string
	ChainID  string
	TokenID  string
	Decimals int // decoded from a JSON number or a string
}

// Currency returns the token's identifier "chain_id@token_id".
func (c Coin) Currency() string { return c.ChainID + "@" + c.TokenID }

// Coins lists the tokens enabled for the project.
type Coins struct {
	PayoutCoins  []Coin
	AddressCoins []Coin
}

// Coins queries POST /api/v1/coins. A coin without decimals (or with
// decimals outside 0..255) makes the answer an *HTTPError.
func (c *Client) Coins(ctx context.Context) (*Coins, error) {
	var d coinsData
	if err := c.call(ctx, newRequest(PathCoins), &d); err != nil {
		return nil, err
	}
	return &Coins{PayoutCoins: coinList(d.PayoutCoins), AddressCoins: coinList(d.AddressCoins)}, nil
}

// coinsData is the data of /api/v1/coins.
type coinsData struct {
	PayoutCoins  []coinData `json:"payout_coins"`
	AddressCoins []coinData `json:"address_coins"`
}

type coinData struct {
	CoinName wireString `json:"coin_name"`
	ChainID  wireString `json:"chain_id"`
	TokenID  wireString `json:"token_id"`
	Decimals wireInt    `json:"decimals"`
}

func (d *coinsData) complete() bool {
	for _, list := range [][]coinData{d.PayoutCoins, d.AddressCoins} {
		for _, coin := range list {
			if !coin.Decimals.Set || coin.Decimals.Val < 0 || coin.Decimals.Val > 255 {
				return false
			}
		}
	}
	return true
}

func coinList(in []coinData) []Coin {
	out := make([]Coin, 0, len(in))
	for _, d := range in {
		out = append(out, Coin{
			CoinName: string(d.CoinName),
			ChainID:  string(d.ChainID),
			TokenID:  string(d.TokenID),
			Decimals: int(d.Decimals.Val),
		})
	}
	return out
}
