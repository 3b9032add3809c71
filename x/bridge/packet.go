package bridge

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"cosmossdk.io/collections"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
)

// MaxTimeoutDelta bounds how far ahead of this chain's block time a packet's timeout
// may be (IBC v2's limit): a packet can never stay pending longer than this.
const MaxTimeoutDelta = 24 * time.Hour

// MaxPayloads per packet: one, as ibc-go v10 allows today.
const MaxPayloads = 1

// registeredClient returns active local client id once its counterparty is registered.
func (k Keeper) registeredClient(ctx context.Context, id string) (ClientState, error) {
	c, err := k.activeClient(ctx, id)
	if err != nil {
		return c, err
	}
	if c.CounterpartyClientId == "" {
		return c, ErrCounterpartyNotRegistered.Wrapf("client %s has no counterparty yet: its creator registers it with tx bridge register-counterparty", id)
	}
	return c, nil
}

// linkedClient returns the active local client id whose registered counterparty is
// counterpartyID.
func (k Keeper) linkedClient(ctx context.Context, id, counterpartyID string) (ClientState, error) {
	c, err := k.registeredClient(ctx, id)
	if err != nil {
		return c, err
	}
	if c.CounterpartyClientId != counterpartyID {
		return c, ErrInvalidPacket.Wrapf("client %s's counterparty is %s, the packet names %s", id, c.CounterpartyClientId, counterpartyID)
	}
	return c, nil
}

// SendPacket commits a packet over sourceClient and returns its sequence. Apps call it.
func (k Keeper) SendPacket(ctx context.Context, sourceClient string, timeout uint64, payload Payload) (uint64, error) {
	c, err := k.registeredClient(ctx, sourceClient)
	if err != nil {
		return 0, err
	}
	now := runtime.Unwrap(ctx).BlockTime()
	if t := time.Unix(int64(timeout), 0); !t.After(now) || t.Sub(now) > MaxTimeoutDelta {
		return 0, ErrInvalidTimeout.Wrapf("timeout %s must be after this block's time %s and at most %s later", t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), MaxTimeoutDelta)
	}
	p := Packet{Sequence: c.NextSequenceSend, SourceClient: sourceClient, DestinationClient: c.CounterpartyClientId, TimeoutTimestamp: timeout, Payloads: []Payload{payload}}
	c.NextSequenceSend++
	if err := k.Clients.Set(ctx, sourceClient, c); err != nil {
		return 0, err
	}
	if err := k.set(ctx, CommitmentKey(sourceClient, p.Sequence), CommitPacket(&p)); err != nil {
		return 0, err
	}
	if err := k.Packets.Set(ctx, collections.Join(sourceClient, p.Sequence), p); err != nil {
		return 0, err
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeSendPacket, packetAttrs(&p)...)
	return p.Sequence, nil
}

func packetAttrs(p *Packet, extra ...string) []string {
	return append([]string{AttrSourceClient, p.SourceClient, AttrDestClient, p.DestinationClient,
		AttrSequence, fmt.Sprint(p.Sequence), AttrTimeout, fmt.Sprint(p.TimeoutTimestamp)}, extra...)
}

// verifyProof checks an ICS-23 proof (tendermint.crypto.ProofOps bytes) of key in the
// counterparty's bridge store against the app hash of client's consensus state at
// height: value nil proves absence.
func (k Keeper) verifyProof(ctx context.Context, clientID string, height uint64, proof, key, value []byte) error {
	cs, err := k.consensusState(ctx, clientID, height)
	if err != nil {
		return err
	}
	var ops cmtcrypto.ProofOps
	if err := ops.Unmarshal(proof); err != nil {
		return ErrInvalidProof.Wrapf("proof is not a tendermint.crypto.ProofOps: %v", err)
	}
	runtime.Unwrap(ctx).GasMeter().ConsumeGas(proofGas+uint64(len(proof)), "bridge proof")
	if value == nil {
		err = store.VerifyNonMembership(cs.AppHash, ModuleName, key, &ops)
	} else {
		err = store.VerifyMembership(cs.AppHash, ModuleName, key, value, &ops)
	}
	if err != nil {
		return ErrInvalidProof.Wrapf("against client %s at height %d (the counterparty's state after block %d): %v", clientID, height, height-1, err)
	}
	return nil
}

