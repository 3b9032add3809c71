package bridge

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/types"
)

// The transfer app (ICS-20 v1 semantics): native tokens are escrowed and vouchers
// bridge/<SHA256(trace)> minted on the other side; vouchers going home are burned
// and the escrow released; an error ack or a timeout refunds the sender exactly.
const (
	TransferPort     = "transfer"
	TransferVersion  = "ics20-1"
	TransferEncoding = "application/x-protobuf"
	VoucherPrefix    = "bridge/"
	// MaxMemoLen bounds the memo carried in a transfer packet.
	MaxMemoLen = 256
)

// successAck is the transfer app's acknowledgement of a received payload.
var successAck = []byte{0x01}

var hopRe = regexp.MustCompile(`^` + TransferPort + `/client-[0-9]+/`)

// splitTrace splits a full denom trace into its hops ("transfer/client-0/...") and base.
func splitTrace(full string) DenomTrace {
	rest, path := full, ""
	for {
		hop := hopRe.FindString(rest)
		if hop == "" {
			return DenomTrace{Path: strings.TrimSuffix(path, "/"), BaseDenom: rest}
		}
		path += hop
		rest = rest[len(hop):]
	}
}

// FullPath is the trace as carried in packets: path/base_denom, or base_denom alone.
func (t DenomTrace) FullPath() string {
	if t.Path == "" {
		return t.BaseDenom
	}
	return t.Path + "/" + t.BaseDenom
}

// VoucherDenom is the local denom of a trace: the base denom itself when the trace
// has no hops (a native token), else bridge/<uppercase hex SHA-256 of the full path>.
func (t DenomTrace) VoucherDenom() string {
	if t.Path == "" {
		return t.BaseDenom
	}
	h := sha256.Sum256([]byte(t.FullPath()))
	return VoucherPrefix + strings.ToUpper(hex.EncodeToString(h[:]))
}

type transferApp struct{ k Keeper }

// Transfer moves token from sender into escrow (native) or burns it (a voucher
// going home) and sends a packet over sourceClient.
func (k Keeper) Transfer(ctx context.Context, m *MsgTransfer) (uint64, error) {
	sender, err := runtime.ParseAddress("sender", m.Sender)
	if err != nil {
		return 0, err
	}
	full := m.Token.Denom
	if strings.HasPrefix(m.Token.Denom, VoucherPrefix) {
		t, err := k.trace(ctx, m.Token.Denom)
		if err != nil {
			return 0, err
		}
		full = t.FullPath()
	}
	coins := types.Coins{m.Token}
	if returning(full, TransferPort, m.SourceClient) {
		err = k.bank.BurnCoins(ctx, sender, coins)
	} else {
		err = k.bank.SendCoins(ctx, sender, EscrowAddress(m.SourceClient), coins)
	}
	if err != nil {
		return 0, err
	}
	timeout := m.TimeoutTimestamp
	if timeout == 0 {
		p, err := k.GetParams(ctx)
		if err != nil {
			return 0, err
		}
		timeout = uint64(runtime.Unwrap(ctx).BlockTime().Unix()) + p.DefaultTimeoutSecs
	}
	data := FungibleTokenPacketData{Denom: full, Amount: m.Token.Amount.String(), Sender: m.Sender, Receiver: m.Receiver, Memo: m.Memo}
	value, err := data.Marshal()
	if err != nil {
		return 0, err
	}
	return k.SendPacket(ctx, m.SourceClient, timeout, Payload{
		SourcePort: TransferPort, DestinationPort: TransferPort, Version: TransferVersion, Encoding: TransferEncoding, Value: value,
	})
}

// returning reports whether a token with this full trace, sent over (port, client),
// goes back to the chain it came from: its first hop is that client's.
func returning(full, port, client string) bool {
	return strings.HasPrefix(full, port+"/"+client+"/")
}

// trace looks up a voucher denom's trace.
func (k Keeper) trace(ctx context.Context, denom string) (DenomTrace, error) {
	hash := strings.TrimPrefix(denom, VoucherPrefix)
	t, err := k.DenomTraces.Get(ctx, hash)
	if errors.Is(err, collections.ErrNotFound) {
		return t, ErrUnknownVoucher.Wrapf("no voucher %s on this chain (query bridge denom lists a known one's trace)", denom)
	}
	return t, err
}

