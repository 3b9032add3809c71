package bridge_test

import (
	"testing"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bridge"
)

// linkedPair is two linked chains with one transfer self→acme sent and not relayed.
type linkedPair struct {
	self, acme             *testChain
	selfClient, acmeClient string
	packet                 bridge.Packet
	// acmeFirstHeight is the height acme's client of self was created at: verified,
	// but its app hash predates the transfer
	acmeFirstHeight uint64
}

func newLinkedPair(t *testing.T) *linkedPair {
	lp := &linkedPair{self: newTestChain(t, "self-1", 4, "ed25519"), acme: newTestChain(t, "acme-1", 4, "ml_dsa_65")}
	lp.selfClient, lp.acmeClient = link(lp.self, lp.acme)
	lp.acmeFirstHeight = lp.acme.clientInfo(lp.acmeClient).Client.LatestHeight
	lp.self.ok(lp.self.alice, &bridge.MsgTransfer{Sender: lp.self.alice.Addr.String(), SourceClient: lp.selfClient, Receiver: lp.acme.bob.Addr.String(), Token: types.NewCoin(testutil.Denom, 1000)})
	lp.packet = lp.self.pending(lp.selfClient)[0]
	return lp
}

func (lp *linkedPair) relayer() string { return lp.acme.relayer.Addr.String() }

// Every refused relay message gets its own code and leaves the bridge store as it was.
func TestBadRelayInputChangesNothing(t *testing.T) {
	lp := newLinkedPair(t)
	self, acme := lp.self, lp.acme
	good := recvMsg(self, acme, lp.packet)

	t.Run("proof for another key", func(t *testing.T) {
		m := *good
		_, m.ProofCommitment = self.proof(bridge.CommitmentKey(lp.selfClient, 99))
		acme.fails(acme.relayer, bridge.ErrInvalidProof, &m)
	})
	t.Run("proof for another value", func(t *testing.T) {
		m := *good
		m.Packet.TimeoutTimestamp++ // the commitment the proof proves is of another packet
		acme.fails(acme.relayer, bridge.ErrInvalidProof, &m)
	})
	t.Run("proof for another height", func(t *testing.T) {
		m := *good
		m.ProofHeight = lp.acmeFirstHeight
		acme.fails(acme.relayer, bridge.ErrInvalidProof, &m)
	})
	t.Run("proof at a height the client never verified", func(t *testing.T) {
		m := *good
		m.ProofHeight = 10_000
		acme.fails(acme.relayer, bridge.ErrConsensusStateNotFound, &m)
	})
	t.Run("garbage proof bytes", func(t *testing.T) {
		m := *good
		m.ProofCommitment = []byte{0xff, 0x01, 0x02}
		acme.fails(acme.relayer, bridge.ErrInvalidProof, &m)
	})
	t.Run("ack for a packet never sent", func(t *testing.T) {
		p := lp.packet
		p.Sequence = 42
		self.fails(self.relayer, bridge.ErrPacketNotPending, &bridge.MsgAcknowledgement{Relayer: self.relayer.Addr.String(), Packet: p,
			Acknowledgement: bridge.Acknowledgement{AppAcknowledgements: [][]byte{{1}}}, ProofAcked: good.ProofCommitment, ProofHeight: 1})
	})

	// The good message goes through once; a replay is refused with its own code.
	acme.ok(acme.relayer, good)
	acme.fails(acme.relayer, bridge.ErrAlreadyReceived, good)
}

