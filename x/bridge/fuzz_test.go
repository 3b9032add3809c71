package bridge_test

import (
	"bytes"
	"testing"
	"time"

	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"

	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/x/bridge"
)

// FuzzPacketDecode: no bytes panic the packet decoder or its checks, and an accepted
// packet re-encodes to bytes that decode to the same commitment.
func FuzzPacketDecode(f *testing.F) {
	p := bridge.Packet{Sequence: 1, SourceClient: "client-0", DestinationClient: "client-3", TimeoutTimestamp: 1_700_000_600,
		Payloads: []bridge.Payload{{SourcePort: "transfer", DestinationPort: "transfer", Version: bridge.TransferVersion, Encoding: bridge.TransferEncoding, Value: []byte("data")}}}
	bz, _ := p.Marshal()
	f.Add(bz)
	f.Add([]byte{0x08, 0x01})
	f.Fuzz(func(t *testing.T, bz []byte) {
		var p bridge.Packet
		if p.Unmarshal(bz) != nil || p.ValidateBasic() != nil {
			return
		}
		again, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		var q bridge.Packet
		if err := q.Unmarshal(again); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bridge.CommitPacket(&p), bridge.CommitPacket(&q)) {
			t.Fatal("commitment changed across an encode/decode round trip")
		}
	})
}

// FuzzHeaderDecode: no signed header or validator set bytes panic the decoder.
func FuzzHeaderDecode(f *testing.F) {
	keys, vals := validatorSet("fuzz", 2, "ed25519")
	sh := signHeader("fuzz-1", 5, []byte("app"), time.Unix(1_700_000_000, 0).UTC(), keys, vals, vals, nil)
	shBz, _ := sh.ToProto().Marshal()
	vp, _ := vals.ToProto()
	vBz, _ := vp.Marshal()
	f.Add(shBz, vBz)
	f.Add([]byte{0x0a, 0x00}, []byte{0x0a, 0x00})
	f.Fuzz(func(t *testing.T, shBz, vBz []byte) {
		h, err := bridge.HeaderHeight(&bridge.Header{SignedHeader: shBz, ValidatorSet: vBz})
		if err == nil && h == 0 {
			t.Fatal("accepted a header at height 0")
		}
	})
}

// FuzzProofVerify: mutated proofs never panic and never prove anything but the
// committed key and value.
func FuzzProofVerify(f *testing.F) {
	c := newTestChain(f, "self-1", 1, "ed25519")
	c.ok(c.alice, &bridge.MsgCreateClient{Creator: c.alice.Addr.String(), Header: c.bridgeHeader(c.header(), 0), Params: testParams()})
	key := []byte("\x02") // the clients collection holds client-0
	key = append(key, "client-0"...)
	value, proof := c.proof(key)
	if value == nil {
		f.Fatal("the seed key is not committed")
	}
	appHash := c.ta.LastCommitID().Hash
	f.Add(proof, key, value)
	f.Fuzz(func(t *testing.T, proof, k, v []byte) {
		var ops cmtcrypto.ProofOps
		if ops.Unmarshal(proof) != nil {
			return
		}
		if store.VerifyMembership(appHash, bridge.ModuleName, k, v, &ops) == nil && (!bytes.Equal(k, key) || !bytes.Equal(v, value)) {
			t.Fatalf("proved %X=%X, only %X=%X is committed", k, v, key, value)
		}
		if store.VerifyNonMembership(appHash, bridge.ModuleName, k, &ops) == nil && bytes.Equal(k, key) {
			t.Fatalf("proved %X absent, it is committed", k)
		}
	})
}
