package bridge_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bridge"
)

// Two conflicting headers, signed by the validators of self (a double-sign), freeze
// acme's client of self; receives are refused; the authority recovers the client from
// a substitute and packets flow again.
func TestMisbehaviourFreezesAndRecoverRestores(t *testing.T) {
	lp := newLinkedPair(t)
	self, acme := lp.self, lp.acme
	trusted := acme.clientInfo(lp.acmeClient).Client.LatestHeight
	h, tm := self.ta.Height+1, self.ta.Time.Add(time.Second)
	honest := signHeader(self.id, h, self.ta.LastCommitID().Hash, tm, self.keys, self.vals, self.vals, nil)
	forked := signHeader(self.id, h, []byte("a forked state the validators also signed"), tm, self.keys, self.vals, self.vals, nil)

	// Headers that do not conflict freeze nothing.
	acme.fails(acme.bob, bridge.ErrNoMisbehaviour, &bridge.MsgSubmitMisbehaviour{Relayer: acme.bob.Addr.String(), ClientId: lp.acmeClient,
		Header_1: self.bridgeHeader(honest, trusted), Header_2: self.bridgeHeader(honest, trusted)})

	r := acme.ok(acme.bob, &bridge.MsgSubmitMisbehaviour{Relayer: acme.bob.Addr.String(), ClientId: lp.acmeClient,
		Header_1: self.bridgeHeader(honest, trusted), Header_2: self.bridgeHeader(forked, trusted)})
	require.Equal(t, lp.acmeClient, eventAttr(t, r, bridge.EventTypeClientFrozen, bridge.AttrClientID))
	info := acme.clientInfo(lp.acmeClient)
	require.Equal(t, bridge.CLIENT_STATUS_FROZEN, info.Status)
	require.Equal(t, uint64(h), info.Client.FrozenHeight)

	// A frozen client takes no packet and no update.
	_, proof := self.proof(bridge.CommitmentKey(lp.selfClient, lp.packet.Sequence))
	acme.fails(acme.relayer, bridge.ErrClientFrozen, &bridge.MsgRecvPacket{Relayer: lp.relayer(), Packet: lp.packet, ProofCommitment: proof, ProofHeight: trusted})
	acme.fails(acme.relayer, bridge.ErrClientFrozen, &bridge.MsgUpdateClient{Relayer: lp.relayer(), ClientId: lp.acmeClient, Header: self.bridgeHeader(honest, trusted)})

	// Recovery: only the authority, only from an active substitute of the same chain and parameters.
	self.ta.NextBlock()
	substitute := acme.createClient(self)
	acme.fails(acme.bob, bridge.ErrNotAuthority, &bridge.MsgRecoverClient{Authority: acme.bob.Addr.String(), SubjectClientId: lp.acmeClient, SubstituteClientId: substitute})
	acme.ok(acme.authority, &bridge.MsgRecoverClient{Authority: acme.authority.Addr.String(), SubjectClientId: lp.acmeClient, SubstituteClientId: substitute})
	info = acme.clientInfo(lp.acmeClient)
	require.Equal(t, bridge.CLIENT_STATUS_ACTIVE, info.Status)
	require.Zero(t, info.Client.FrozenHeight)

	// The pending packet now goes through on the recovered client (same id, counterparty kept).
	relayAll(self, acme, lp.selfClient)
	voucher := bridge.DenomTrace{Path: "transfer/" + lp.acmeClient, BaseDenom: testutil.Denom}.VoucherDenom()
	require.Equal(t, "1000", acme.balance(acme.bob, voucher).String())
}

// A conflicting header submitted as an update freezes the client too.
func TestConflictingUpdateFreezes(t *testing.T) {
	lp := newLinkedPair(t)
	self, acme := lp.self, lp.acme
	trusted := acme.clientInfo(lp.acmeClient).Client.LatestHeight
	height := acme.updateClient(self, lp.acmeClient)
	cs, err := acme.query().ConsensusState(acme.ctx(), &bridge.QueryConsensusStateRequest{ClientId: lp.acmeClient, Height: height})
	require.NoError(t, err)
	forked := signHeader(self.id, int64(height), []byte("fork"), time.Unix(0, cs.ConsensusState.Timestamp).UTC(), self.keys, self.vals, self.vals, nil)
	acme.ok(acme.relayer, &bridge.MsgUpdateClient{Relayer: lp.relayer(), ClientId: lp.acmeClient, Header: self.bridgeHeader(forked, trusted)})
	require.Equal(t, bridge.CLIENT_STATUS_FROZEN, acme.clientInfo(lp.acmeClient).Status)
}

// A client whose latest header is older than the trusting period (by the holding
// chain's block time) expires: updates are refused until the authority recovers it.
func TestExpiredClientRefusesUpdates(t *testing.T) {
	lp := newLinkedPair(t)
	self, acme := lp.self, lp.acme
	acme.ta.Time = acme.ta.Time.Add(25 * time.Hour) // acme's block time moves past the trusting period
	self.ta.Time = self.ta.Time.Add(25 * time.Hour)
	self.ta.NextBlock()
	acme.ta.NextBlock()
	require.Equal(t, bridge.CLIENT_STATUS_EXPIRED, acme.clientInfo(lp.acmeClient).Status)
	trusted := acme.clientInfo(lp.acmeClient).Client.LatestHeight
	acme.fails(acme.relayer, bridge.ErrClientExpired, &bridge.MsgUpdateClient{Relayer: lp.relayer(), ClientId: lp.acmeClient, Header: self.bridgeHeader(self.header(), trusted)})
}

