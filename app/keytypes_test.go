package app_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
)

// Every registered key type signs txs through the real path: CheckTx, a block,
// committed; the first tx carries the public key, the second omits it.
func TestEveryKeyTypeSignsTxs(t *testing.T) {
	schemes := crypto.Schemes()
	require.Subset(t, schemes, []string{crypto.KeyTypeEd25519, crypto.KeyTypeMLDSA65, crypto.KeyTypeSLHDSA, crypto.KeyTypeHybrid, crypto.KeyTypeHybridSLH})
	accs := make([]*testutil.Account, len(schemes))
	for i, kt := range schemes {
		accs[i] = testutil.NewAccountOfType(i, kt)
	}
	ta := testutil.NewTestApp(t, nil, testutil.Config(), testutil.GenesisAppState(accs, 1_000_000))
	ta.NextBlock()
	sink := testutil.NewAccount(900).Addr
	for i, kt := range schemes {
		first := testutil.Send(accs[i], sink, 100, testutil.TxOpts{Fee: fee(10)})
		require.Zero(t, ta.CheckTx(first).Code, kt)
		res := ta.NextBlock(first)
		require.Zero(t, res.TxResults[0].Code, "%s: %s", kt, res.TxResults[0].Log)

		second := testutil.Send(accs[i], sink, 100, testutil.TxOpts{Fee: fee(10), OmitPubKey: true})
		res = ta.NextBlock(second)
		require.Zero(t, res.TxResults[0].Code, "%s: %s", kt, res.TxResults[0].Log)
		require.Equal(t, "999780", ta.Balance(accs[i].Addr, testutil.Denom).String(), kt)
	}
	require.Equal(t, uint64(100*2*len(schemes)), ta.Balance(sink, testutil.Denom).Uint64())
}

// Signatures and keys of one scheme never pass for another, and a hybrid needs
// both halves: each attempt is refused with its code and the state is unchanged.
func TestKeyConfusionIsRejected(t *testing.T) {
	type attempt struct {
		name  string
		build func(victim, other *testutil.Account) []byte
		err   *runtime.Error
	}
	// resign replaces the tx's public key and signature with the given ones.
	resign := func(bz []byte, pub *types.PubKey, sig []byte) []byte {
		var raw tx.TxRaw
		require.NoError(t, raw.Unmarshal(bz))
		var ai tx.AuthInfo
		require.NoError(t, ai.Unmarshal(raw.AuthInfoBytes))
		if pub != nil {
			ai.SignerInfos[0].PublicKey = pub
			raw.AuthInfoBytes, _ = ai.Marshal()
		}
		if sig != nil {
			raw.Signatures[0] = sig
		}
		out, _ := raw.Marshal()
		return out
	}
	sigOf := func(bz []byte) []byte {
		var raw tx.TxRaw
		require.NoError(t, raw.Unmarshal(bz))
		return raw.Signatures[0]
	}
	attempts := []attempt{
		{"the hybrid's Ed25519 half presented as an ed25519 key", func(v, o *testutil.Account) []byte {
			bz := testutil.Send(v, o.Addr, 1, testutil.TxOpts{})
			pub := v.Key.PubKey()
			return resign(bz, &types.PubKey{Type: crypto.KeyTypeEd25519, Key: pub.Bytes()[:32]}, nil)
		}, runtime.ErrInvalidPubKey},
		{"hybrid with the ML-DSA half of another signature", func(v, o *testutil.Account) []byte {
			good := testutil.Send(v, o.Addr, 1, testutil.TxOpts{})
			v.Seq--
			other := testutil.Send(v, o.Addr, 2, testutil.TxOpts{})
			sig := append(append([]byte{}, sigOf(good)[:64]...), sigOf(other)[64:]...)
			return resign(good, nil, sig)
		}, runtime.ErrUnauthorized},
		{"hybrid with the Ed25519 half of another signature", func(v, o *testutil.Account) []byte {
			good := testutil.Send(v, o.Addr, 1, testutil.TxOpts{})
			v.Seq--
			other := testutil.Send(v, o.Addr, 2, testutil.TxOpts{})
			sig := append(append([]byte{}, sigOf(other)[:64]...), sigOf(good)[64:]...)
			return resign(good, nil, sig)
		}, runtime.ErrUnauthorized},
		{"truncated hybrid signature", func(v, o *testutil.Account) []byte {
			bz := testutil.Send(v, o.Addr, 1, testutil.TxOpts{})
			s := sigOf(bz)
			return resign(bz, nil, s[:len(s)-1])
		}, runtime.ErrUnauthorized},
		{"bit-flipped public key", func(v, o *testutil.Account) []byte {
			bz := testutil.Send(v, o.Addr, 1, testutil.TxOpts{})
			k := v.Key.PubKey().Bytes()
			k[40] ^= 1
			return resign(bz, &types.PubKey{Type: crypto.KeyTypeHybrid, Key: k}, nil)
		}, runtime.ErrInvalidPubKey},
		{"truncated public key", func(v, o *testutil.Account) []byte {
			bz := testutil.Send(v, o.Addr, 1, testutil.TxOpts{})
			k := v.Key.PubKey().Bytes()
			return resign(bz, &types.PubKey{Type: crypto.KeyTypeHybrid, Key: k[:len(k)-1]}, nil)
		}, runtime.ErrInvalidPubKey},
		{"unknown key type", func(v, o *testutil.Account) []byte {
			bz := testutil.Send(v, o.Addr, 1, testutil.TxOpts{})
			return resign(bz, &types.PubKey{Type: "rsa", Key: []byte{1, 2, 3}}, nil)
		}, runtime.ErrInvalidPubKey},
	}
	for _, at := range attempts {
		t.Run(at.name, func(t *testing.T) {
			victim := testutil.NewAccountOfType(0, crypto.KeyTypeHybrid)
			other := testutil.NewAccount(1)
			ta := testutil.NewTestApp(t, nil, testutil.Config(), testutil.GenesisAppState([]*testutil.Account{victim, other}, 1_000_000))
			ta.NextBlock()
			bz := at.build(victim, other)
			before := append([]byte(nil), ta.LastCommitID().Hash...)
			check := ta.CheckTx(bz)
			require.Equal(t, at.err.Code(), check.Code, check.Log)
			res := ta.NextBlock(bz)
			require.Equal(t, at.err.Code(), res.TxResults[0].Code, res.TxResults[0].Log)
			require.Equal(t, before, ta.LastCommitID().Hash, "state changed")
		})
	}
}
