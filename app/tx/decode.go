// Package tx holds the transaction envelope, its decoding and stateless checks, its
// sign bytes, the verified-signature cache, gas prices and a builder for clients.
// It imports no module: the ante pipeline that admits a tx against state (signer
// account, sequence, fee) is x/auth/ante.
package tx

import (
	"crypto/sha256"
	"strconv"

	gogotypes "github.com/cosmos/gogoproto/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// Hard limits checked before anything is decoded or looked up in state.
const (
	// MaxTxBytes is the largest tx a block may carry: a consensus rule, the same on
	// every node (ProcessProposal rejects a proposal holding a larger tx, and
	// PrepareProposal never builds one). CometBFT's block.max_bytes bounds a block's
	// txs together; this bounds each of them, and no node-local setting changes it.
	MaxTxBytes = 1 << 20
	// DefaultMaxTxBytes is app.toml's max-tx-bytes default: a node's mempool admits
	// at most MaxTxBytes (it may choose less), so every tx CheckTx admits fits a block.
	DefaultMaxTxBytes = MaxTxBytes
	MaxMsgsPerTx      = 32
	MaxSignatures     = 1
	MaxMemoBytes      = 1024 // structural cap; the auth param max_memo_characters is the (lower) live bound
)

// MsgDecoder turns an Any found at path into a registered message, accepting only
// canonical encodings at every depth (runtime.MsgRouter).
type MsgDecoder interface {
	DecodeAny(path string, a *gogotypes.Any) (runtime.Msg, error)
}

// Tx is a decoded, statelessly validated transaction.
type Tx struct {
	Raw      TxRaw
	Body     TxBody
	AuthInfo AuthInfo
	Msgs     []runtime.Msg
	Signer   crypto.Address
	Hash     [32]byte // sha256 of the wire bytes: the CometBFT tx hash
	Size     int
}

// Decode parses wire bytes into a Tx and runs every stateless check: size (at most
// maxTxBytes; 0 means MaxTxBytes), canonical envelope, message decoding and
// ValidateBasic, one signer that signs every message.
func Decode(bz []byte, dec MsgDecoder, maxTxBytes int) (*Tx, error) {
	if maxTxBytes <= 0 {
		maxTxBytes = MaxTxBytes
	}
	if len(bz) == 0 {
		return nil, runtime.ErrTxDecode.Wrap("empty tx")
	}
	if len(bz) > maxTxBytes {
		return nil, runtime.ErrTxTooLarge.Wrapf("tx is %d bytes, the limit is %d", len(bz), maxTxBytes)
	}
	t := &Tx{Size: len(bz), Hash: sha256.Sum256(bz)}
	// Everything signed is accepted only in its canonical encoding (the bytes equal
	// the re-encoding of what they decode to): one signed tx has exactly one hash, and
	// what a signer's wallet displays is the only reading of the bytes the chain
	// executes (no unknown fields, no field given twice, no non-minimal varints).
	if err := runtime.UnmarshalCanonical("tx envelope", bz, &t.Raw); err != nil {
		return nil, err
	}
	if err := runtime.UnmarshalCanonical("body", t.Raw.BodyBytes, &t.Body); err != nil {
		return nil, err
	}
	if err := runtime.UnmarshalCanonical("auth_info", t.Raw.AuthInfoBytes, &t.AuthInfo); err != nil {
		return nil, err
	}
	if err := t.validate(dec); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Tx) validate(dec MsgDecoder) error {
	n := len(t.Body.Messages)
	if n == 0 {
		return runtime.ErrInvalidRequest.Wrap("tx has no messages")
	}
	if n > MaxMsgsPerTx {
		return runtime.ErrTooManyMessages.Wrapf("tx has %d messages, at most %d are allowed", n, MaxMsgsPerTx)
	}
	if len(t.Body.Memo) > MaxMemoBytes {
		return runtime.ErrMemoTooLarge.Wrapf("memo is %d bytes, at most %d", len(t.Body.Memo), MaxMemoBytes)
	}
	if len(t.AuthInfo.SignerInfos) != 1 {
		return runtime.ErrUnauthorized.Wrapf("tx has %d signer infos, exactly 1 is required", len(t.AuthInfo.SignerInfos))
	}
	switch len(t.Raw.Signatures) {
	case 0:
		return runtime.ErrNoSignatures.Wrap("tx is unsigned")
	case 1:
	default:
		return runtime.ErrTooManySignatures.Wrapf("tx has %d signatures, exactly 1 is required", len(t.Raw.Signatures))
	}
	si := t.AuthInfo.SignerInfos[0]
	signer, err := crypto.AddressFromBech32(si.Address)
	if err != nil {
		return runtime.ErrInvalidAddress.Wrapf("signer address: %v", err)
	}
	t.Signer = signer
	if si.PublicKey != nil {
		if _, err := ParsePubKey(si.PublicKey); err != nil {
			return runtime.ErrInvalidPubKey.Wrapf("signer public key: %v", err)
		}
	}
	if t.AuthInfo.Fee.GasLimit == 0 {
		return runtime.ErrOutOfGas.Wrap("gas limit is 0: set --gas")
	}
	if err := t.AuthInfo.Fee.Amount.Validate(); err != nil {
		return runtime.ErrInsufficientFee.Wrapf("fee: %v", err)
	}
	t.Msgs = make([]runtime.Msg, n)
	for i, a := range t.Body.Messages {
		msg, err := dec.DecodeAny(msgPath(i), a)
		if err != nil {
			return err
		}
		// The one ValidateBasic of a tx's messages: handlers do not repeat it
		// (runtime.MsgRouter.Handler states the rule; MsgExec validates its inner
		// messages itself before routing them).
		if err := msg.ValidateBasic(); err != nil {
			return runtime.Wrapf(err, "message %d (%s)", i, a.TypeUrl)
		}
		if msg.Signer() != si.Address {
			return runtime.ErrUnauthorized.Wrapf("message %d is signed by %s but the tx signer is %s", i, msg.Signer(), si.Address)
		}
		t.Msgs[i] = msg
	}
	return nil
}

// msgPaths are the error paths of a tx's messages, built once.
var msgPaths = func() (p [MaxMsgsPerTx]string) {
	for i := range p {
		p[i] = msgPathOf(i)
	}
	return p
}()

func msgPathOf(i int) string { return "body.messages[" + strconv.Itoa(i) + "]" }

func msgPath(i int) string {
	if i < len(msgPaths) {
		return msgPaths[i]
	}
	return msgPathOf(i)
}

// Sequence and PubKey of the (single) signer; PubKey is nil when the tx omits it.
func (t *Tx) Sequence() uint64      { return t.AuthInfo.SignerInfos[0].Sequence }
func (t *Tx) PubKey() *types.PubKey { return t.AuthInfo.SignerInfos[0].PublicKey }
func (t *Tx) Fee() types.Coins      { return t.AuthInfo.Fee.Amount }
func (t *Tx) GasLimit() uint64      { return t.AuthInfo.Fee.GasLimit }