// A packet not delivered by its timeout is refunded exactly on the source once the
// destination is proven not to have received it; the destination refuses it late.
func TestTimeoutRefunds(t *testing.T) {
	self := newTestChain(t, "self-1", 4, "ed25519")
	acme := newTestChain(t, "acme-1", 4, "ml_dsa_65")
	selfClient, acmeClient := link(self, acme)
	before := self.balance(self.alice, testutil.Denom)
	timeout := uint64(acme.ta.Time.Unix()) + 5
	self.ok(self.alice, &bridge.MsgTransfer{Sender: self.alice.Addr.String(), SourceClient: selfClient, Receiver: acme.bob.Addr.String(),
		Token: types.NewCoin(testutil.Denom, 777), TimeoutTimestamp: timeout})
	p := self.pending(selfClient)[0]

	// Before the timeout, a timeout is refused: acme's time has not reached it.
	h := self.updateClient(acme, selfClient)
	_, absent := acme.proof(bridge.ReceiptKey(acmeClient, p.Sequence))
	self.fails(self.relayer, bridge.ErrTimeoutNotReached, &bridge.MsgTimeout{Relayer: self.relayer.Addr.String(), Packet: p, ProofUnreceived: absent, ProofHeight: h})

	for range 6 {
		acme.ta.NextBlock()
	}
	acme.fails(acme.relayer, bridge.ErrPacketTimedOut, recvMsg(self, acme, p))

	h = self.updateClient(acme, selfClient)
	_, absent = acme.proof(bridge.ReceiptKey(acmeClient, p.Sequence))
	self.ok(self.relayer, &bridge.MsgTimeout{Relayer: self.relayer.Addr.String(), Packet: p, ProofUnreceived: absent, ProofHeight: h})
	require.Equal(t, before.String(), self.balance(self.alice, testutil.Denom).String(), "refunded exactly")
	require.Equal(t, "0", self.ta.Balance(bridge.EscrowAddress(selfClient), testutil.Denom).String())
	require.Empty(t, self.pending(selfClient))
}

// A timeout proof for a packet the destination did receive is refused.
func TestTimeoutOfReceivedPacketRefused(t *testing.T) {
	lp := newLinkedPair(t)
	self, acme := lp.self, lp.acme
	acme.ok(acme.relayer, recvMsg(self, acme, lp.packet))
	acme.ta.Time = acme.ta.Time.Add(time.Hour) // past the default 10-minute timeout
	self.ta.Time = self.ta.Time.Add(time.Hour)
	acme.ta.NextBlock()
	h := self.updateClient(acme, lp.selfClient)
	_, present := acme.proof(bridge.ReceiptKey(lp.acmeClient, lp.packet.Sequence))
	self.fails(self.relayer, bridge.ErrInvalidProof, &bridge.MsgTimeout{Relayer: self.relayer.Addr.String(), Packet: lp.packet, ProofUnreceived: present, ProofHeight: h})
}

// The receiving app's failure becomes an error acknowledgement; the sender is
// refunded when it arrives, and the receiver's chain changes nothing but the receipt.
func TestErrorAckRefunds(t *testing.T) {
	self := newTestChain(t, "self-1", 4, "ed25519")
	acme := newTestChain(t, "acme-1", 4, "ed25519")
	selfClient, _ := link(self, acme)
	before := self.balance(self.alice, testutil.Denom)
	self.ok(self.alice, &bridge.MsgTransfer{Sender: self.alice.Addr.String(), SourceClient: selfClient, Receiver: "not-an-address", Token: types.NewCoin(testutil.Denom, 500)})
	p := self.pending(selfClient)[0]
	r := acme.ok(acme.relayer, recvMsg(self, acme, p))
	require.Equal(t, "false", eventAttr(t, r, bridge.EventTypeRecvPacket, bridge.AttrSuccess))
	require.Contains(t, eventAttr(t, r, bridge.EventTypeRecvPacket, bridge.AttrError), "receiver")
	self.ok(self.relayer, ackMsg(self, acme, p))
	require.Equal(t, before.String(), self.balance(self.alice, testutil.Denom).String())
	require.Equal(t, "0", self.ta.Balance(bridge.EscrowAddress(selfClient), testutil.Denom).String())
}

// Every bridge path (create, update, transfer, receive, ack, timeout, error ack,
// misbehaviour, recovery) replayed on fresh apps gives the same app hash at every height.
func TestBridgeBlocksReplayDeterministically(t *testing.T) {
	lp := newLinkedPair(t)
	self, acme := lp.self, lp.acme
	relayAll(self, acme, lp.selfClient)
	voucher := bridge.DenomTrace{Path: "transfer/" + lp.acmeClient, BaseDenom: testutil.Denom}.VoucherDenom()
	acme.ok(acme.bob, &bridge.MsgTransfer{Sender: acme.bob.Addr.String(), SourceClient: lp.acmeClient, Receiver: self.alice.Addr.String(), Token: types.NewCoin(voucher, 300)})
	acme.ok(acme.bob, &bridge.MsgTransfer{Sender: acme.bob.Addr.String(), SourceClient: lp.acmeClient, Receiver: "nobody", Token: types.NewCoin(voucher, 200)})
	relayAll(acme, self, lp.acmeClient)
	require.Equal(t, "700", acme.balance(acme.bob, voucher).String(), "of 1000, 300 went home; 200 were re-minted after the error ack")

	for _, c := range []*testChain{self, acme} {
		fresh := newTestChainNoBlocks(t, c.id)
		fresh.ta.Replay(c.ta.Blocks)
	}
}
