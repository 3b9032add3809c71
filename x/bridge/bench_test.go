package bridge_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/bridge"

	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
)

// BenchmarkUpdateClient verifies one adjacent header update (every validator signs)
// for sets of 4 and 100 validators of each key type, and reports the update's size:
// the signed header, its validator set and the trusted set a relayer sends.
func BenchmarkUpdateClient(b *testing.B) {
	for _, keyType := range []string{"ed25519", "ml_dsa_65"} {
		for _, n := range []int{4, 50, 100} {
			b.Run(fmt.Sprintf("%s/%d", keyType, n), func(b *testing.B) {
				keys, vals := validatorSet("bench", n, keyType)
				t0 := time.Unix(1_700_000_000, 0).UTC()
				k := bridge.NewKeeper(runtime.NewKVStoreService(bridge.ModuleName), nil)
				ctx := testutil.KeeperContext(store.MemStores{}, "self-1", 1)
				ctx = ctx.WithHeader(runtime.Header{ChainID: "self-1", Height: 1, Time: t0.Add(time.Minute)})
				p := bridge.DefaultParams()
				p.MaxValidators = 200
				if err := k.Params.Set(ctx, p); err != nil {
					b.Fatal(err)
				}
				wrap := func(h *bridge.Header, signed []byte) {
					h.SignedHeader = signed
					h.ValidatorSet = marshalSet(b, vals)
				}
				first := signHeader("acme-1", 10, []byte("app"), t0, keys, vals, vals, nil)
				var create bridge.Header
				bz, _ := first.ToProto().Marshal()
				wrap(&create, bz)
				id, err := k.CreateClient(ctx, "creator", &create, testParams())
				if err != nil {
					b.Fatal(err)
				}
				next := signHeader("acme-1", 11, []byte("app2"), t0.Add(time.Second), keys, vals, vals, nil)
				update := bridge.Header{TrustedHeight: 10, TrustedValidators: marshalSet(b, vals)}
				bz, _ = next.ToProto().Marshal()
				wrap(&update, bz)
				b.ResetTimer()
				for range b.N {
					if err := k.UpdateClient(ctx, id, &update); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(update.Size()), "update_bytes")
				// What a relayer sends after dropping the signatures beyond 2/3 of the
				// power (bridge.TrimSignatures): the commit is not in the header's hash.
				trimmed := update
				if _, err := bridge.TrimSignatures(&trimmed, testParams().TrustLevel); err != nil {
					b.Fatal(err)
				}
				if err := k.UpdateClient(ctx, id, &trimmed); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(trimmed.Size()), "trimmed_bytes")
			})
		}
	}
}

// BenchmarkVerifyPacketProof checks one packet commitment's ICS-23 proof (the key's
// tree path, then the store's root in the app hash) against a chain that sent 200 packets.
func BenchmarkVerifyPacketProof(b *testing.B) {
	self := newTestChain(b, "self-1", 4, "ed25519")
	acme := newTestChain(b, "acme-1", 4, "ed25519")
	selfClient, _ := link(self, acme)
	var msgs []runtime.Msg
	for range 200 {
		msgs = append(msgs, &bridge.MsgTransfer{Sender: self.alice.Addr.String(), SourceClient: selfClient, Receiver: acme.bob.Addr.String(), Token: testutil.Coins(testutil.Denom, 1)[0]})
		if len(msgs) == 32 {
			self.ok(self.alice, msgs...)
			msgs = nil
		}
	}
	self.ok(self.alice, msgs...)
	key := bridge.CommitmentKey(selfClient, 100)
	value, proofBz := self.proof(key)
	appHash := self.ta.LastCommitID().Hash
	b.ResetTimer()
	for range b.N {
		var ops cmtcrypto.ProofOps
		if err := ops.Unmarshal(proofBz); err != nil {
			b.Fatal(err)
		}
		if err := store.VerifyMembership(appHash, bridge.ModuleName, key, value, &ops); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(proofBz)), "proof_bytes")
}

// BenchmarkRelayedTransfer is one transfer end to end through both chains' block
// execution — sent in a tx of 32 transfers, received in a tx of a client update and
// 31 receives, acknowledged the same way — so 1e9/(ns/op) is the transfers a second
// the two state machines process on one core (the relayer's and consensus's work not
// included; the test validators' header signing is).
func BenchmarkRelayedTransfer(b *testing.B) {
	for _, keyType := range []string{"ed25519", "ml_dsa_65"} {
		b.Run(keyType, func(b *testing.B) {
			self := newTestChain(b, "self-1", 4, "ed25519")
			acme := newTestChain(b, "acme-1", 4, keyType)
			selfClient, _ := link(self, acme)
			const batch = 31
			b.ResetTimer()
			for done := 0; done < b.N; done += batch {
				var sends []runtime.Msg
				for range batch {
					sends = append(sends, &bridge.MsgTransfer{Sender: self.alice.Addr.String(), SourceClient: selfClient, Receiver: acme.bob.Addr.String(), Token: testutil.Coins(testutil.Denom, 1)[0]})
				}
				self.ok(self.alice, sends...)
				pending := self.pending(selfClient)
				h := acme.updateClient(self, pending[0].DestinationClient)
				var recvs []runtime.Msg
				for _, p := range pending {
					_, proof := self.proof(bridge.CommitmentKey(p.SourceClient, p.Sequence))
					recvs = append(recvs, &bridge.MsgRecvPacket{Relayer: acme.relayer.Addr.String(), Packet: p, ProofCommitment: proof, ProofHeight: h})
				}
				acme.ok(acme.relayer, recvs...)
				var acks []runtime.Msg
				for _, p := range pending {
					acks = append(acks, ackMsgAt(self, acme, p))
				}
				self.ok(self.relayer, acks...)
			}
			b.StopTimer()
			if n := len(self.pending(selfClient)); n != 0 {
				b.Fatalf("%d packets left pending", n)
			}
		})
	}
}
