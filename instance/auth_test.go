package instance

import "testing"

func TestSessionSequenceWindow(t *testing.T) {
	s := &session{}
	for _, c := range []struct {
		seq  uint64
		want bool
	}{
		{0, false}, {1, true}, {1, false}, {3, true}, {2, true}, {2, false}, {3, false},
		{100, true}, {36, false}, {37, true}, {37, false}, {99, true}, {101, true}, {100, false},
	} {
		if got := s.accept(c.seq); got != c.want {
			t.Fatalf("accept(%d) = %v, want %v (high %d)", c.seq, got, c.want, s.high)
		}
	}
}

func TestParseUint(t *testing.T) {
	for in, ok := range map[string]bool{"1": true, "18446744073709551615": true, "18446744073709551616": false, "": false, "-1": false, "1a": false, "+1": false} {
		if _, err := parseUint(in); (err == nil) != ok {
			t.Errorf("parseUint(%q): %v", in, err)
		}
	}
}
