package voteext_test

import (
	"testing"

	"github.com/selfchain/selfchain/x/poai/voteext"
	"github.com/selfchain/selfchain/x/poai/voteext/voteexttest"
)

// VerifyVoteExtension's decoder never panics, and whatever it accepts re-encodes
// to the same bytes and stays within the limits.
func FuzzVerifyExtension(f *testing.F) {
	f.Add(voteexttest.Extension(9, hash32, 1, 2, 3), int64(10))
	f.Add([]byte{}, int64(1))
	f.Add([]byte{0x08, 0x01, 0x10, 0x09}, int64(10))
	f.Fuzz(func(t *testing.T, bz []byte, height int64) {
		if err := voteext.VerifyExtension(bz, height); err != nil || len(bz) == 0 {
			return
		}
		ve, err := voteext.DecodeExtension(bz)
		if err != nil {
			t.Fatalf("verified but does not decode: %v", err)
		}
		if len(bz) > voteext.MaxExtensionBytes || len(ve.Blocks) > voteext.MaxReports {
			t.Fatalf("accepted an extension beyond the limits: %+v", ve)
		}
		for _, b := range ve.Blocks {
			if len(b.TxIndices) > voteext.MaxScores || b.Height >= height || b.Height < height-voteext.MaxWindow {
				t.Fatalf("accepted a block beyond the limits: %+v", b)
			}
		}
	})
}

// The injected-tx decoder never panics and accepts only canonical encodings.
func FuzzDecodeInjectedTx(f *testing.F) {
	set := voteexttest.NewSet(9, []int64{3, 2})
	c := set.Commit("c", 5, 0, func(int) []byte { return voteexttest.Extension(4, hash32, 1) }, nil)
	bz, _ := voteext.EncodeInjectedTx(&c)
	f.Add(bz)
	f.Add(voteext.InjectedTxMarker)
	f.Add([]byte{0x00, 0x01})
	f.Fuzz(func(t *testing.T, bz []byte) {
		c, err := voteext.DecodeInjectedTx(bz)
		if err != nil {
			return
		}
		again, err := voteext.EncodeInjectedTx(c)
		if err != nil || string(again) != string(bz) {
			t.Fatalf("accepted a non-canonical injected tx")
		}
		voteext.ScoresFromCommit(c) // reading its scores never panics either
	})
}
