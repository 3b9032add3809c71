package cli

import "testing"

func TestParseGas(t *testing.T) {
	for _, tc := range []struct {
		in   string
		gas  uint64
		auto bool
		ok   bool
	}{
		{"200000", 200000, false, true},
		{" 1 ", 1, false, true},
		{"auto", 0, true, true},
		{"AUTO", 0, true, true},
		{"0", 0, false, false},
		{"-1", 0, false, false},
		{"1.5", 0, false, false},
		{"lots", 0, false, false},
		{"", 0, false, false},
	} {
		gas, auto, err := ParseGas(tc.in)
		if (err == nil) != tc.ok || gas != tc.gas || auto != tc.auto {
			t.Errorf("ParseGas(%q) = %d, %v, %v; want %d, %v, ok=%v", tc.in, gas, auto, err, tc.gas, tc.auto, tc.ok)
		}
	}
}

func TestParseFeesAndAmounts(t *testing.T) {
	if fees, err := ParseFees(""); err != nil || fees != nil {
		t.Fatalf("empty --fees: %v, %v", fees, err)
	}
	if fees, err := ParseFees("250uself"); err != nil || fees.String() != "250uself" {
		t.Fatalf("--fees 250uself: %v, %v", fees, err)
	}
	for _, bad := range []string{"-5uself", "5", "uself", "5u", "1.5uself", "5uself,5uself"} {
		if _, err := ParseAmount(bad); err == nil {
			t.Errorf("ParseAmount(%q) accepted", bad)
		}
		if _, err := ParseFees(bad); err == nil {
			t.Errorf("ParseFees(%q) accepted", bad)
		}
	}
	if c, err := ParseAmount("5uself,10uatom"); err != nil || c.String() != "10uatom,5uself" {
		t.Fatalf("multi-denom amount: %v, %v", c, err)
	}
}
