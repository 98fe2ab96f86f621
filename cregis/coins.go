package cregis

import "context"

// Coin is a token enabled for the project.
type Coin struct {
	CoinName string
	ChainID  string
	TokenID  string
	Decimals int
}

// Currency returns the token's identifier "chain_id@token_id".
func (c Coin) Currency() string { return c.ChainID + "@" + c.TokenID }

// Coins lists the tokens enabled for the project.
type Coins struct {
	PayoutCoins  []Coin
	AddressCoins []Coin
}

// Coins queries POST /api/v1/coins.
func (c *Client) Coins(ctx context.Context) (*Coins, error) {
	panic("unimplemented")
}
