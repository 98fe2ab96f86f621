package cregistest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/payoutd/payoutd/cregis"
	"github.com/payoutd/payoutd/cregis/cregistest"
)

// A test starts its own fake, scripts it, drives the code under test
// against s.Client(), and reads back what the fake saw. The fake closes when
// the test ends.
func ExampleNewServer() {
	var t *testing.T // the test's own t, e.g. in TestPayoutSurvivesALostAnswer

	s := cregistest.NewServer(t, cregistest.WithQueryMode(cregistest.QueryInfoOnly))
	s.SetFate("order-17", cregis.StatusSucceeded)
	s.FailCreatesAfterApply(1, cregistest.FaultGatewayTimeout) // the payout lands, the answer is lost

	req := cregis.PayoutRequest{Currency: "195@195", ToAddress: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS", Amount: "10", ThirdPartyID: "order-17"}
	ctx := context.Background()
	if _, err := s.Client().Payout(ctx, req); !cregis.OutcomeUnknown(err) {
		t.Fatalf("first create: %v, want an unknown outcome", err)
	}
	if _, err := s.Client().Payout(ctx, req); !errors.Is(err, cregis.ErrDuplicateThirdPartyID) {
		t.Fatalf("retry: %v, want E0009", err)
	}
	if n := s.Creates("order-17"); n != 1 {
		t.Fatalf("the fake accepted %d creates, want 1", n)
	}
}

// Start runs a fake without a test, as the demo and cregis-sandbox do. A
// manual clock makes the payout move only when told to.
func ExampleStart() {
	clock := cregistest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s, err := cregistest.Start(cregistest.Config{NowFunc: clock.Now})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	ctx := context.Background()
	cid, err := s.Client().Payout(ctx, cregis.PayoutRequest{
		Currency: "195@195", ToAddress: "Treject4-scripted-by-marker", Amount: "10", ThirdPartyID: "order-1",
	})
	if err != nil {
		panic(err)
	}
	for range 2 {
		info, _ := s.Client().SubAddressWithdrawalInfo(ctx, cid)
		fmt.Println(info.Status)
		clock.Advance(cregistest.DefaultDwell)
	}
	// Output:
	// pending_approval
	// review_rejected
}
