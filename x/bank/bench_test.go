package bank_test

import (
	"testing"

	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/bank"
)

// BenchmarkSendCoins measures the hot path (existing accounts, one denom) on a MemDB store.
func BenchmarkSendCoins(b *testing.B) {
	e := funded(b)
	amt := testutil.ParseCoins(b, "1uself")
	if err := e.k.SendCoins(e.ctx, alice, bob, amt); err != nil { // bob's account exists from here on
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := e.k.SendCoins(e.ctx, alice, bob, amt); err != nil {
			b.Fatal(err)
		}
		if err := e.k.SendCoins(e.ctx, bob, alice, amt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMsgSend(b *testing.B) {
	e := funded(b)
	msg := &bank.MsgSend{FromAddress: alice.String(), ToAddress: bob.String(), Amount: testutil.ParseCoins(b, "1uself")}
	back := &bank.MsgSend{FromAddress: bob.String(), ToAddress: alice.String(), Amount: testutil.ParseCoins(b, "1uself")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.msgs.Send(e.ctx, msg); err != nil {
			b.Fatal(err)
		}
		if _, err := e.msgs.Send(e.ctx, back); err != nil {
			b.Fatal(err)
		}
	}
}