func decodeTransferData(pl *Payload) (FungibleTokenPacketData, types.Coin, error) {
	var d FungibleTokenPacketData
	if pl.Version != TransferVersion || pl.Encoding != TransferEncoding {
		return d, types.Coin{}, ErrInvalidPacket.Wrapf("transfer payload must be version %s, encoding %s", TransferVersion, TransferEncoding)
	}
	if err := d.Unmarshal(pl.Value); err != nil {
		return d, types.Coin{}, ErrInvalidPacket.Wrapf("transfer payload: %v", err)
	}
	amt, err := types.ParseInt(d.Amount)
	if err != nil || amt.IsZero() {
		return d, types.Coin{}, ErrInvalidPacket.Wrapf("transfer amount %q must be a positive integer", d.Amount)
	}
	if len(d.Denom) > maxTraceLen || len(d.Memo) > MaxMemoLen {
		return d, types.Coin{}, ErrInvalidPacket.Wrap("transfer denom trace or memo too long")
	}
	return d, types.Coin{Amount: amt}, nil
}

// maxTraceLen bounds a denom trace (hops × ~20 bytes + the base denom).
const maxTraceLen = 512

func (a transferApp) OnRecvPacket(ctx context.Context, p *Packet, pl *Payload) ([]byte, error) {
	k := a.k
	d, coin, err := decodeTransferData(pl)
	if err != nil {
		return nil, err
	}
	receiver, err := runtime.ParseAddress("receiver", d.Receiver)
	if err != nil {
		return nil, err
	}
	if returning(d.Denom, pl.SourcePort, p.SourceClient) {
		// Coming home: release what was escrowed when it left.
		t := splitTrace(strings.TrimPrefix(d.Denom, pl.SourcePort+"/"+p.SourceClient+"/"))
		coin.Denom = t.VoucherDenom()
		if err := coin.Validate(); err != nil {
			return nil, ErrInvalidPacket.Wrapf("denom: %v", err)
		}
		return successAck, k.bank.SendCoins(ctx, EscrowAddress(p.DestinationClient), receiver, types.Coins{coin})
	}
	t := splitTrace(pl.DestinationPort + "/" + p.DestinationClient + "/" + d.Denom)
	coin.Denom = t.VoucherDenom()
	if err := types.ValidateDenom(t.BaseDenom); err != nil {
		return nil, ErrInvalidPacket.Wrapf("base denom: %v", err)
	}
	hash := strings.TrimPrefix(coin.Denom, VoucherPrefix)
	if err := k.DenomTraces.Set(ctx, hash, t); err != nil {
		return nil, err
	}
	if err := k.bank.EnsureDenom(ctx, coin.Denom, "bridge voucher of "+t.FullPath()); err != nil {
		return nil, err
	}
	return successAck, k.bank.MintCoins(ctx, receiver, types.Coins{coin})
}

func (a transferApp) OnAcknowledgePacket(ctx context.Context, p *Packet, pl *Payload, ack []byte) error {
	if bytes.Equal(ack, successAck) {
		return nil
	}
	return a.refund(ctx, p, pl)
}

func (a transferApp) OnTimeoutPacket(ctx context.Context, p *Packet, pl *Payload) error {
	return a.refund(ctx, p, pl)
}

// refund undoes Transfer exactly: re-mints a burnt voucher, or releases the escrow.
func (a transferApp) refund(ctx context.Context, p *Packet, pl *Payload) error {
	d, coin, err := decodeTransferData(pl)
	if err != nil {
		return err // this chain built the payload: it decodes
	}
	sender, err := runtime.ParseAddress("sender", d.Sender)
	if err != nil {
		return err
	}
	coin.Denom = splitTrace(d.Denom).VoucherDenom()
	if returning(d.Denom, pl.SourcePort, p.SourceClient) {
		return a.k.bank.MintCoins(ctx, sender, types.Coins{coin})
	}
	return a.k.bank.SendCoins(ctx, EscrowAddress(p.SourceClient), sender, types.Coins{coin})
}
