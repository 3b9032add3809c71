package main

import "testing"

// `up` on a one-validator chain said "1 validators" (issue 18).
func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 validators", 1: "1 validator", 4: "4 validators"} {
		if got := plural(n, "validator"); got != want {
			t.Errorf("plural(%d) = %q, want %q", n, got, want)
		}
	}
}
