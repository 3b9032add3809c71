package crypto

import (
	"crypto/ed25519"
	"crypto/rand"
	"runtime"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/slhdsa"
)

// Benchmarks of our wrappers next to the raw library calls they wrap, for
// the same keys, messages and mode (hedged PQ signing, our contexts). The raw
// hybrid is raw Ed25519 plus raw ML-DSA/SLH-DSA with the hybrid's own
// component keys, on the message each half signs.
// Run (SLH-DSA signing takes ~0.3-0.5 s, so few iterations suffice):
//
//	go test ./crypto/ -run '^$' -bench 'Verify' -benchtime 2s -count 5
//	go test ./crypto/ -run '^$' -bench 'Sign' -benchtime 3s -count 3
//	go test ./crypto/ -run '^$' -bench 'Overhead/verify' -count 3
//	go test ./crypto/ -run '^$' -bench 'Overhead/sign/(ed25519|mldsa65|hybrid)$' -count 3
//	go test ./crypto/ -run '^$' -bench 'Overhead/sign/(slhdsa|hybrid-slh)$' -benchtime 5x -count 3

// warmup builds every fixture (SLH-DSA signing makes much garbage) and
// collects, so no benchmark times the collection of another's setup.
func warmup(b *testing.B) {
	for _, name := range realSchemes {
		getFixture(b, name)
	}
	runtime.GC()
}

func reportSizes(b *testing.B, name string) {
	s, _ := Scheme(name)
	b.ReportMetric(float64(s.SigSize), "sig-bytes")
	b.ReportMetric(float64(s.PubKeySize), "pubkey-bytes")
}

