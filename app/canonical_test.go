package app_test

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	gogoproto "github.com/cosmos/gogoproto/proto"
	gogotypes "github.com/cosmos/gogoproto/types"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/permissions"
)

// Wire-level builders for malformed (but validly signed) txs.

func pbVarint(num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), v)
}

func pbBytes(num protowire.Number, b []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), b)
}

func pbString(num protowire.Number, s string) []byte { return pbBytes(num, []byte(s)) }

// pbRawVarint is field num with a varint written exactly as given.
func pbRawVarint(num protowire.Number, raw ...byte) []byte {
	return append(protowire.AppendTag(nil, num, protowire.VarintType), raw...)
}

// padVarint encodes v in exactly n bytes (n-1 continuation bytes): not minimal when
// n exceeds protowire.SizeVarint(v).
func padVarint(v uint64, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(v&0x7f) | 0x80
		v >>= 7
	}
	out[n-1] &= 0x7f
	return out
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func mustMarshal(t testing.TB, m interface{ Marshal() ([]byte, error) }) []byte {
	t.Helper()
	bz, err := m.Marshal()
	require.NoError(t, err)
	return bz
}

const sendURL = "/selfchain.bank.v1.MsgSend"

// sendValue is the canonical encoding of a 10uself MsgSend from -> to.
func sendValue(t testing.TB, from, to *testutil.Account) []byte {
	return mustMarshal(t, &bank.MsgSend{FromAddress: from.Addr.String(), ToAddress: to.Addr.String(), Amount: fee(10)})
}

// anyField is a TxBody/MsgExec messages entry holding value under typeURL.
func anyField(num protowire.Number, typeURL string, value []byte, extra ...[]byte) []byte {
	return pbBytes(num, cat(pbString(1, typeURL), pbBytes(2, value), cat(extra...)))
}

