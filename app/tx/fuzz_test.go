package tx_test

import (
	"testing"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
)

func newDecoder() *runtime.MsgRouter {
	r := runtime.NewMsgRouter()
	bank.RegisterMsgServer(r, bank.NewMsgServer(bank.Keeper{}))
	return r
}

func validTx(tb testing.TB, memo string) []byte {
	key, err := crypto.GenerateKey(crypto.KeyTypeEd25519)
	if err != nil {
		tb.Fatal(err)
	}
	to, _ := crypto.GenerateKey(crypto.KeyTypeEd25519)
	b := tx.Builder{
		Msgs: []runtime.Msg{&bank.MsgSend{FromAddress: key.PubKey().Address().String(), ToAddress: to.PubKey().Address().String(),
			Amount: types.Coins{types.NewCoin("uself", 7)}}},
		Memo: memo, Fee: types.Coins{types.NewCoin("uself", 3)}, GasLimit: 100_000, IncludePubKey: true,
	}
	bz, err := b.Sign("fuzz-1", 3, 9, tx.KeySigner{Key: key})
	if err != nil {
		tb.Fatal(err)
	}
	return bz
}

// FuzzDecode: decoding never panics; whatever decodes re-encodes canonically and
// passes the stateless rules (one signer, bounded messages).
func FuzzDecode(f *testing.F) {
	f.Add(validTx(f, ""))
	f.Add(validTx(f, "a memo"))
	f.Add([]byte{0x0a, 0x00})
	dec := newDecoder()
	f.Fuzz(func(t *testing.T, bz []byte) {
		got, err := tx.Decode(bz, dec, 0)
		if err != nil {
			return
		}
		if len(got.Msgs) == 0 || len(got.Msgs) > tx.MaxMsgsPerTx || len(got.Raw.Signatures) != 1 {
			t.Fatalf("decoded tx breaks the stateless rules: %d msgs, %d sigs", len(got.Msgs), len(got.Raw.Signatures))
		}
		again, err := got.Raw.Marshal()
		if err != nil || string(again) != string(bz) {
			t.Fatal("accepted a non-canonical encoding")
		}
	})
}
