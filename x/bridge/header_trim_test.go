package bridge_test

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"
	"time"

	cmtcrypto "github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/mldsa65"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/x/bridge"
)

// signers counts the commit signatures of a header that are present.
func signers(t *testing.T, h bridge.Header) int {
	var sp cmtproto.SignedHeader
	require.NoError(t, sp.Unmarshal(h.SignedHeader))
	n := 0
	for _, s := range sp.Commit.Signatures {
		if s.BlockIdFlag == cmtproto.BlockIDFlagCommit {
			n++
		}
	}
	return n
}

// dropOne marks one more present signature absent (the last).
func dropOne(t *testing.T, h *bridge.Header) {
	var sp cmtproto.SignedHeader
	require.NoError(t, sp.Unmarshal(h.SignedHeader))
	for i := len(sp.Commit.Signatures) - 1; i >= 0; i-- {
		if sp.Commit.Signatures[i].BlockIdFlag == cmtproto.BlockIDFlagCommit {
			sp.Commit.Signatures[i] = cmtproto.CommitSig{BlockIdFlag: cmtproto.BlockIDFlagAbsent}
			break
		}
	}
	bz, err := sp.Marshal()
	require.NoError(t, err)
	h.SignedHeader = bz
}

// A trimmed adjacent update of 7 ML-DSA-65 validators keeps 5 signatures (> 2/3 of the
// power) and verifies, storing the same consensus state; one signature fewer is
// refused with invalid header (4) and changes nothing.
func TestTrimmedUpdateAdjacent(t *testing.T) {
	src := newTestChain(t, "src-1", 7, "ml_dsa_65")
	dst := newTestChain(t, "dst-1", 1, "ed25519")
	id := dst.createClient(src)
	src.ta.NextBlock()
	trusted := dst.clientInfo(id).Client.LatestHeight
	sh := src.header()
	full := src.bridgeHeader(sh, trusted)
	h := full
	dropped, err := bridge.TrimSignatures(&h, testParams().TrustLevel)
	require.NoError(t, err)
	require.Equal(t, 2, dropped)
	require.Equal(t, 5, signers(t, h))
	require.Less(t, h.Size(), full.Size()-2*3000, "two ML-DSA-65 signatures fewer")

	tooFew := h
	dropOne(t, &tooFew)
	dst.fails(dst.relayer, bridge.ErrInvalidHeader, &bridge.MsgUpdateClient{Relayer: dst.relayer.Addr.String(), ClientId: id, Header: tooFew})

	dst.ok(dst.relayer, &bridge.MsgUpdateClient{Relayer: dst.relayer.Addr.String(), ClientId: id, Header: h})
	require.Equal(t, uint64(sh.Height), dst.clientInfo(id).Client.LatestHeight)
	// The untrimmed header of the same height is the same consensus state: a no-op,
	// not misbehaviour.
	dst.ok(dst.relayer, &bridge.MsgUpdateClient{Relayer: dst.relayer.Addr.String(), ClientId: id, Header: full})
	require.Equal(t, bridge.CLIENT_STATUS_ACTIVE, dst.clientInfo(id).Status)
}

// weightedSet is n validators of the given power (deterministic keys from seed).
func weightedSet(seed string, n int, power int64) ([]cmtcrypto.PrivKey, []*cmttypes.Validator) {
	var keys []cmtcrypto.PrivKey
	var vs []*cmttypes.Validator
	for i := range n {
		s := sha256.Sum256(binary.BigEndian.AppendUint64([]byte(seed+"/validator/"), uint64(i)))
		k, err := mldsa65.GenPrivKeyFromSeed(s[:])
		if err != nil {
			panic(err)
		}
		keys = append(keys, k)
		vs = append(vs, cmttypes.NewValidator(k.PubKey(), power))
	}
	return keys, vs
}

