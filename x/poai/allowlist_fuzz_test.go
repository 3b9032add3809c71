package poai_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/poai"
)

// FuzzAllowedOperators: any list (entries split on ',') is either refused by
// Params.Validate or is a duplicate-free list of canonical addresses each of
// which OperatorAllowed admits; validation never panics.
func FuzzAllowedOperators(f *testing.F) {
	f.Add(alice.Addr.String() + "," + bob.Addr.String())
	f.Add(alice.Addr.String() + "," + alice.Addr.String())
	f.Add(strings.ToUpper(alice.Addr.String()))
	f.Add("self1,,")
	f.Fuzz(func(t *testing.T, s string) {
		p := poai.DefaultParams()
		if s != "" {
			p.AllowedOperators = strings.Split(s, ",")
		}
		if p.Validate() != nil {
			return
		}
		seen := map[string]bool{}
		for _, a := range p.AllowedOperators {
			if seen[a] || !p.OperatorAllowed(a) || strings.ToLower(a) != a {
				t.Fatalf("accepted list %q: %q duplicated, not admitted or not canonical", p.AllowedOperators, a)
			}
			seen[a] = true
		}
		if len(p.AllowedOperators) > 0 && p.OperatorAllowed(stranger.Addr.String()) && !seen[stranger.Addr.String()] {
			t.Fatalf("a non-empty list admits an unlisted operator")
		}
	})
}

// BenchmarkGetParams measures what allowed_operators costs the block: EndBlock
// reads the params every block. Empty list (the SELF main chain) against the
// bound of 1,000 entries.
func BenchmarkGetParams(b *testing.B) {
	for _, n := range []int{0, poai.MaxAllowedOperators} {
		b.Run(fmt.Sprintf("operators=%d", n), func(b *testing.B) {
			p := testParams(alice.Addr.String())
			for i := 0; i < n; i++ {
				p.AllowedOperators = append(p.AllowedOperators, testutil.NewAccount(2000+i).Addr.String())
			}
			bz, err := p.Marshal()
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(bz)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				var q poai.Params
				if err := q.Unmarshal(bz); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