// Headers that must not update a client: each refused with its own code, state unchanged.
func TestBadHeadersChangeNothing(t *testing.T) {
	lp := newLinkedPair(t)
	self, acme := lp.self, lp.acme
	trusted := acme.clientInfo(lp.acmeClient).Client.LatestHeight
	update := func(sh *cmttypes.SignedHeader, vals *cmttypes.ValidatorSet) *bridge.MsgUpdateClient {
		h := self.bridgeHeader(sh, trusted)
		h.ValidatorSet = marshalSet(t, vals)
		return &bridge.MsgUpdateClient{Relayer: lp.relayer(), ClientId: lp.acmeClient, Header: h}
	}
	next := func() (int64, []byte, time.Time) {
		return self.ta.Height + 1, self.ta.LastCommitID().Hash, self.ta.Time.Add(time.Second)
	}

	t.Run("tampered header", func(t *testing.T) {
		sh := self.header()
		sh.AppHash = []byte("forged app hash, not what validators signed")
		acme.fails(acme.relayer, bridge.ErrInvalidHeader, update(sh, self.vals))
	})
	t.Run("another chain id", func(t *testing.T) {
		h, app, tm := next()
		sh := signHeader("evil-1", h, app, tm, self.keys, self.vals, self.vals, nil)
		acme.fails(acme.relayer, bridge.ErrInvalidHeader, update(sh, self.vals))
	})
	t.Run("signed by less than 2/3", func(t *testing.T) {
		h, app, tm := next()
		sh := signHeader(self.id, h, app, tm, self.keys, self.vals, self.vals, func(i int) bool { return i < 2 })
		acme.fails(acme.relayer, bridge.ErrInvalidHeader, update(sh, self.vals))
	})
	t.Run("new set signed by less than the trust level of the trusted set", func(t *testing.T) {
		self.ta.NextBlock() // non-adjacent: skip a height
		h, app, tm := next()
		keys, vals := validatorSet("usurpers", 4, "ed25519")
		sh := signHeader(self.id, h, app, tm, keys, vals, vals, nil)
		acme.fails(acme.relayer, bridge.ErrUntrustedValidators, update(sh, vals))
	})
	t.Run("trusted validators that are not the trusted header's", func(t *testing.T) {
		_, vals := validatorSet("usurpers", 4, "ed25519")
		m := update(self.header(), self.vals)
		m.Header.TrustedValidators = marshalSet(t, vals)
		acme.fails(acme.relayer, bridge.ErrInvalidHeader, m)
	})
	t.Run("undecodable header", func(t *testing.T) {
		m := update(self.header(), self.vals)
		m.Header.SignedHeader = []byte{0x0a, 0xff}
		acme.fails(acme.relayer, bridge.ErrInvalidHeader, m)
	})
	t.Run("creating a client from an expired header", func(t *testing.T) {
		h, app, tm := next()
		old := signHeader(self.id, h, app, tm.Add(-25*time.Hour), self.keys, self.vals, self.vals, nil)
		acme.fails(acme.relayer, bridge.ErrHeaderExpired, &bridge.MsgCreateClient{Creator: lp.relayer(), Header: self.bridgeHeader(old, 0), Params: testParams()})
	})
	t.Run("trusting period not below unbonding", func(t *testing.T) {
		p := testParams()
		p.TrustingPeriodSecs = p.UnbondingPeriodSecs
		acme.fails(acme.relayer, bridge.ErrInvalidClientParams, &bridge.MsgCreateClient{Creator: lp.relayer(), Header: self.bridgeHeader(self.header(), 0), Params: p})
	})
	t.Run("counterparty registered by a stranger", func(t *testing.T) {
		acme.fails(acme.bob, bridge.ErrNotCreator, &bridge.MsgRegisterCounterparty{Creator: acme.bob.Addr.String(), ClientId: lp.acmeClient, CounterpartyClientId: "client-7"})
	})
	t.Run("counterparty registered twice", func(t *testing.T) {
		acme.fails(acme.relayer, bridge.ErrCounterpartyRegistered, &bridge.MsgRegisterCounterparty{Creator: lp.relayer(), ClientId: lp.acmeClient, CounterpartyClientId: "client-7"})
	})

	// The client still works: a good header after all that updates it.
	acme.updateClient(self, lp.acmeClient)
}

// Transfers the chain must refuse without moving a coin.
func TestBadTransfersChangeNothing(t *testing.T) {
	lp := newLinkedPair(t)
	self := lp.self
	before := self.balance(self.alice, testutil.Denom)
	transfer := func(token types.Coin) *bridge.MsgTransfer {
		return &bridge.MsgTransfer{Sender: self.alice.Addr.String(), SourceClient: lp.selfClient, Receiver: lp.acme.bob.Addr.String(), Token: token}
	}
	self.fails(self.alice, bridge.ErrUnknownVoucher, transfer(types.NewCoin("bridge/"+string(make([]byte, 0))+"ABCDEF0123", 5)))
	self.fails(self.alice, runtime.ErrInsufficientFunds, transfer(types.NewCoin(testutil.Denom, 1<<62)))
	m := transfer(types.NewCoin(testutil.Denom, 5))
	m.SourceClient = "client-99"
	self.fails(self.alice, bridge.ErrClientNotFound, m)
	m = transfer(types.NewCoin(testutil.Denom, 5))
	m.TimeoutTimestamp = uint64(self.ta.Time.Unix()) - 1
	self.fails(self.alice, bridge.ErrInvalidTimeout, m)
	require.Equal(t, before.String(), self.balance(self.alice, testutil.Denom).String())
}
