package analyzer

import (
	"strings"
	"testing"

	"github.com/selfchain/selfchain/crypto"
)

// Recipients are decoded into typed addresses, so one account written in
// lower or upper case bech32 is one recipient, the same key as when it sends.
func TestResolveRecipientsTypesAddresses(t *testing.T) {
	acct := crypto.ModuleAddress("recipient")
	b := Block{Txs: []TxSummary{
		{Sender: acct, Transfers: []Transfer{
			{ToBech32: acct.String(), Amount: 1},
			{ToBech32: strings.ToUpper(acct.String()), Amount: 2},
			{ToBech32: "not-an-address", Amount: 3},
			{To: crypto.ModuleAddress("kept"), ToBech32: acct.String(), Amount: 4},
		}},
	}}
	b.ResolveRecipients()
	trs := b.Txs[0].Transfers
	if !trs[0].To.Equals(acct) || !trs[1].To.Equals(acct) {
		t.Fatalf("recipients %v %v, want %v twice", trs[0].To, trs[1].To, acct)
	}
	if string(trs[0].To) != string(b.Txs[0].Sender) {
		t.Fatal("a recipient and a sender of one account must be the same key")
	}
	if trs[2].To != nil {
		t.Fatalf("an undecodable recipient resolved to %v", trs[2].To)
	}
	if !trs[3].To.Equals(crypto.ModuleAddress("kept")) {
		t.Fatal("a set To was overwritten")
	}
}
