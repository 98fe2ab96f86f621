package cregis

import "context"

// AddressLegal asks POST /api/v1/address/legal whether address is well formed
// for the chain.
func (c *Client) AddressLegal(ctx context.Context, chainID, address string) (bool, error) {
	panic("unimplemented")
}
