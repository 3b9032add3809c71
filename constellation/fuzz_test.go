package constellation

import "testing"

// FuzzParseSpec: any bytes in constellation.yaml give a spec that validates or
// an error, never a panic; an accepted spec survives Marshal -> ParseSpec.
func FuzzParseSpec(f *testing.F) {
	s := testSpec("acme", 4)
	s.Defaults()
	s.BasePort = 30000
	good, err := s.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("name: acme\nvalidators: 4\ntoken: {denom: uacme, supply: \"10\"}\n"))
	f.Add([]byte("name: [acme"))
	f.Add([]byte("block_time: 1\n"))
	f.Fuzz(func(t *testing.T, bz []byte) {
		spec, err := ParseSpec(bz)
		if err != nil {
			return
		}
		if err := spec.Validate(); err != nil {
			t.Fatalf("ParseSpec accepted an invalid spec: %v", err)
		}
		out, err := spec.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseSpec(out); err != nil {
			t.Fatalf("re-parse of a marshalled spec: %v\n%s", err, out)
		}
	})
}
