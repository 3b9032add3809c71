package runtime_test

import (
	"errors"
	"strings"
	"testing"

	gogotypes "github.com/cosmos/gogoproto/types"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/x/poai/voteext"
)

func tag(num protowire.Number, typ protowire.Type) []byte { return protowire.AppendTag(nil, num, typ) }

func join(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func varintField(num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(tag(num, protowire.VarintType), v)
}

func bytesField(num protowire.Number, b []byte) []byte {
	return protowire.AppendBytes(tag(num, protowire.BytesType), b)
}

// The diagnostics name the first departure from the canonical encoding, for wire
// features the tx messages do not exercise (packed scalars, 32-bit ranges, tags),
// and canonical bytes pass untouched.
func TestUnmarshalCanonicalDiagnostics(t *testing.T) {
	// Messages: voteext.BlockScores (1 height int64, 2 block_hash, 3 model_id,
	// 4 tx_indices and 5 risks packed uint32); voteext.VoteExtension for a uint32
	// scalar (1 version).
	packed := func(vs ...[]byte) []byte { return bytesField(4, join(vs...)) }
	cases := []struct {
		name string
		bz   []byte
		ext  bool           // decode as a VoteExtension
		code *runtime.Error // nil: accepted
		log  string
	}{
		{"canonical", join(varintField(1, 7), packed([]byte{1}, []byte{2})), false, nil, ""},
		{"repeated scalar not packed", join(varintField(1, 1), varintField(4, 1), varintField(4, 2)), false,
			runtime.ErrNonCanonical, "ve: field 4 (tx_indices) is not packed (proto3 packs repeated scalars)"},
		{"packed element not minimal", join(varintField(1, 1), packed([]byte{0x81, 0x00})), false,
			runtime.ErrNonCanonical, "ve: field 4 (tx_indices): a packed varint takes 2 bytes, its minimal encoding 1"},
		{"uint32 out of range", join(varintField(1, 1<<32)), true,
			runtime.ErrNonCanonical, "ve: field 1 (version): value 4294967296 does not fit in 32 bits"},
		{"non-minimal tag", join([]byte{0x88, 0x00}, []byte{1}), false,
			runtime.ErrNonCanonical, "ve: the tag of field 1 takes 2 bytes, its minimal encoding 1"},
		{"int64 varint overflowing", join(tag(1, protowire.VarintType), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}), false,
			runtime.ErrNonCanonical, "ve: field 1 (height): varint overflows 64 bits"},
		{"empty packed list", join(varintField(1, 1), packed()), false,
			runtime.ErrNonCanonical, "ve: field 4 (tx_indices) encodes an empty packed list explicitly; the canonical encoding omits it"},
		{"two packed runs", join(varintField(1, 1), packed([]byte{1}), packed([]byte{2})), false,
			runtime.ErrNonCanonical, "ve: field 4 (tx_indices) is split into several packed runs"},
		{"truncated", join(varintField(1, 1), tag(3, protowire.BytesType), []byte{5, 'a'}), false,
			runtime.ErrTxDecode, "ve: "},
		{"wrong wire type", join(tag(3, protowire.VarintType), []byte{1}), false,
			runtime.ErrTxDecode, "ve: "},
		{"invalid wire type", []byte{0x0f}, false,
			runtime.ErrTxDecode, "ve: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.ext {
				err = runtime.UnmarshalCanonical("ve", c.bz, &voteext.VoteExtension{})
			} else {
				err = runtime.UnmarshalCanonical("ve", c.bz, &voteext.BlockScores{})
			}
			if c.code == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.True(t, errors.Is(err, c.code), "want %s, got %v", c.code, err)
			require.Contains(t, err.Error(), c.log)
		})
	}
}

// A malformed tx body (not protobuf at all) is a decode error, not a canonical one,
// even when it starts like an unknown field.
func TestMalformedIsNotNonCanonical(t *testing.T) {
	for _, bz := range [][]byte{
		[]byte("\xff\x13 definitely not a transaction \x00\x01"),
		join(varintField(9, 1), tag(2, protowire.BytesType), []byte{40}),
	} {
		var body tx.TxBody
		err := runtime.UnmarshalCanonical("body", bz, &body)
		require.True(t, errors.Is(err, runtime.ErrTxDecode), "%v", err)
	}
}

// An Any keeps unknown fields through a re-encoding; CheckAny refuses them.
func TestCheckAny(t *testing.T) {
	require.NoError(t, runtime.CheckAny("m", &gogotypes.Any{TypeUrl: "/x", Value: []byte{1}}))
	var a gogotypes.Any
	require.NoError(t, a.Unmarshal(join(bytesField(1, []byte("/x")), varintField(7, 1))))
	again, err := a.Marshal()
	require.NoError(t, err)
	require.Equal(t, join(bytesField(1, []byte("/x")), varintField(7, 1)), again, "gogoproto keeps the unknown field")
	err = runtime.CheckAny("body.messages[3]", &a)
	require.True(t, errors.Is(err, runtime.ErrNonCanonical))
	require.True(t, strings.HasPrefix(err.Error(), "body.messages[3]: unknown field 7"), err.Error())
}
