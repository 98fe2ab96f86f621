package cregis_test

import (
	"context"
	"errors"
	"testing"

	"github.com/payoutd/payoutd/cregis"
)

func TestAddressLegal(t *testing.T) {
	tests := []struct {
		desc string
		data string
		want bool
	}{
		{"LegalAddressIsTrue", `{"result":true}`, true},
		{"IllegalAddressIsFalse", `{"result":false}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := newStub(t, okData(tt.data))
			got, err := newClient(t, s.URL).AddressLegal(context.Background(), "195", "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS")
			if err != nil || got != tt.want {
				t.Fatalf("AddressLegal = %v, %v; want %v, nil", got, err, tt.want)
			}
			req := s.last(t)
			if req.Path != cregis.PathAddressLegal || req.Fields["chain_id"] != "195" ||
				req.Fields["address"] != "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS" {
				t.Errorf("request %s %s, want %s with chain_id and address", req.Path, req.Body, cregis.PathAddressLegal)
			}
		})
	}
	t.Run("MissingResultIsHTTPError", func(t *testing.T) {
		s := newStub(t, okData(`{}`))
		_, err := newClient(t, s.URL).AddressLegal(context.Background(), "195", "T")
		var he *cregis.HTTPError
		if !errors.As(err, &he) {
			t.Errorf("AddressLegal error = %v, want *HTTPError", err)
		}
	})
	t.Run("EmptyAddressIsRefusedBeforeSending", func(t *testing.T) {
		_, err := newClient(t, "https://cregis.example").AddressLegal(context.Background(), "195", "")
		var re *cregis.RequestError
		if !errors.As(err, &re) || re.Field != "address" {
			t.Errorf("AddressLegal error = %v, want *RequestError for address", err)
		}
	})
}
