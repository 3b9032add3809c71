package bridge

import (
	"context"
	"crypto/sha256"
)

// App is an application on the packet layer, bound to a port. The transfer app is
// the first; a second implements this and takes its own port in NewKeeper.
type App interface {
	// OnRecvPacket runs payload on the destination. Its writes are kept only if it
	// succeeds; an error becomes the universal error acknowledgement.
	OnRecvPacket(ctx context.Context, p *Packet, payload *Payload) (ack []byte, err error)
	// OnAcknowledgePacket runs on the source once the destination's ack is proven;
	// ack is ErrorAcknowledgement when the destination's app failed.
	OnAcknowledgePacket(ctx context.Context, p *Packet, payload *Payload, ack []byte) error
	// OnTimeoutPacket runs on the source once the destination is proven never to
	// have received the packet by its timeout.
	OnTimeoutPacket(ctx context.Context, p *Packet, payload *Payload) error
}

// ErrorAcknowledgement is the acknowledgement of a payload whose app failed (IBC v2's
// universal error acknowledgement): the reason goes to events, never into state, so
// error texts can change between versions without changing app hashes.
var ErrorAcknowledgement = func() []byte {
	h := sha256.Sum256([]byte("UNIVERSAL_ERROR_ACKNOWLEDGEMENT"))
	return h[:]
}()

func (k Keeper) app(port string) (App, error) {
	a, ok := k.apps[port]
	if !ok {
		return nil, ErrUnknownPort.Wrapf("no app on port %q (this chain has %q)", port, TransferPort)
	}
	return a, nil
}
