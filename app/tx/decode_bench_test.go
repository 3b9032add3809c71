package tx_test

import (
	"testing"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
)

// signedSend is a bank send signed by a fresh key of keyType, public key included
// (an account's first tx: the largest auth info a send carries).
func signedSend(tb testing.TB, keyType string) []byte {
	key, err := crypto.GenerateKey(keyType)
	if err != nil {
		tb.Fatal(err)
	}
	to, _ := crypto.GenerateKey(crypto.KeyTypeEd25519)
	b := tx.Builder{
		Msgs: []runtime.Msg{&bank.MsgSend{FromAddress: key.PubKey().Address().String(), ToAddress: to.PubKey().Address().String(),
			Amount: types.Coins{types.NewCoin("uself", 1000)}}},
		Fee: types.Coins{types.NewCoin("uself", 5)}, GasLimit: 200_000, IncludePubKey: true,
	}
	bz, err := b.Sign("bench-1", 7, 3, tx.KeySigner{Key: key})
	if err != nil {
		tb.Fatal(err)
	}
	return bz
}

// BenchmarkDecode is the stateless decode every tx goes through in CheckTx,
// PrepareProposal and FinalizeBlock (no signature check: that is the ante's).
func BenchmarkDecode(b *testing.B) {
	dec := newDecoder()
	for _, kt := range []string{crypto.KeyTypeEd25519, crypto.KeyTypeHybrid} {
		bz := signedSend(b, kt)
		b.Run(kt+"/send", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bz)))
			for i := 0; i < b.N; i++ {
				if _, err := tx.Decode(bz, dec, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
