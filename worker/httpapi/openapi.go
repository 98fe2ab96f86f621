package httpapi

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the OpenAPI 3 document of the HTTP API, served at
// /v1/openapi.json. A test keeps it in step with routes.go.
//
//go:embed openapi.json
var OpenAPI []byte

// handleOpenAPI serves OpenAPI. It needs no token: it describes the API and
// holds nothing secret.
func handleOpenAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(OpenAPI)
	})
}
