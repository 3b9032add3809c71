package permissions_test

import (
	"testing"

	gogotypes "github.com/cosmos/gogoproto/types"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/x/permissions"
)

// An app holding a live bank:send grant cannot smuggle a second reading into the
// messages it executes for the user: an inner MsgSend whose to_address appears twice
// (a wallet showing the first recipient, the chain paying the last) or that carries
// an unknown field is refused at decode, in CheckTx and in the block, with the field
// path, and neither the grant's usage nor any balance moves.
func TestExecRefusesNonCanonicalInnerMessages(t *testing.T) {
	field := func(num protowire.Number, s string) []byte {
		return protowire.AppendString(protowire.AppendTag(nil, num, protowire.BytesType), s)
	}
	cases := []struct {
		name  string
		extra func(e *env) []byte
		log   string
	}{
		{"to_address twice", func(e *env) []byte { return field(2, e.other.Addr.String()) },
			"body.messages[0] (/selfchain.permissions.v1.MsgExec).msgs[0] (/selfchain.bank.v1.MsgSend): field 2 (to_address) appears twice"},
		{"unknown field", func(e *env) []byte {
			return protowire.AppendVarint(protowire.AppendTag(nil, 15, protowire.VarintType), 1)
		},
			"body.messages[0] (/selfchain.permissions.v1.MsgExec).msgs[0] (/selfchain.bank.v1.MsgSend): unknown field 15"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			grantSend(e)
			g0, _ := e.queryGrant(e.user)
			s := e.snap()

			inner := anyOf(t, send(e.user, e.rcpt, 100))
			inner.Value = append(inner.Value, c.extra(e)...)
			m := &permissions.MsgExec{Grantee: e.owner.Addr.String(), User: e.user.Addr.String(), AppId: appID, Msgs: []*gogotypes.Any{inner}}
			bz := e.tx(e.owner, m)

			check := e.ta.CheckTx(bz)
			require.Equal(t, runtime.ErrNonCanonical.Code(), check.Code, check.Log)
			require.Contains(t, check.Log, c.log)
			res := e.fails(bz, runtime.ErrNonCanonical)
			require.Contains(t, res.Log, c.log)

			e.unchanged(s)
			g1, _ := e.queryGrant(e.user)
			require.Equal(t, g0, g1)

			// The same inner send, canonically encoded, goes through the grant.
			e.owner.Seq--
			e.ok(e.exec(e.owner, e.user, send(e.user, e.rcpt, 100)))
			require.Equal(t, "10000100", e.balance(e.rcpt))
		})
	}
}
