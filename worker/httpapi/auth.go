package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// digest hashes a secret so that comparisons run in constant time whatever
// the lengths involved.
func digest(s string) [sha256.Size]byte { return sha256.Sum256([]byte(s)) }

// requireToken lets a request through only with "Authorization: Bearer <t>"
// for one of tokens. Every token is compared, in constant time.
func requireToken(tokens []string, next http.Handler) http.Handler {
	want := make([][sha256.Size]byte, len(tokens))
	for i, t := range tokens {
		want[i] = digest(t)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !tokenValid(want, r.Header.Get("Authorization")) {
			writeError(w, r, &Error{Code: CodeUnauthorized, Message: "a valid bearer token is required"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// tokenValid reports whether header is "Bearer <t>" for a wanted t.
func tokenValid(want [][sha256.Size]byte, header string) bool {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return false
	}
	got := digest(token)
	match := 0
	for _, w := range want {
		match |= subtle.ConstantTimeCompare(got[:], w[:])
	}
	return match == 1
}

// requireBasic lets a request through only with HTTP basic credentials
// user and password, compared in constant time.
func requireBasic(user, password string, next http.Handler) http.Handler {
	wantUser, wantPass := digest(user), digest(password)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		gotUser, gotPass := digest(u), digest(p)
		userOK := subtle.ConstantTimeCompare(gotUser[:], wantUser[:])
		passOK := subtle.ConstantTimeCompare(gotPass[:], wantPass[:])
		if !ok || userOK&passOK != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="payoutd monitoring", charset="UTF-8"`)
			writeError(w, r, &Error{Code: CodeUnauthorized, Message: "monitoring needs the monitor user and password"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
