package cregis_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/payoutd/payoutd/cregis"
)

// The status query of the documentation, signed with its example key.
func ExampleSign() {
	sign := cregis.Sign("f502a9ac9ca54327986f29c03b271491", map[string]any{
		"pid":       int64(1382528827416576),
		"cid":       int64(1382626461605888),
		"nonce":     "sw7kv5",
		"timestamp": int64(1687853722065),
	})
	fmt.Println(sign)
	// Output: af825ddb839e6796d62977caf18d3394
}

func ExampleNew() {
	c, err := cregis.New(cregis.Config{
		BaseURL: "https://t-xxxxxxxx.cregis.dev",
		PID:     1382528827416576,
		APIKey:  "f502a9ac9ca54327986f29c03b271491",
		Timeout: 10 * time.Second,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("client for project", c.PID())

	// Plain http is refused except on loopback; the error names the field.
	_, err = cregis.New(cregis.Config{BaseURL: "http://t-xxxxxxxx.cregis.dev", PID: 1, APIKey: "k"})
	fmt.Println(err)
	// Output:
	// client for project 1382528827416576
	// cregis: invalid Config.BaseURL: must be https (plain http only for a loopback host)
}

func ExampleClient_ParseCallback() {
	const key = "f502a9ac9ca54327986f29c03b271491"
	c, _ := cregis.New(cregis.Config{BaseURL: "https://t-xxxxxxxx.cregis.dev", PID: 1382528827416576, APIKey: key})

	// What Cregis would POST to the callback_url (built and signed here).
	fields := map[string]any{
		"pid": json.Number("1382528827416576"), "cid": json.Number("1382688606330880"),
		"currency": "195@195", "address": "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", "amount": "1.1",
		"third_party_id": "c9231e604da54469a735af3f449c880f", "status": json.Number("6"),
		"nonce": "hwlkk6", "timestamp": json.Number("1688004243314"),
	}
	fields["sign"] = cregis.Sign(key, fields)
	body, _ := json.Marshal(fields)

	cb, err := c.ParseCallback(body)
	if err != nil {
		fmt.Println("refused:", err) // answer anything but "success"
		return
	}
	fmt.Println(cb.ThirdPartyID, cb.CID, cb.Status, cb.Status.Terminal(), cb.Recipient())
	// Output: c9231e604da54469a735af3f449c880f 1382688606330880 succeeded true TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS
}