// Every class of non-canonical encoding, validly signed, is refused in CheckTx and in
// FinalizeBlock with ErrNonCanonical and a log naming the field path, and changes no
// state: balances, the signer's sequence and the app hash stay as they were.
func TestNonCanonicalSignedBytesRefused(t *testing.T) {
	type accs = []*testutil.Account
	// body/auth build the signed bytes; nil means the canonical default.
	cases := []struct {
		name string
		body func(t *testing.T, a accs) []byte
		auth func(t *testing.T, a accs) []byte
		raw  func(t *testing.T, signed []byte) []byte // mutates the (unsigned) envelope
		log  string
	}{
		{name: "unknown field in the body", body: func(t *testing.T, a accs) []byte {
			return cat(anyField(1, sendURL, sendValue(t, a[0], a[1])), pbVarint(9, 1))
		}, log: "body: unknown field 9"},
		{name: "unknown field in the auth info", auth: func(t *testing.T, a accs) []byte {
			auth := testutil.AuthInfoOf(a[0], testutil.TxOpts{})
			return cat(mustMarshal(t, &auth), pbVarint(9, 1))
		}, log: "auth_info: unknown field 9"},
		{name: "unknown field in a signer info", auth: func(t *testing.T, a accs) []byte {
			auth := testutil.AuthInfoOf(a[0], testutil.TxOpts{})
			si := mustMarshal(t, &auth.SignerInfos[0])
			return cat(pbBytes(1, cat(si, pbVarint(9, 1))), pbBytes(2, mustMarshal(t, &auth.Fee)))
		}, log: "auth_info.signer_infos[0]: unknown field 9"},
		{name: "unknown field in the public key", auth: func(t *testing.T, a accs) []byte {
			auth := testutil.AuthInfoOf(a[0], testutil.TxOpts{})
			si := auth.SignerInfos[0]
			pk := cat(mustMarshal(t, si.PublicKey), pbVarint(9, 1))
			return cat(pbBytes(1, cat(pbString(1, si.Address), pbBytes(2, pk))), pbBytes(2, mustMarshal(t, &auth.Fee)))
		}, log: "auth_info.signer_infos[0].public_key: unknown field 9"},
		{name: "unknown field in a message", body: func(t *testing.T, a accs) []byte {
			return anyField(1, sendURL, cat(sendValue(t, a[0], a[1]), pbVarint(9, 1)))
		}, log: "body.messages[0] (/selfchain.bank.v1.MsgSend): unknown field 9"},
		{name: "unknown field in a message's Any", body: func(t *testing.T, a accs) []byte {
			return anyField(1, sendURL, sendValue(t, a[0], a[1]), pbVarint(3, 1))
		}, log: "body.messages[0]: unknown field 3"},
		{name: "unknown field in a message packed in MsgExec", body: func(t *testing.T, a accs) []byte {
			return execBody(t, a, &gogotypes.Any{TypeUrl: sendURL, Value: cat(sendValue(t, a[1], a[2]), pbVarint(9, 1))})
		}, log: "body.messages[0] (/selfchain.permissions.v1.MsgExec).msgs[0] (/selfchain.bank.v1.MsgSend): unknown field 9"},
		{name: "unknown field in MsgExec's inner Any", body: func(t *testing.T, a accs) []byte {
			return execBody(t, a, &gogotypes.Any{TypeUrl: sendURL, Value: sendValue(t, a[1], a[2]), XXX_unrecognized: pbVarint(3, 1)})
		}, log: "body.messages[0] (/selfchain.permissions.v1.MsgExec).msgs[0]: unknown field 3"},
		{name: "to_address given twice", body: func(t *testing.T, a accs) []byte {
			// A wallet showing the first to_address shows a[1]; the last one (a[2]) was paid.
			return anyField(1, sendURL, cat(sendValue(t, a[0], a[1]), pbString(2, a[2].Addr.String())))
		}, log: "body.messages[0] (/selfchain.bank.v1.MsgSend): field 2 (to_address) appears twice"},
		{name: "duplicated to_address in a message packed in MsgExec", body: func(t *testing.T, a accs) []byte {
			return execBody(t, a, &gogotypes.Any{TypeUrl: sendURL, Value: cat(sendValue(t, a[1], a[0]), pbString(2, a[2].Addr.String()))})
		}, log: "msgs[0] (/selfchain.bank.v1.MsgSend): field 2 (to_address) appears twice"},
		{name: "non-minimal varint", body: func(t *testing.T, a accs) []byte {
			return cat(anyField(1, sendURL, sendValue(t, a[0], a[1])), pbRawVarint(3, padVarint(100, 4)...))
		}, log: "body: field 3 (timeout_height): the varint takes 4 bytes, its minimal encoding 1"},
		{name: "non-minimal varint in the fee", auth: func(t *testing.T, a accs) []byte {
			auth := testutil.AuthInfoOf(a[0], testutil.TxOpts{})
			si := mustMarshal(t, &auth.SignerInfos[0])
			return cat(pbBytes(1, si), pbBytes(2, pbRawVarint(2, padVarint(200_000, 5)...)))
		}, log: "auth_info.fee: field 2 (gas_limit): the varint takes 5 bytes, its minimal encoding 3"},
		{name: "non-minimal length prefix", body: func(t *testing.T, a accs) []byte {
			v := sendValue(t, a[0], a[1])
			return cat(anyField(1, sendURL, v), protowire.AppendTag(nil, 2, protowire.BytesType), padVarint(2, 3), []byte("hi"))
		}, log: "body: field 2 (memo): the length prefix takes 3 bytes, its minimal encoding 1"},
		{name: "10-byte varint overflowing uint64", body: func(t *testing.T, a accs) []byte {
			// Go's generated decoder silently drops the high bits of this one.
			return cat(anyField(1, sendURL, sendValue(t, a[0], a[1])),
				pbRawVarint(3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f))
		}, log: "body: field 3 (timeout_height): varint overflows 64 bits"},
		{name: "11-byte varint", body: func(t *testing.T, a accs) []byte {
			// ... and refuses this one ("integer overflow").
			return cat(anyField(1, sendURL, sendValue(t, a[0], a[1])),
				pbRawVarint(3, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01))
		}, log: "body: field 3 (timeout_height): varint overflows 64 bits"},
		{name: "fields out of order", body: func(t *testing.T, a accs) []byte {
			return cat(anyField(1, sendURL, sendValue(t, a[0], a[1])), pbVarint(3, 100), pbString(2, "hi"))
		}, log: "body: field 2 (memo) comes after field 3 (timeout_height): fields must be in increasing field-number order"},
		{name: "fields out of order in a message", body: func(t *testing.T, a accs) []byte {
			v := cat(pbString(2, a[1].Addr.String()), pbString(1, a[0].Addr.String()),
				pbBytes(3, mustMarshal(t, &types.Coin{Denom: testutil.Denom, Amount: types.NewInt(10)})))
			return anyField(1, sendURL, v)
		}, log: "body.messages[0] (/selfchain.bank.v1.MsgSend): field 1 (from_address) comes after field 2 (to_address)"},
		{name: "default value encoded explicitly", body: func(t *testing.T, a accs) []byte {
			return cat(anyField(1, sendURL, sendValue(t, a[0], a[1])), pbVarint(3, 0))
		}, log: "body: field 3 (timeout_height) encodes its default value (0) explicitly; the canonical encoding omits it"},
		{name: "from_address given twice, the first empty", body: func(t *testing.T, a accs) []byte {
			return anyField(1, sendURL, cat(pbString(1, ""), sendValue(t, a[0], a[1])))
		}, log: `body.messages[0] (/selfchain.bank.v1.MsgSend): field 1 (from_address) appears twice`},
		{name: "empty string encoded explicitly", body: func(t *testing.T, a accs) []byte {
			return cat(anyField(1, sendURL, sendValue(t, a[0], a[1])), pbString(2, ""))
		}, log: `body: field 2 (memo) encodes its default value ("") explicitly; the canonical encoding omits it`},
		{name: "bool not encoded as 0 or 1", body: func(t *testing.T, a accs) []byte {
			return anyField(1, "/selfchain.permissions.v1.MsgSetKillSwitch", cat(pbString(1, a[0].Addr.String()), pbVarint(2, 2)))
		}, log: "body.messages[0] (/selfchain.permissions.v1.MsgSetKillSwitch): field 2 (enabled): bool encoded as 2 (only 0 or 1)"},
		{name: "unknown field in the envelope", raw: func(t *testing.T, signed []byte) []byte {
			return cat(signed, pbVarint(4, 1))
		}, log: "tx envelope: unknown field 4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ta, a := newApp(t, 3)
			var bodyBz, authBz []byte
			if c.body != nil {
				bodyBz = c.body(t, a)
			} else {
				bodyBz = anyField(1, sendURL, sendValue(t, a[0], a[1]))
			}
			if c.auth != nil {
				authBz = c.auth(t, a)
			} else {
				auth := testutil.AuthInfoOf(a[0], testutil.TxOpts{})
				authBz = mustMarshal(t, &auth)
			}
			bz := testutil.SignRawBytes(a[0], bodyBz, authBz, testutil.TxOpts{})
			if c.raw != nil {
				bz = c.raw(t, bz)
			}

			before := append([]byte(nil), ta.LastCommitID().Hash...)
			balances := func() []string {
				out := []string{}
				for _, acc := range a {
					out = append(out, ta.Balance(acc.Addr, testutil.Denom).String())
				}
				return append(out, sequence(ta, a[0]))
			}
			was := balances()

			check := ta.CheckTx(bz)
			t.Log(check.Log)
			require.Equal(t, runtime.ErrNonCanonical.Code(), check.Code, "CheckTx log: %s", check.Log)
			require.Equal(t, runtime.RootCodespace, check.Codespace)
			require.Contains(t, check.Log, c.log)
			require.True(t, strings.HasSuffix(check.Log, ": non-canonical encoding"), check.Log)

			res := ta.NextBlock(bz)
			r := res.TxResults[0]
			require.Equal(t, runtime.ErrNonCanonical.Code(), r.Code, "FinalizeBlock log: %s", r.Log)
			require.Equal(t, runtime.RootCodespace, r.Codespace)
			require.Contains(t, r.Log, c.log)
			require.Equal(t, before, ta.LastCommitID().Hash, "state changed")
			require.Equal(t, was, balances(), "balances or sequence changed")

			// The same content, canonically encoded and signed, is accepted: the refusal
			// is about the encoding alone.
			a[0].Seq = 0
			ok := ta.CheckTx(testutil.Send(a[0], a[1].Addr, 10, testutil.TxOpts{}))
			require.Zero(t, ok.Code, ok.Log)
		})
	}
}

