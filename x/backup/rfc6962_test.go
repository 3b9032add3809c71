package backup

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/cometbft/cometbft/crypto/merkle"
)

// cometVerify is the check verifyPath replaces, as proof.go made it before.
func cometVerify(root []byte, total, index int64, leaf []byte, aunts [][]byte) error {
	h := sha256.Sum256(append([]byte{0}, leaf...))
	pr := merkle.Proof{Total: total, Index: index, LeafHash: h[:], Aunts: aunts}
	if err := pr.ValidateBasic(); err != nil {
		return err
	}
	return pr.Verify(root, leaf)
}

// FuzzVerifyPathMatchesCometBFT: for trees of every shape, real paths and
// tampered ones (wrong index, total, aunt, leaf, root; aunts added or
// dropped), verifyPath accepts exactly what CometBFT's merkle.Proof accepts.
func FuzzVerifyPathMatchesCometBFT(f *testing.F) {
	f.Add(uint16(1), uint16(0), byte(0), uint32(0))
	f.Add(uint16(7), uint16(6), byte(1), uint32(3))
	f.Add(uint16(1000), uint16(513), byte(2), uint32(99))
	f.Add(uint16(65), uint16(64), byte(5), uint32(1))
	f.Fuzz(func(t *testing.T, n, index uint16, tamper byte, arg uint32) {
		total := int(n%2048) + 1
		leaves := make([][]byte, total)
		for i := range leaves {
			leaves[i] = binary.BigEndian.AppendUint32(bytes.Repeat([]byte{byte(i)}, int(arg%70)), uint32(i))
		}
		root, proofs := merkle.ProofsFromByteSlices(leaves)
		idx := int64(index) % int64(total)
		leaf, aunts := leaves[idx], append([][]byte(nil), proofs[idx].Aunts...)
		tot := int64(total)
		switch tamper % 9 {
		case 1:
			idx = int64(arg) % (tot + 2)
		case 2:
			tot = int64(arg) % (2 * tot)
		case 3:
			if len(aunts) > 0 {
				k := int(arg) % len(aunts)
				aunts[k] = append([]byte(nil), aunts[k]...)
				aunts[k][arg%32] ^= 1
			}
		case 4:
			if len(aunts) > 0 {
				aunts = aunts[:len(aunts)-1]
			}
		case 5:
			aunts = append(aunts, root)
		case 6:
			leaf = append([]byte{1}, leaf...)
		case 7:
			root = root[:arg%32]
		case 8:
			if len(aunts) > 0 {
				aunts[0] = aunts[0][:arg%32]
			}
		}
		want, got := cometVerify(root, tot, idx, leaf, aunts), verifyPath(root, tot, idx, leaf, aunts)
		if (want == nil) != (got == nil) {
			t.Fatalf("total %d index %d tamper %d: CometBFT says %v, verifyPath %v", tot, idx, tamper%9, want, got)
		}
		if tamper%9 == 0 && got != nil {
			t.Fatalf("a real path is refused: %v", got)
		}
	})
}

// FuzzSegmentRootMatchesCometBFT: the segment root of any ciphertext is
// merkle.HashFromByteSlices over its segments.
func FuzzSegmentRootMatchesCometBFT(f *testing.F) {
	f.Add([]byte{1}, uint32(0))
	f.Add(bytes.Repeat([]byte{7}, 3000), uint32(5000))
	f.Add([]byte("x"), uint32(70_000))
	f.Fuzz(func(t *testing.T, seed []byte, extra uint32) {
		ct := append(bytes.Clone(seed), make([]byte, extra%(300*SegmentSize))...)
		for i := len(seed); i < len(ct); i++ {
			ct[i] = byte(i * 31)
		}
		if len(ct) == 0 {
			return
		}
		if got, want := segmentRoot(ct), merkle.HashFromByteSlices(Segments(ct)); !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: segment root %x, CometBFT %x", len(ct), got, want)
		}
	})
}

func BenchmarkChunkLeafOf1MiB(b *testing.B) {
	ct := bytes.Repeat([]byte{3}, 1<<20)
	b.SetBytes(int64(len(ct)))
	for b.Loop() {
		_, _ = ChunkLeafOf(ct)
	}
}

// BenchmarkVerifyPath compares verifyPath with the CometBFT check it
// replaces on a full-size proof path (a 1 KiB segment under 6 aunts, as a
// storage proof's segment half).
func BenchmarkVerifyPath(b *testing.B) {
	ct := bytes.Repeat([]byte{9}, 64<<10)
	segs := Segments(ct)
	root, proofs := merkle.ProofsFromByteSlices(segs)
	for _, c := range []struct {
		name string
		f    func(root []byte, total, index int64, leaf []byte, aunts [][]byte) error
	}{{"cometbft", cometVerify}, {"rfc6962", verifyPath}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if err := c.f(root, int64(len(segs)), 37, segs[37], proofs[37].Aunts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