// A skipping update across a validator-set change: the new set puts four heavy
// newcomers first, so > 2/3 of its power is reached with one of the trusted
// validators, but the trust level (1/3 of the trusted set) needs three of them.
// TrimSignatures keeps those; trimming to the new set's 2/3 alone is refused with
// not enough trusted power (9), and changes nothing.
func TestTrimmedUpdateSkippingKeepsTrustedPower(t *testing.T) {
	src := newTestChain(t, "src-1", 7, "ml_dsa_65") // power 10 each: trusted total 70, need > 23
	dst := newTestChain(t, "dst-1", 1, "ed25519")
	id := dst.createClient(src)
	trusted := dst.clientInfo(id).Client.LatestHeight

	newKeys, newVals := weightedSet("newcomers", 4, 30) // 120 of 190: > 126 needs one old one too
	all := append(append([]*cmttypes.Validator{}, newVals...), src.vals.Copy().Validators...)
	set := cmttypes.NewValidatorSet(all)
	keyOf := map[string]cmtcrypto.PrivKey{}
	for _, k := range append(append([]cmtcrypto.PrivKey{}, newKeys...), src.keys...) {
		keyOf[string(k.PubKey().Address())] = k
	}
	keys := make([]cmtcrypto.PrivKey, set.Size())
	for i, v := range set.Validators {
		keys[i] = keyOf[string(v.Address)]
	}
	for i := 0; i < 4; i++ {
		require.Equal(t, int64(30), set.Validators[i].VotingPower, "the newcomers sign first")
	}
	src.ta.NextBlock()
	src.ta.NextBlock()
	sh := signHeader(src.id, src.ta.Height+1, src.ta.LastCommitID().Hash, src.ta.Time.Add(time.Second), keys, set, set, nil)
	bz, err := sh.ToProto().Marshal()
	require.NoError(t, err)
	h := bridge.Header{SignedHeader: bz, ValidatorSet: marshalSet(t, set), TrustedHeight: trusted, TrustedValidators: marshalSet(t, src.vals)}

	naive := h
	_, err = bridge.TrimSignatures(&naive, bridge.Fraction{Numerator: 2, Denominator: 3}) // "enough" by the new set alone
	require.NoError(t, err)
	for signers(t, naive) > 5 {
		dropOne(t, &naive)
	}
	require.Equal(t, 5, signers(t, naive))
	dst.fails(dst.relayer, bridge.ErrUntrustedValidators, &bridge.MsgUpdateClient{Relayer: dst.relayer.Addr.String(), ClientId: id, Header: naive})

	dropped, err := bridge.TrimSignatures(&h, testParams().TrustLevel)
	require.NoError(t, err)
	require.Equal(t, 4, dropped)
	require.Equal(t, 7, signers(t, h), "4 newcomers + 3 trusted")
	dst.ok(dst.relayer, &bridge.MsgUpdateClient{Relayer: dst.relayer.Addr.String(), ClientId: id, Header: h})
	require.Equal(t, uint64(sh.Height), dst.clientInfo(id).Client.LatestHeight)
}

// TrimSignatures never panics and never errors into a changed header on bad input.
func FuzzTrimSignatures(f *testing.F) {
	keys, vals := validatorSet("fuzz", 4, "ed25519")
	sh := signHeader("fz-1", 5, []byte("app"), time.Unix(1_700_000_000, 0).UTC(), keys, vals, vals, nil)
	bz, _ := sh.ToProto().Marshal()
	vp, _ := vals.ToProto()
	vbz, _ := vp.Marshal()
	f.Add(bz, vbz, uint64(0), uint64(1), uint64(3))
	f.Add(bz, vbz, uint64(3), uint64(1), uint64(3))
	f.Add([]byte{0x0a, 0xff}, vbz, uint64(3), uint64(0), uint64(0))
	f.Fuzz(func(t *testing.T, signed, set []byte, trustedHeight, num, den uint64) {
		h := bridge.Header{SignedHeader: signed, ValidatorSet: set, TrustedHeight: trustedHeight, TrustedValidators: set}
		n, err := bridge.TrimSignatures(&h, bridge.Fraction{Numerator: num, Denominator: den})
		if err != nil || n == 0 {
			require.Equal(t, signed, h.SignedHeader, "unchanged unless trimmed")
		}
	})
}
