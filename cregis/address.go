package cregis

import "context"

// AddressLegal asks POST /api/v1/address/legal whether address is well formed
// for the chain. chainID and address are required.
func (c *Client) AddressLegal(ctx context.Context, chainID, address string) (bool, error) {
	r := newRequest(PathAddressLegal)
	r.required("chain_id", chainID)
	r.required("address", address)
	var d legalData
	if err := c.call(ctx, r, &d); err != nil {
		return false, err
	}
	return *d.Result, nil
}

// legalData is the data of /api/v1/address/legal.
type legalData struct {
	Result *bool `json:"result"`
}

func (d *legalData) complete() bool { return d.Result != nil }
