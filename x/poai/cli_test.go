package poai_test

import (
	"testing"

	"github.com/selfchain/selfchain/x/poai"
)

func TestParseCommission(t *testing.T) {
	for in, want := range map[string]uint32{"0.1": 100_000, "5%": 50_000, "0": 0, "1": 1_000_000, "0.000001": 1, "12.5%": 125_000, ".25": 250_000} {
		got, err := poai.ParseCommission(in)
		if err != nil || got != want {
			t.Errorf("poai.ParseCommission(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"1.1", "101%", "abc", "0.0000001", "-1"} {
		if _, err := poai.ParseCommission(bad); err == nil {
			t.Errorf("poai.ParseCommission(%q) accepted", bad)
		}
	}
}
