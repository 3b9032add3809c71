package poai_test

import (
	"testing"

	"cosmossdk.io/collections"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/poai"
)

// oldLayout is how consensus version 2 declared the records and the two
// hand-kept indexes that are now IndexedMap indexes (same prefixes, same codecs).
type oldLayout struct {
	validators    collections.Map[[]byte, poai.Validator]
	byConsAddr    collections.Map[[]byte, []byte]
	unbonding     collections.Map[collections.Pair[int64, uint64], poai.UnbondingEntry]
	unbondingByOp collections.KeySet[collections.Triple[[]byte, int64, uint64]]
}

func newOldLayout(t *testing.T) oldLayout {
	sb := collections.NewSchemaBuilder(runtime.NewKVStoreService(poai.ModuleName))
	o := oldLayout{
		validators: collections.NewMap(sb, collections.NewPrefix(2), "validators", collections.BytesKey, runtime.ProtoValue[poai.Validator, *poai.Validator]{}),
		byConsAddr: collections.NewMap(sb, collections.NewPrefix(3), "by_cons_addr", collections.BytesKey, collections.BytesValue),
		unbonding: collections.NewMap(sb, collections.NewPrefix(6), "unbonding", collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key),
			runtime.ProtoValue[poai.UnbondingEntry, *poai.UnbondingEntry]{}),
		unbondingByOp: collections.NewKeySet(sb, collections.NewPrefix(16), "unbonding_by_op",
			collections.TripleKeyCodec(collections.BytesKey, collections.Int64Key, collections.Uint64Key)),
	}
	_, err := sb.Build()
	require.NoError(t, err)
	return o
}

// The IndexedMap indexes keep the bytes of the hand-kept by_cons_addr and
// unbonding_by_op: what the keeper writes now is exactly what version 2 wrote,
// and state version 2 wrote is read and maintained the same way. So no
// migration exists and the consensus version stays 2.
func TestIndexesKeepTheHandKeptLayout(t *testing.T) {
	o := newOldLayout(t)

	// Written by the keeper: a genesis validator, one created by a message, an unbonding.
	e := newEnv(t)
	ctx := e.ctx(2)
	_, err := poai.NewMsgServer(e.k).CreateValidator(ctx, createMsgFor(alice, cmted25519.GenPrivKeyFromSecret([]byte("layout-alice")), 1_000_000))
	require.NoError(t, err)
	_, err = poai.NewMsgServer(e.k).Unbond(ctx, &poai.MsgUnbond{OperatorAddress: bob.Addr.String(), Amount: types.NewCoin("uself", 1_000)})
	require.NoError(t, err)

	wantCons := map[string]string{}
	require.NoError(t, o.validators.Walk(ctx, nil, func(op []byte, v poai.Validator) (bool, error) {
		wantCons[string(v.ConsensusAddress)] = string(op)
		return false, nil
	}))
	gotCons := map[string]string{}
	require.NoError(t, o.byConsAddr.Walk(ctx, nil, func(cons, op []byte) (bool, error) {
		gotCons[string(cons)] = string(op)
		return false, nil
	}))
	require.Len(t, wantCons, 2)
	require.Equal(t, wantCons, gotCons)

	var wantOp, gotOp []collections.Triple[[]byte, int64, uint64]
	require.NoError(t, o.unbonding.Walk(ctx, nil, func(key collections.Pair[int64, uint64], en poai.UnbondingEntry) (bool, error) {
		op, err := crypto.AddressFromBech32(en.OperatorAddress)
		wantOp = append(wantOp, collections.Join3([]byte(op), key.K1(), key.K2()))
		return false, err
	}))
	require.NoError(t, o.unbondingByOp.Walk(ctx, nil, func(key collections.Triple[[]byte, int64, uint64]) (bool, error) {
		gotOp = append(gotOp, key)
		return false, nil
	}))
	require.Len(t, wantOp, 1)
	require.Equal(t, wantOp, gotOp)

	// Written the version-2 way, by hand: the keeper finds the validator by its
	// consensus address, and paying the unbonding removes its index entry.
	carol := testutil.NewAccount(12)
	key := cmted25519.GenPrivKeyFromSecret([]byte("layout-carol"))
	v := poai.Validator{OperatorAddress: carol.Addr.String(), ConsensusKey: poai.ConsensusKeyFromPubKey(key.PubKey()),
		ConsensusAddress: key.PubKey().Address(), SelfStake: 1_000_000, Status: poai.STATUS_UNBONDED, AgreementAvg: poai.PPM, SignedAvg: poai.PPM}
	require.NoError(t, o.validators.Set(ctx, carol.Addr, v))
	require.NoError(t, o.byConsAddr.Set(ctx, v.ConsensusAddress, carol.Addr))
	got, found, err := e.k.ValidatorByConsAddr(ctx, v.ConsensusAddress)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, v.OperatorAddress, got.OperatorAddress)
	v.Moniker = "renamed" // an update through the keeper keeps the entry
	require.NoError(t, e.k.Validators.Set(ctx, carol.Addr, v))
	op, err := o.byConsAddr.Get(ctx, v.ConsensusAddress)
	require.NoError(t, err)
	require.Equal(t, []byte(carol.Addr), op)

	done := wantOp[0].K2()
	_, err = e.k.EndBlock(e.ctx(done))
	require.NoError(t, err)
	n := 0
	require.NoError(t, o.unbondingByOp.Walk(e.ctx(done), nil, func(collections.Triple[[]byte, int64, uint64]) (bool, error) { n++; return false, nil }))
	require.Zero(t, n, "the paid entry's index entry went with it")
}