func BenchmarkSign(b *testing.B) {
	warmup(b)
	for _, name := range realSchemes {
		b.Run(name, func(b *testing.B) {
			priv := getFixture(b, name).priv
			defer reportSizes(b, name) // after the loop: b.Loop's reset deletes metrics
			for b.Loop() {
				if _, err := priv.Sign(fixtureMsg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	warmup(b)
	for _, name := range realSchemes {
		b.Run(name, func(b *testing.B) {
			f := getFixture(b, name)
			defer reportSizes(b, name) // after the loop: b.Loop's reset deletes metrics
			for b.Loop() {
				if !f.pub.VerifySignature(fixtureMsg, f.sig) {
					b.Fatal("invalid")
				}
			}
		})
	}
}

// BenchmarkVerifyFromBytes is what the ante pays per transaction: decode the
// stored public key, then verify once (ML-DSA parses its key on first use).
func BenchmarkVerifyFromBytes(b *testing.B) {
	warmup(b)
	for _, name := range realSchemes {
		b.Run(name, func(b *testing.B) {
			f := getFixture(b, name)
			raw := f.pub.Bytes()
			defer reportSizes(b, name) // after the loop: b.Loop's reset deletes metrics
			for b.Loop() {
				pk, err := PubKeyFromTyped(name, raw)
				if err != nil || !pk.VerifySignature(fixtureMsg, f.sig) {
					b.Fatal("invalid")
				}
			}
		})
	}
}

// rawKeys are the library-level keys and signatures inside one fixture, so
// raw and wrapped benchmarks do the same work on the same data (SLH-DSA
// verification time varies from one signature to the next).
type rawKeys struct {
	edPriv ed25519.PrivateKey
	edPub  ed25519.PublicKey
	edMsg  []byte // what the Ed25519 (half) signs: prefix ‖ msg for hybrids
	edSig  []byte
	ctx    []byte // the PQ (half's) context
	mlSK   *mldsa65.PrivateKey
	mlPK   *mldsa65.PublicKey
	slhSK  *slhdsa.PrivateKey
	slhPK  *slhdsa.PublicKey
	pqSig  []byte
}

func getRaw(b *testing.B, name string) rawKeys {
	f := getFixture(b, name)
	var r rawKeys
	setPQ := func(pq any) {
		switch c := pq.(type) {
		case *mldsaPriv:
			r.mlSK, r.mlPK = c.sk, c.pub.key()
		case *slhPriv:
			r.slhSK, r.slhPK = &c.sk, &c.pub.pk
		}
	}
	switch k := f.priv.(type) {
	case ed25519PrivKey:
		r.edPriv, r.edMsg, r.edSig = k.key, fixtureMsg, f.sig
	case mldsa65PrivKey:
		setPQ(k.c)
		r.ctx, r.pqSig = mldsa65Context, f.sig
	case slhdsaPrivKey:
		setPQ(k.c)
		r.ctx, r.pqSig = slhdsaContext, f.sig
	case hybridPrivKey:
		setPQ(k.pq)
		r.edPriv, r.edSig, r.pqSig = k.ed, f.sig[:ed25519.SignatureSize], f.sig[ed25519.SignatureSize:]
		r.edMsg, r.ctx = append([]byte(k.spec.edPrefix), fixtureMsg...), k.spec.pqCtx
	}
	if r.edPriv != nil {
		r.edPub = r.edPriv.Public().(ed25519.PublicKey)
	}
	return r
}

func (r rawKeys) sign(b *testing.B) {
	if r.edPriv != nil {
		ed25519.Sign(r.edPriv, r.edMsg)
	}
	switch {
	case r.mlSK != nil:
		sig := make([]byte, mldsa65.SignatureSize)
		if err := mldsa65.SignTo(r.mlSK, fixtureMsg, r.ctx, true, sig); err != nil {
			b.Fatal(err)
		}
	case r.slhSK != nil:
		if _, err := slhdsa.SignRandomized(r.slhSK, rand.Reader, slhdsa.NewMessage(fixtureMsg), r.ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func (r rawKeys) verify() bool {
	if r.edPub != nil && !ed25519.Verify(r.edPub, r.edMsg, r.edSig) {
		return false
	}
	switch {
	case r.mlPK != nil:
		return mldsa65.Verify(r.mlPK, fixtureMsg, r.ctx, r.pqSig)
	case r.slhPK != nil:
		return slhdsa.Verify(r.slhPK, slhdsa.NewMessage(fixtureMsg), r.pqSig, r.ctx)
	}
	return true
}

// BenchmarkRawSign is raw Ed25519 and/or raw ML-DSA/SLH-DSA signing with the
// same keys, messages and contexts as BenchmarkSign.
func BenchmarkRawSign(b *testing.B) {
	warmup(b)
	for _, name := range realSchemes {
		b.Run(name, func(b *testing.B) {
			r := getRaw(b, name)
			defer reportSizes(b, name)
			for b.Loop() {
				r.sign(b)
			}
		})
	}
}

// BenchmarkRawVerify verifies the very signatures BenchmarkVerify does, with
// the library calls alone (for hybrids: both halves, already split).
func BenchmarkRawVerify(b *testing.B) {
	warmup(b)
	for _, name := range realSchemes {
		b.Run(name, func(b *testing.B) {
			r := getRaw(b, name)
			defer reportSizes(b, name)
			for b.Loop() {
				if !r.verify() {
					b.Fatal("invalid")
				}
			}
		})
	}
}

// BenchmarkRawVerifyFromBytes is the raw counterpart of VerifyFromBytes:
// unpack the key with the library, then verify.
func BenchmarkRawVerifyFromBytes(b *testing.B) {
	warmup(b)
	r := getRaw(b, KeyTypeMLDSA65)
	mlRaw := getFixture(b, KeyTypeMLDSA65).pub.Bytes()
	b.Run(KeyTypeMLDSA65, func(b *testing.B) {
		for b.Loop() {
			var pk mldsa65.PublicKey
			if err := pk.UnmarshalBinary(mlRaw); err != nil || !mldsa65.Verify(&pk, fixtureMsg, mldsa65Context, r.pqSig) {
				b.Fatal("invalid")
			}
		}
	})
}

// BenchmarkOverhead alternates our wrapper and the raw calls in every
// iteration and reports both and the difference, so that neither side
// benefits from running first or later in the process (separate benchmarks
// of SLH-DSA differ by a few percent just from their order).
func BenchmarkOverhead(b *testing.B) {
	warmup(b)
	for _, op := range []string{"sign", "verify"} {
		for _, name := range realSchemes {
			b.Run(op+"/"+name, func(b *testing.B) {
				f, r := getFixture(b, name), getRaw(b, name)
				ours, raw := func() {
					if _, err := f.priv.Sign(fixtureMsg); err != nil {
						b.Fatal(err)
					}
				}, func() { r.sign(b) }
				if op == "verify" {
					ours, raw = func() {
						if !f.pub.VerifySignature(fixtureMsg, f.sig) {
							b.Fatal("invalid")
						}
					}, func() {
						if !r.verify() {
							b.Fatal("invalid")
						}
					}
				}
				var tOurs, tRaw time.Duration
				n := 0
				for b.Loop() {
					t0 := time.Now()
					ours()
					t1 := time.Now()
					raw()
					tOurs += t1.Sub(t0)
					tRaw += time.Since(t1)
					n++
				}
				b.ReportMetric(float64(tOurs.Nanoseconds())/float64(n), "ours-ns/op")
				b.ReportMetric(float64(tRaw.Nanoseconds())/float64(n), "raw-ns/op")
				b.ReportMetric((float64(tOurs)/float64(tRaw)-1)*100, "overhead-%")
			})
		}
	}
}
