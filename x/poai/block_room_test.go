package poai_test

import (
	"fmt"
	"testing"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/poai"
)

// The active set never outgrows what the chain's blocks carry (the block room the
// app records from the consensus params): not at selection, not while a capped
// move has leaving members and entrants in the set at once; and max_validators
// cannot be raised past it.
func TestActiveSetStaysWithinBlockRoom(t *testing.T) {
	// bob's genesis validator (power 10) and four funded candidates with twice its stake.
	ops := make([]*testutil.Account, 4)
	var balances []bank.Balance
	for i := range ops {
		ops[i] = testutil.NewAccount(200 + i)
		balances = append(balances, bank.Balance{Address: ops[i].Addr.String(), Coins: types.Coins{types.NewCoin("uself", 2*genStake)}})
	}
	e := newEnvWith(t, balances, poai.GenesisState{Params: testParams(alice.Addr.String()),
		Validators: []poai.Validator{genVal(bob.Addr.String(), genKey, genStake)}})
	ctx := e.ctx(1)
	_, err := e.k.InitialValidatorUpdates(ctx, nil)
	require.NoError(t, err)
	const room = 3
	require.NoError(t, e.k.SetBlockRoom(ctx, room))

	ctx = e.ctx(2)
	msgs := poai.NewMsgServer(e.k)
	for i, op := range ops {
		key := cmted25519.GenPrivKeyFromSecret([]byte(fmt.Sprintf("room-candidate-%d", i)))
		_, err = msgs.CreateValidator(ctx, &poai.MsgCreateValidator{
			OperatorAddress: op.Addr.String(), ConsensusKey: poai.ConsensusKeyFromPubKey(key.PubKey()),
			SelfStake: types.NewCoin("uself", 2*genStake), ModelName: "m", ModelHash: make([]byte, 32),
			ConsensusKeyProof: keyProof(key, op.Addr.String()),
		})
		require.NoError(t, err)
	}

	active := func(h int64) int {
		n := 0
		require.NoError(t, e.k.LastPowers.Walk(e.ctx(h), nil, func([]byte, poai.LastPower) (bool, error) { n++; return false, nil }))
		return n
	}
	most := 0
	for h := int64(3); h <= 40; h++ {
		_, err := e.k.EndBlock(e.ctx(h))
		require.NoError(t, err)
		require.LessOrEqual(t, active(h), room, "height %d", h)
		most = max(most, active(h))
	}
	require.Equal(t, room, most, "the set fills the room")

	p, err := e.k.GetParams(ctx)
	require.NoError(t, err)
	p.MaxValidators = room + 1
	_, err = msgs.UpdateParams(ctx, &poai.MsgUpdateParams{Authority: alice.Addr.String(), Params: p})
	require.ErrorIs(t, err, poai.ErrInvalidParams)
	require.ErrorContains(t, err, "carry the commits of at most 3 validators")
	p.MaxValidators = room
	_, err = msgs.UpdateParams(ctx, &poai.MsgUpdateParams{Authority: alice.Addr.String(), Params: p})
	require.NoError(t, err)
}
