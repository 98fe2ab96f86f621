package httpapi_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/payoutd/payoutd/worker/httpapi"
)

// A Handler without the api role serves health, metrics and the API
// document; every error, a 404 included, has the API's JSON shape.
func ExampleNew() {
	h, err := httpapi.New(httpapi.Config{})
	if err != nil {
		panic(err)
	}
	defer h.Close()
	for _, path := range []string{"/healthz", "/v1/payouts"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Print(rec.Code, " ", rec.Body.String())
	}
	// Output:
	// 200 {"status":"ok"}
	// 404 {"error":{"code":"not_found","message":"no such route"}}
}

// The monitoring UI shows a task payload's ids and hides everything else.
func ExampleFormatPayload() {
	fmt.Println(httpapi.FormatPayload([]byte(`{"third_party_id":"p-1","seq":2}`)))
	fmt.Println(httpapi.FormatPayload([]byte(`{"third_party_id":"p-1","note":"anything"}`)))
	// Output:
	// {"seq":2,"third_party_id":"p-1"}
	// {"note":"(hidden)","third_party_id":"p-1"}
}
