package bridge_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/bridge"
)

// Tokens go to the other chain and back: escrow on the way out, a voucher with a
// queryable trace on the other side, burnt on the way home; escrow on one side equals
// vouchers in circulation on the other after every step.
func TestTransferThereAndBack(t *testing.T) {
	self := newTestChain(t, "self-1", 4, "ed25519")
	acme := newTestChain(t, "acme-1", 4, "ml_dsa_65")
	selfClient, acmeClient := link(self, acme)

	aliceStart := self.balance(self.alice, testutil.Denom)
	r := self.ok(self.alice, &bridge.MsgTransfer{Sender: self.alice.Addr.String(), SourceClient: selfClient, Receiver: acme.bob.Addr.String(), Token: types.NewCoin(testutil.Denom, 1_000_000)})
	require.Equal(t, "1", eventAttr(t, r, bridge.EventTypeSendPacket, bridge.AttrSequence))
	require.Equal(t, "1000000", self.ta.Balance(bridge.EscrowAddress(selfClient), testutil.Denom).String())
	require.Len(t, self.pending(selfClient), 1)

	relayAll(self, acme, selfClient)
	require.Empty(t, self.pending(selfClient), "the ack deletes the commitment")
	acks, err := acme.query().Acknowledgements(acme.ctx(), &bridge.QueryAcknowledgementsRequest{ClientId: acmeClient, Sequences: []uint64{1, 99}})
	require.NoError(t, err)
	require.Len(t, acks.Acknowledgements, 1, "sequence 99 was never received")
	require.Equal(t, uint64(1), acks.Acknowledgements[0].Sequence)
	require.Equal(t, [][]byte{{0x01}}, acks.Acknowledgements[0].Acknowledgement.AppAcknowledgements)

	voucher := bridge.DenomTrace{Path: "transfer/" + acmeClient, BaseDenom: testutil.Denom}.VoucherDenom()
	require.Equal(t, "1000000", acme.balance(acme.bob, voucher).String())
	tr, err := acme.query().DenomTrace(acme.ctx(), &bridge.QueryDenomTraceRequest{Denom: voucher})
	require.NoError(t, err)
	require.Equal(t, "transfer/"+acmeClient, tr.Trace.Path)
	require.Equal(t, testutil.Denom, tr.Trace.BaseDenom)
	requireConserved(t, self, acme, selfClient, acmeClient, voucher)

	// Home again: the voucher is burnt on acme and the escrow released on self.
	acme.ok(acme.bob, &bridge.MsgTransfer{Sender: acme.bob.Addr.String(), SourceClient: acmeClient, Receiver: self.alice.Addr.String(), Token: types.NewCoin(voucher, 400_000)})
	require.Equal(t, "600000", acme.balance(acme.bob, voucher).String())
	requireConserved(t, self, acme, selfClient, acmeClient, voucher) // in flight: escrow counts what is burnt but not yet released
	relayAll(acme, self, acmeClient)
	require.Equal(t, "600000", self.ta.Balance(bridge.EscrowAddress(selfClient), testutil.Denom).String())
	want, _ := aliceStart.Sub(types.NewInt(600_000)) // tests pay no fees
	require.Equal(t, want.String(), self.balance(self.alice, testutil.Denom).String())
	requireConserved(t, self, acme, selfClient, acmeClient, voucher)
}

// requireConserved: what self holds in escrow equals the vouchers acme has in
// circulation plus what is in flight either way (escrowed, not yet minted; burnt,
// not yet released).
func requireConserved(t *testing.T, self, acme *testChain, selfClient, acmeClient, voucher string) {
	t.Helper()
	escrow := self.ta.Balance(bridge.EscrowAddress(selfClient), testutil.Denom)
	sup, err := bank.NewQueryClient(acme.ta).SupplyOf(acme.ctx(), &bank.QuerySupplyOfRequest{Denom: voucher})
	require.NoError(t, err)
	total := sup.Amount.Amount
	total, _ = total.Add(inFlight(t, self, acme, selfClient))
	total, _ = total.Add(inFlight(t, acme, self, acmeClient))
	require.Equal(t, escrow.String(), total.String(), "escrow on %s against vouchers on %s plus in flight", self.id, acme.id)
}

// inFlight sums the amounts src sent over client that dst has not received.
func inFlight(t *testing.T, src, dst *testChain, clientID string) types.Int {
	sum := types.NewInt(0)
	for _, p := range src.pending(clientID) {
		resp, err := dst.query().Packet(dst.ctx(), &bridge.QueryPacketRequest{ClientId: p.DestinationClient, Sequence: p.Sequence})
		require.NoError(t, err)
		if resp.Received {
			continue
		}
		var d bridge.FungibleTokenPacketData
		require.NoError(t, d.Unmarshal(p.Payloads[0].Value))
		amt, err := types.ParseInt(d.Amount)
		require.NoError(t, err)
		sum, _ = sum.Add(amt)
	}
	return sum
}

// Each client has its own escrow: tokens sent to one counterparty can only ever be
// released by packets from that counterparty, whatever another one's validators do.
func TestEscrowPerClient(t *testing.T) {
	self := newTestChain(t, "self-1", 4, "ed25519")
	acme := newTestChain(t, "acme-1", 4, "ed25519")
	beta := newTestChain(t, "beta-1", 4, "ml_dsa_65")
	toAcme, _ := link(self, acme)
	toBeta, _ := link(self, beta)
	require.NotEqual(t, bridge.EscrowAddress(toAcme), bridge.EscrowAddress(toBeta))
	self.ok(self.alice,
		&bridge.MsgTransfer{Sender: self.alice.Addr.String(), SourceClient: toAcme, Receiver: acme.bob.Addr.String(), Token: types.NewCoin(testutil.Denom, 1000)},
		&bridge.MsgTransfer{Sender: self.alice.Addr.String(), SourceClient: toBeta, Receiver: beta.bob.Addr.String(), Token: types.NewCoin(testutil.Denom, 300)})
	require.Equal(t, "1000", self.ta.Balance(bridge.EscrowAddress(toAcme), testutil.Denom).String())
	require.Equal(t, "300", self.ta.Balance(bridge.EscrowAddress(toBeta), testutil.Denom).String())
}