// proofGas is charged per proof verified, plus a unit per proof byte (~40 hashes).
const proofGas = 2000

// RecvPacket delivers p: it proves the source committed it, writes the receipt once,
// runs the payload's app in a branch and writes the acknowledgement.
func (k Keeper) RecvPacket(ctx context.Context, p *Packet, proof []byte, proofHeight uint64) (Acknowledgement, error) {
	if _, err := k.linkedClient(ctx, p.DestinationClient, p.SourceClient); err != nil {
		return Acknowledgement{}, err
	}
	rc := runtime.Unwrap(ctx)
	if now := rc.BlockTime(); !time.Unix(int64(p.TimeoutTimestamp), 0).After(now) {
		return Acknowledgement{}, ErrPacketTimedOut.Wrapf("packet %d from %s timed out at %s, this block's time is %s: the source refunds it with a Timeout",
			p.Sequence, p.SourceClient, time.Unix(int64(p.TimeoutTimestamp), 0).UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	rkey := ReceiptKey(p.DestinationClient, p.Sequence)
	if r, err := k.get(ctx, rkey); err != nil {
		return Acknowledgement{}, err
	} else if r != nil {
		return Acknowledgement{}, ErrAlreadyReceived.Wrapf("packet %d over %s was already received (another relayer delivered it)", p.Sequence, p.DestinationClient)
	}
	if err := k.verifyProof(ctx, p.DestinationClient, proofHeight, proof, CommitmentKey(p.SourceClient, p.Sequence), CommitPacket(p)); err != nil {
		return Acknowledgement{}, runtime.Wrapf(err, "commitment of packet %d", p.Sequence)
	}
	if err := k.set(ctx, rkey, receiptValue); err != nil {
		return Acknowledgement{}, err
	}
	ack := Acknowledgement{AppAcknowledgements: make([][]byte, len(p.Payloads))}
	for i := range p.Payloads {
		res, appErr := k.runRecv(rc, p, &p.Payloads[i])
		if appErr != nil {
			ack.AppAcknowledgements[i] = ErrorAcknowledgement
			rc.EventManager().Emit(EventTypeRecvPacket, packetAttrs(p, AttrSuccess, "false", AttrError, appErr.Error())...)
			continue
		}
		ack.AppAcknowledgements[i] = res
		rc.EventManager().Emit(EventTypeRecvPacket, packetAttrs(p, AttrSuccess, "true")...)
	}
	if err := k.set(ctx, AckKey(p.DestinationClient, p.Sequence), CommitAcknowledgement(&ack)); err != nil {
		return ack, err
	}
	if err := k.Acks.Set(ctx, collections.Join(p.DestinationClient, p.Sequence), ack); err != nil {
		return ack, err
	}
	return ack, nil
}

// runRecv runs one payload's app in a branch kept only on success. A Go error other
// than the app's own refusal (a store failure) still reaches the caller as appErr:
// the packet gets an error ack rather than a half-applied state.
func (k Keeper) runRecv(rc *runtime.Context, p *Packet, pl *Payload) ([]byte, error) {
	a, err := k.app(pl.DestinationPort)
	if err != nil {
		return nil, err
	}
	child, commit, err := rc.Branch()
	if err != nil {
		return nil, err
	}
	res, err := a.OnRecvPacket(child, p, pl)
	if err != nil {
		return nil, err
	}
	return res, commit()
}

// sentPacket checks that p is the packet this chain committed under its sequence.
func (k Keeper) sentPacket(ctx context.Context, p *Packet) error {
	if _, err := k.linkedClient(ctx, p.SourceClient, p.DestinationClient); err != nil {
		return err
	}
	c, err := k.get(ctx, CommitmentKey(p.SourceClient, p.Sequence))
	if err != nil {
		return err
	}
	if c == nil {
		return ErrPacketNotPending.Wrapf("no pending packet %d over %s: never sent, or already acknowledged or timed out", p.Sequence, p.SourceClient)
	}
	if !bytes.Equal(c, CommitPacket(p)) {
		return ErrInvalidPacket.Wrapf("packet %d over %s differs from the one sent (its commitment does not match)", p.Sequence, p.SourceClient)
	}
	return nil
}

func (k Keeper) deletePacket(ctx context.Context, p *Packet) error {
	if err := k.del(ctx, CommitmentKey(p.SourceClient, p.Sequence)); err != nil {
		return err
	}
	return k.Packets.Remove(ctx, collections.Join(p.SourceClient, p.Sequence))
}

// Acknowledge proves the destination's ack of p, deletes p's commitment and lets the
// app see the ack.
func (k Keeper) Acknowledge(ctx context.Context, p *Packet, ack *Acknowledgement, proof []byte, proofHeight uint64) error {
	if err := k.sentPacket(ctx, p); err != nil {
		return err
	}
	if len(ack.AppAcknowledgements) != len(p.Payloads) {
		return ErrInvalidAcknowledgement.Wrapf("%d acknowledgements for %d payloads", len(ack.AppAcknowledgements), len(p.Payloads))
	}
	if err := k.verifyProof(ctx, p.SourceClient, proofHeight, proof, AckKey(p.DestinationClient, p.Sequence), CommitAcknowledgement(ack)); err != nil {
		return runtime.Wrapf(err, "acknowledgement of packet %d", p.Sequence)
	}
	if err := k.deletePacket(ctx, p); err != nil {
		return err
	}
	if err := k.forEachSourceApp(p, func(i int, a App, pl *Payload) error {
		return a.OnAcknowledgePacket(ctx, p, pl, ack.AppAcknowledgements[i])
	}); err != nil {
		return err
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeAcknowledgePacket, packetAttrs(p)...)
	return nil
}

// Timeout proves the destination had not received p by a height whose block time
// reached p's timeout, deletes p's commitment and lets the app refund.
func (k Keeper) Timeout(ctx context.Context, p *Packet, proof []byte, proofHeight uint64) error {
	if err := k.sentPacket(ctx, p); err != nil {
		return err
	}
	cs, err := k.consensusState(ctx, p.SourceClient, proofHeight)
	if err != nil {
		return err
	}
	if timeout := time.Unix(int64(p.TimeoutTimestamp), 0); time.Unix(0, cs.Timestamp).Before(timeout) {
		return ErrTimeoutNotReached.Wrapf("the destination's block time at height %d is %s, before the packet's timeout %s: relay it, or prove the timeout from a later height",
			proofHeight, time.Unix(0, cs.Timestamp).UTC().Format(time.RFC3339), timeout.UTC().Format(time.RFC3339))
	}
	if err := k.verifyProof(ctx, p.SourceClient, proofHeight, proof, ReceiptKey(p.DestinationClient, p.Sequence), nil); err != nil {
		return runtime.Wrapf(err, "absence of a receipt of packet %d", p.Sequence)
	}
	if err := k.deletePacket(ctx, p); err != nil {
		return err
	}
	if err := k.forEachSourceApp(p, func(_ int, a App, pl *Payload) error {
		return a.OnTimeoutPacket(ctx, p, pl)
	}); err != nil {
		return err
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeTimeoutPacket, packetAttrs(p)...)
	return nil
}

// forEachSourceApp calls f with each payload of a packet this chain sent and the app
// on its source port.
func (k Keeper) forEachSourceApp(p *Packet, f func(i int, a App, pl *Payload) error) error {
	for i := range p.Payloads {
		a, err := k.app(p.Payloads[i].SourcePort)
		if err != nil {
			return err
		}
		if err := f(i, a, &p.Payloads[i]); err != nil {
			return err
		}
	}
	return nil
}