func sequence(ta *testutil.TestApp, acc *testutil.Account) string {
	var res auth.QueryAccountResponse
	ta.MustQuery("/selfchain.auth.v1.Query/Account", &auth.QueryAccountRequest{Address: acc.Addr.String()}, &res)
	return "seq=" + strconv.FormatUint(res.Account.Sequence, 10)
}

// execBody is a body holding one MsgExec by a[0] acting for a[1] with inner.
func execBody(t testing.TB, a []*testutil.Account, inner *gogotypes.Any) []byte {
	exec := &permissions.MsgExec{Grantee: a[0].Addr.String(), User: a[1].Addr.String(), AppId: "notes-app",
		Msgs: []*gogotypes.Any{inner}}
	return anyField(1, "/selfchain.permissions.v1.MsgExec", mustMarshal(t, exec))
}

// Every message a tx can carry decodes canonically by re-encoding — except through
// gogoproto's Any, which keeps unknown fields: a message type with an Any must let the
// decoder reach it (runtime.PackedMsgs), and no other type may keep unknown fields.
func TestEveryRoutableMessageIsCheckedCanonically(t *testing.T) {
	ta, _ := newApp(t, 1)
	anyType := reflect.TypeOf(gogotypes.Any{})
	roots := map[string]reflect.Type{
		"TxRaw": reflect.TypeOf(tx.TxRaw{}), "TxBody": reflect.TypeOf(tx.TxBody{}), "AuthInfo": reflect.TypeOf(tx.AuthInfo{}),
	}
	for _, url := range ta.MsgRouter().TypeURLs() {
		typ := gogoproto.MessageType(strings.TrimPrefix(url, "/"))
		require.NotNil(t, typ, url)
		roots[url] = typ.Elem()
	}
	for name, root := range roots {
		hasAny := false
		seen := map[reflect.Type]bool{}
		var walk func(reflect.Type)
		walk = func(typ reflect.Type) {
			for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array {
				typ = typ.Elem()
			}
			if typ.Kind() != reflect.Struct || seen[typ] {
				return
			}
			seen[typ] = true
			if typ == anyType {
				hasAny = true
				return
			}
			for i := 0; i < typ.NumField(); i++ {
				f := typ.Field(i)
				require.NotEqual(t, "XXX_unrecognized", f.Name, "%s: %s keeps unknown fields, which a re-encoding cannot see", name, typ)
				walk(f.Type)
			}
		}
		walk(root)
		if !hasAny || name == "TxBody" {
			continue
		}
		_, packs := reflect.New(root).Interface().(runtime.PackedMsgs)
		require.True(t, packs, "%s holds an Any but does not implement runtime.PackedMsgs", name)
	}
}
