package tx

import (
	"fmt"

	"github.com/cosmos/gogoproto/proto"
	gogotypes "github.com/cosmos/gogoproto/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// Builder assembles and signs a tx on the client side. client.Plan embeds it
// (adding the chain, signer, account number and sequence it is signed for), so a
// tx's fields are declared once.
type Builder struct {
	Msgs          []runtime.Msg
	Memo          string
	TimeoutHeight uint64
	Fee           types.Coins
	GasLimit      uint64
	// IncludePubKey puts the signer's public key in the tx; required on an
	// account's first tx, optional afterwards (the chain stores it).
	IncludePubKey bool
}

// Signer signs bytes for one key; a keyring entry or a raw private key satisfies it.
type Signer interface {
	Sign(msg []byte) ([]byte, error)
	PubKey() crypto.PubKey
}

// Sign builds the tx for signer's address at accountNumber/sequence on chainID and returns its wire bytes.
func (b *Builder) Sign(chainID string, accountNumber, sequence uint64, s Signer) ([]byte, error) {
	if len(b.Msgs) == 0 {
		return nil, fmt.Errorf("tx has no messages")
	}
	pub := s.PubKey()
	body := TxBody{Memo: b.Memo, TimeoutHeight: b.TimeoutHeight}
	for _, m := range b.Msgs {
		v, err := proto.Marshal(m)
		if err != nil {
			return nil, err
		}
		body.Messages = append(body.Messages, &gogotypes.Any{TypeUrl: "/" + proto.MessageName(m), Value: v})
	}
	si := SignerInfo{Address: pub.Address().String(), Sequence: sequence}
	if b.IncludePubKey {
		si.PublicKey = &types.PubKey{Type: pub.Type(), Key: pub.Bytes()}
	}
	auth := AuthInfo{SignerInfos: []SignerInfo{si}, Fee: Fee{Amount: b.Fee, GasLimit: b.GasLimit}}
	bodyBz, err := body.Marshal()
	if err != nil {
		return nil, err
	}
	authBz, err := auth.Marshal()
	if err != nil {
		return nil, err
	}
	signBz, err := SignBytes(chainID, accountNumber, bodyBz, authBz)
	if err != nil {
		return nil, err
	}
	sig, err := s.Sign(signBz)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	raw := TxRaw{BodyBytes: bodyBz, AuthInfoBytes: authBz, Signatures: [][]byte{sig}}
	return raw.Marshal()
}

// KeySigner adapts a private key to Signer.
type KeySigner struct{ Key crypto.PrivKey }

func (k KeySigner) Sign(msg []byte) ([]byte, error) { return k.Key.Sign(msg) }
func (k KeySigner) PubKey() crypto.PubKey           { return k.Key.PubKey() }
