package bridge

import (
	"crypto/sha256"
	"encoding/binary"
)

// CommitPacket is the value stored under a packet's commitment key: IBC v2's
// commitment (ibc-go modules/core/04-channel/v2/types/commitment.go) — the
// destination client, the timeout and every payload, hashed. Source client and
// sequence are in the key.
func CommitPacket(p *Packet) []byte {
	buf := make([]byte, 0, 1+32*3)
	buf = append(buf, 0x02)
	h := sha256.Sum256([]byte(p.DestinationClient))
	buf = append(buf, h[:]...)
	h = sha256.Sum256(binary.BigEndian.AppendUint64(nil, p.TimeoutTimestamp))
	buf = append(buf, h[:]...)
	var app []byte
	for i := range p.Payloads {
		ph := hashPayload(&p.Payloads[i])
		app = append(app, ph[:]...)
	}
	h = sha256.Sum256(app)
	buf = append(buf, h[:]...)
	out := sha256.Sum256(buf)
	return out[:]
}

func hashPayload(p *Payload) [32]byte {
	var buf []byte
	for _, f := range [][]byte{[]byte(p.SourcePort), []byte(p.DestinationPort), []byte(p.Version), []byte(p.Encoding), p.Value} {
		h := sha256.Sum256(f)
		buf = append(buf, h[:]...)
	}
	return sha256.Sum256(buf)
}

// CommitAcknowledgement is the value stored under an ack key: every app's
// acknowledgement, hashed in payload order.
func CommitAcknowledgement(a *Acknowledgement) []byte {
	buf := []byte{0x02}
	for _, ack := range a.AppAcknowledgements {
		h := sha256.Sum256(ack)
		buf = append(buf, h[:]...)
	}
	out := sha256.Sum256(buf)
	return out[:]
}
