package bridge

import (
	"context"
	"encoding/binary"
)

// The provable keys of the bridge store, in IBC v2's layout (ibc-go
// modules/core/24-host/v2/packet_keys.go): client id, one byte, big-endian sequence.
// A counterparty proves a claim about this chain with an ICS-23 proof of one of
// these keys in store "bridge" against an app hash its light client verified.
const (
	commitmentByte byte = 0x01 // packet sent over the client, not yet acknowledged or timed out
	receiptByte    byte = 0x02 // packet received from the counterparty of the client
	ackByte        byte = 0x03 // acknowledgement written for a received packet
)

// receiptValue is the stored receipt (IBC v2's sentinel receipt).
var receiptValue = []byte{0x02}

func packetKey(clientID string, kind byte, seq uint64) []byte {
	k := make([]byte, 0, len(clientID)+9)
	k = append(append(k, clientID...), kind)
	return binary.BigEndian.AppendUint64(k, seq)
}

// CommitmentKey is the provable key of a sent packet's commitment.
func CommitmentKey(clientID string, seq uint64) []byte {
	return packetKey(clientID, commitmentByte, seq)
}

// ReceiptKey is the provable key of a received packet's receipt.
func ReceiptKey(clientID string, seq uint64) []byte { return packetKey(clientID, receiptByte, seq) }

// AckKey is the provable key of a received packet's acknowledgement commitment.
func AckKey(clientID string, seq uint64) []byte { return packetKey(clientID, ackByte, seq) }

// raw store access for the provable keys; everything else goes through collections.
func (k Keeper) get(ctx context.Context, key []byte) ([]byte, error) {
	return k.stores.OpenKVStore(ctx).Get(key)
}

func (k Keeper) set(ctx context.Context, key, value []byte) error {
	return k.stores.OpenKVStore(ctx).Set(key, value)
}

func (k Keeper) del(ctx context.Context, key []byte) error {
	return k.stores.OpenKVStore(ctx).Delete(key)
}
