package bridge_test

import (
	"time"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/x/bridge"
)

// testParams trust for a day with an hour of clock drift: the two test chains'
// block times advance independently, a second per block each.
func testParams() bridge.ClientParams {
	p, err := bridge.ClientParamsOf(24*time.Hour, 48*time.Hour, time.Hour, "1/3")
	if err != nil {
		panic(err)
	}
	return p
}

// createClient creates on c a client of src from src's next header.
func (c *testChain) createClient(src *testChain) string {
	c.t.Helper()
	r := c.ok(c.relayer, &bridge.MsgCreateClient{Creator: c.relayer.Addr.String(), Header: src.bridgeHeader(src.header(), 0), Params: testParams()})
	return eventAttr(c.t, r, bridge.EventTypeCreateClient, bridge.AttrClientID)
}

// link creates a client of b on a and of a on b and registers both counterparties.
func link(a, b *testChain) (aClient, bClient string) {
	aClient, bClient = a.createClient(b), b.createClient(a)
	a.ok(a.relayer, &bridge.MsgRegisterCounterparty{Creator: a.relayer.Addr.String(), ClientId: aClient, CounterpartyClientId: bClient})
	b.ok(b.relayer, &bridge.MsgRegisterCounterparty{Creator: b.relayer.Addr.String(), ClientId: bClient, CounterpartyClientId: aClient})
	return aClient, bClient
}

func (c *testChain) clientInfo(id string) bridge.ClientInfo {
	resp, err := c.query().Client(c.ctx(), &bridge.QueryClientRequest{ClientId: id})
	require.NoError(c.t, err)
	return resp.Client
}

// updateClient brings c's client of src to src's next header and returns its height.
func (c *testChain) updateClient(src *testChain, clientID string) uint64 {
	c.t.Helper()
	trusted := c.clientInfo(clientID).Client.LatestHeight
	if uint64(src.ta.Height+1) == trusted {
		return trusted // already at src's next header: signing another costs ML-DSA time
	}
	sh := src.header()
	c.ok(c.relayer, &bridge.MsgUpdateClient{Relayer: c.relayer.Addr.String(), ClientId: clientID, Header: src.bridgeHeader(sh, trusted)})
	return uint64(sh.Height)
}

// pending lists the packets src sent over client and has not seen acknowledged.
func (c *testChain) pending(clientID string) []bridge.Packet {
	resp, err := c.query().PendingPackets(c.ctx(), &bridge.QueryPendingPacketsRequest{ClientId: clientID})
	require.NoError(c.t, err)
	return resp.Packets
}

// recvMsg builds dst's MsgRecvPacket of p sent by src, updating dst's client first.
func recvMsg(src, dst *testChain, p bridge.Packet) *bridge.MsgRecvPacket {
	h := dst.updateClient(src, p.DestinationClient)
	_, proof := src.proof(bridge.CommitmentKey(p.SourceClient, p.Sequence))
	return &bridge.MsgRecvPacket{Relayer: dst.relayer.Addr.String(), Packet: p, ProofCommitment: proof, ProofHeight: h}
}

// ackMsg builds src's MsgAcknowledgement of p as dst acknowledged it.
func ackMsg(src, dst *testChain, p bridge.Packet) *bridge.MsgAcknowledgement {
	resp, err := dst.query().Packet(dst.ctx(), &bridge.QueryPacketRequest{ClientId: p.DestinationClient, Sequence: p.Sequence})
	require.NoError(src.t, err)
	require.NotNil(src.t, resp.Acknowledgement, "packet %d not acknowledged on %s", p.Sequence, dst.id)
	h := src.updateClient(dst, p.SourceClient)
	_, proof := dst.proof(bridge.AckKey(p.DestinationClient, p.Sequence))
	return &bridge.MsgAcknowledgement{Relayer: src.relayer.Addr.String(), Packet: p, Acknowledgement: *resp.Acknowledgement, ProofAcked: proof, ProofHeight: h}
}

// ackMsgAt is ackMsg without a client update: the caller updated src's client of dst
// to the height holding every ack of the batch.
func ackMsgAt(src, dst *testChain, p bridge.Packet) *bridge.MsgAcknowledgement {
	resp, err := dst.query().Packet(dst.ctx(), &bridge.QueryPacketRequest{ClientId: p.DestinationClient, Sequence: p.Sequence})
	require.NoError(src.t, err)
	require.NotNil(src.t, resp.Acknowledgement, "packet %d not acknowledged on %s", p.Sequence, dst.id)
	h := src.updateClient(dst, p.SourceClient) // a no-op after the batch's first
	_, proof := dst.proof(bridge.AckKey(p.DestinationClient, p.Sequence))
	return &bridge.MsgAcknowledgement{Relayer: src.relayer.Addr.String(), Packet: p, Acknowledgement: *resp.Acknowledgement, ProofAcked: proof, ProofHeight: h}
}

// relayAll delivers every packet src has pending over client to dst and acknowledges it back.
func relayAll(src, dst *testChain, clientID string) {
	for _, p := range src.pending(clientID) {
		dst.ok(dst.relayer, recvMsg(src, dst, p))
		src.ok(src.relayer, ackMsg(src, dst, p))
	}
}
