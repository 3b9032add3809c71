package instance

import (
	"math/rand/v2"
	"testing"
)

func TestSessionSequenceWindow(t *testing.T) {
	s := &session{}
	const w = seqWindow
	for _, c := range []struct {
		seq  uint64
		want bool
	}{
		{0, false}, {1, true}, {1, false}, {3, true}, {2, true}, {2, false}, {3, false},
		{w + 100, true}, {100, false}, {101, true}, {101, false}, {w + 99, true}, {w + 101, true}, {w + 100, false},
		{10 * w, true}, {w + 102, false}, {9*w + 1, true}, {9*w + 1, false}, {9 * w, false},
	} {
		if got := s.accept(c.seq); got != c.want {
			t.Fatalf("accept(%d) = %v, want %v (high %d)", c.seq, got, c.want, s.high)
		}
	}
}

// TestSessionSequenceWindowModel: the bitmap answers as a plain set of used
// numbers with the window rule would, on random out-of-order streams.
func TestSessionSequenceWindowModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		s := &session{}
		used := map[uint64]bool{}
		var high uint64
		for i := range 5000 {
			seq := uint64(i) + r.Uint64N(3*seqWindow/2) // late and early, some repeats
			if r.IntN(10) == 0 {
				seq = r.Uint64N(uint64(i) + 1)
			}
			want := seq != 0 && !used[seq] && (seq > high || high-seq < seqWindow)
			if got := s.accept(seq); got != want {
				t.Fatalf("step %d: accept(%d) = %v, want %v (high %d)", i, seq, got, want, high)
			}
			if want {
				used[seq] = true
				high = max(high, seq)
			}
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
