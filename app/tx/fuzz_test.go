package tx_test

import (
	"testing"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/permissions"
)

func newDecoder() *runtime.MsgRouter {
	r := runtime.NewMsgRouter()
	bank.RegisterMsgServer(r, bank.NewMsgServer(bank.Keeper{}))
	permissions.RegisterMsgServer(r, permissions.NewMsgServer(permissions.Keeper{}))
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

// FuzzDecode: decoding never panics; whatever decodes re-encodes canonically (the
// envelope, body, auth info and every message) and passes the stateless rules (one
// signer, bounded messages).
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
		requireCanonical(t, "tx", &got.Raw, bz)
		requireCanonical(t, "body", &got.Body, got.Raw.BodyBytes)
		requireCanonical(t, "auth info", &got.AuthInfo, got.Raw.AuthInfoBytes)
		for i, a := range got.Body.Messages {
			requireAny(t, dec, a, got.Msgs[i], 0)
		}
	})
}
