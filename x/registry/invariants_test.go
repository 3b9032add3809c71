package registry_test

import (
	"fmt"
	"sort"

	"cosmossdk.io/collections"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/registry"
)

// checkInvariants rebuilds every index from the node records and compares it with the
// stored one, entry for entry; the escrow must hold exactly the sum of the deposits.
func (e *env) checkInvariants() {
	t := e.t
	t.Helper()
	ctx := e.ctx
	wantIndex := map[string]bool{}
	wantActive, wantStale := map[string]bool{}, map[string]bool{}
	wantOwners := map[string][]string{}
	wantKeys := map[string]string{}
	deposits := types.Int{}
	add := func(kind, value, id string) {
		wantIndex[kind+"|"+value+"|"+id] = true
	}
	kh := func(keyType string, key []byte) string {
		return string(registry.KeyHashForTest(keyType, key))
	}
	err := e.k.Nodes.Walk(ctx, nil, func(id string, n registry.Node) (bool, error) {
		l, err := e.k.Liveness.Get(ctx, id)
		require.NoError(t, err)
		require.Equal(t, n.Owner, l.Owner)
		require.Equal(t, id, n.Id)
		wantOwners[n.Owner] = append(wantOwners[n.Owner], id)
		wantKeys[kh(n.SigningKey.Type, n.SigningKey.Key)] = id
		wantKeys[kh(registry.EncryptionKeyType, n.EncryptionKey)] = id
		if n.PrevSigningKey != nil {
			wantKeys[kh(n.PrevSigningKey.Type, n.PrevSigningKey.Key)] = id
		}
		if len(n.PrevEncryptionKey) > 0 {
			wantKeys[kh(registry.EncryptionKeyType, n.PrevEncryptionKey)] = id
		}
		add("s", l.Status.String(), id)
		switch l.Status {
		case registry.STATUS_ACTIVE:
			wantActive[key(l.LastHeartbeatHeight, id)] = true
		case registry.STATUS_STALE:
			wantStale[key(l.LastHeartbeatHeight, id)] = true
		}
		if l.Status != registry.STATUS_EXPIRED {
			for _, m := range n.Capabilities.Models {
				add("m", m, id)
			}
			add("r", n.Region, id)
			add("t", n.Tier.String(), id)
		}
		var err2 error
		deposits, err2 = deposits.Add(n.Deposit.Amount)
		require.NoError(t, err2)
		return false, nil
	})
	require.NoError(t, err)

	gotIndex := map[string]bool{}
	require.NoError(t, e.k.Index.Walk(ctx, nil, func(k collections.Triple[string, string, string]) (bool, error) {
		gotIndex[k.K1()+"|"+k.K2()+"|"+k.K3()] = true
		return false, nil
	}))
	require.Equal(t, wantIndex, gotIndex, "index")
	require.Equal(t, wantActive, e.hbSet(e.k.ActiveByHB), "active set")
	require.Equal(t, wantStale, e.hbSet(e.k.StaleByHB), "stale set")

	gotOwners := map[string][]string{}
	require.NoError(t, e.k.Owners.Walk(ctx, nil, func(o []byte, on registry.OwnerNodes) (bool, error) {
		require.True(t, sort.StringsAreSorted(on.NodeIds))
		gotOwners[crypto.Address(o).String()] = on.NodeIds
		return false, nil
	}))
	for o := range wantOwners {
		sort.Strings(wantOwners[o])
	}
	require.Equal(t, wantOwners, gotOwners, "owners")
	gotKeys := map[string]string{}
	require.NoError(t, e.k.Keys.Walk(ctx, nil, func(h []byte, id string) (bool, error) {
		gotKeys[string(h)] = id
		return false, nil
	}))
	require.Equal(t, wantKeys, gotKeys, "keys")
	esc, err := e.bk.GetBalance(ctx, registry.Escrow, denom)
	require.NoError(t, err)
	require.Equal(t, deposits.String(), esc.String(), "escrow holds the deposits")
}

func key(h int64, id string) string { return fmt.Sprintf("%d|%s", h, id) }

func (e *env) hbSet(s collections.KeySet[collections.Pair[uint64, string]]) map[string]bool {
	out := map[string]bool{}
	require.NoError(e.t, s.Walk(e.ctx, nil, func(k collections.Pair[uint64, string]) (bool, error) {
		out[key(int64(k.K1()), k.K2())] = true
		return false, nil
	}))
	return out
}
