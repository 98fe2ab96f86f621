package tasks

import "testing"

func TestLegalTransition(t *testing.T) {
	// The table, written out independently of the transitions map.
	legal := map[State][]State{
		StateQueued:      {StateSubmitting, StateRejected, StateCanceled},
		StateSubmitting:  {StateSubmitting, StateSubmitted, StateUnconfirmed, StateRejected, StateSucceeded, StateFailed, StateCanceled},
		StateSubmitted:   {StateSubmitted, StateSucceeded, StateFailed},
		StateUnconfirmed: {StateUnconfirmed, StateSubmitted, StateSucceeded, StateFailed},
		StateSucceeded:   {},
		StateFailed:      {},
		StateRejected:    {},
		StateCanceled:    {},
	}
	for _, from := range States {
		for _, to := range States {
			want := false
			for _, s := range legal[from] {
				want = want || s == to
			}
			if from == to && !from.Terminal() {
				want = true // a same-state update of a non-terminal record
			}
			if got := LegalTransition(from, to); got != want {
				t.Errorf("LegalTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
	}
}

func TestLegalTransitionRefusesUnknownStates(t *testing.T) {
	cases := []struct {
		desc     string
		from, to State
	}{
		{"from an unknown state", "paused", StateQueued},
		{"to an unknown state", StateQueued, "paused"},
		{"an unknown state to itself", "paused", "paused"},
		{"the empty state to itself", "", ""},
		{"the empty state to queued", "", StateQueued},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			if LegalTransition(tc.from, tc.to) {
				t.Fatalf("LegalTransition(%q, %q) = true, want false", tc.from, tc.to)
			}
		})
	}
}

func TestTerminal(t *testing.T) {
	want := map[State]bool{StateSucceeded: true, StateFailed: true, StateRejected: true, StateCanceled: true}
	if !StateCanceled.Valid() {
		t.Fatal("canceled is not a valid state")
	}
	for _, s := range States {
		if got := s.Terminal(); got != want[s] {
			t.Errorf("%s.Terminal() = %v, want %v", s, got, want[s])
		}
	}
}
