package holder

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/selfchain/selfchain/backup/onchain"
	"github.com/selfchain/selfchain/types"
)

func coin(n uint64) types.Coin { return types.NewCoin("uself", n) }

func TestAcceptPolicyCheck(t *testing.T) {
	p := AcceptPolicy{MinPrice: coin(5), MaxQuota: 1 << 30, MaxCollateral: coin(1000), MinEscrowEpochs: 10, MinNoticeEpochs: 2}
	good := onchain.Agreement{Status: onchain.StatusProposed, Quota: 1 << 30, Price: coin(5), Escrow: coin(50), Collateral: coin(1000), NoticeEpochs: 2}
	if err := p.Check(good); err != nil {
		t.Fatalf("good proposal: %v", err)
	}
	for _, c := range []struct {
		f    func(*onchain.Agreement)
		want string
	}{
		{func(a *onchain.Agreement) { a.Price = coin(4) }, "price 4uself per epoch is below the minimum 5uself"},
		{func(a *onchain.Agreement) { a.Price = types.NewCoin("stake", 500) }, "below the minimum"},
		{func(a *onchain.Agreement) { a.Quota = 1<<30 + 1 }, "over the maximum 1073741824"},
		{func(a *onchain.Agreement) { a.Collateral = coin(1001) }, "it asks collateral 1001uself, over the maximum 1000uself"},
		{func(a *onchain.Agreement) { a.Escrow = coin(49) }, "escrow 49uself pays fewer than 10 epochs"},
		{func(a *onchain.Agreement) { a.NoticeEpochs = 1 }, "notice of 1 epochs is below the minimum 2"},
	} {
		a := good
		c.f(&a)
		if err := p.Check(a); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
	// Without a collateral maximum only proposals asking none pass.
	p.MaxCollateral = types.Coin{}
	if err := p.Check(good); err == nil || !strings.Contains(err.Error(), "locks none automatically") {
		t.Fatalf("collateral with no maximum: %v", err)
	}
	good.Collateral = types.Coin{}
	if err := p.Check(good); err != nil {
		t.Fatalf("no collateral asked: %v", err)
	}
	if err := (AcceptPolicy{}).Validate(); err == nil || !strings.Contains(err.Error(), "--accept-min-price") {
		t.Fatalf("empty policy: %v", err)
	}
	if err := (AcceptPolicy{MinPrice: coin(1), MaxCollateral: types.NewCoin("stake", 1)}).Validate(); err == nil {
		t.Fatal("collateral in another denom accepted")
	}
}

// failingAcceptor refuses every accept.
type failingAcceptor struct{ calls int }

func (f *failingAcceptor) Accept(context.Context, uint64, types.Coin) error {
	f.calls++
	return errors.New("insufficient funds")
}

// The acceptor decides each proposal once, accepts the ones meeting the
// policy, leaves the others (logged) and gives up on one the chain keeps
// refusing after maxAcceptTries.
func TestAutoAccepterDecidesOnce(t *testing.T) {
	ctx := context.Background()
	chain := onchain.NewMemory()
	store, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var log bytes.Buffer
	s := NewServer(Config{NodeID: "node-a", Chain: chain, Store: store, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	prop := onchain.Agreement{Owner: "alice", Holder: "node-a", Status: onchain.StatusProposed, Quota: 1 << 20, Price: coin(5), Escrow: coin(5), NoticeEpochs: 1}
	for id, price := range map[uint64]uint64{1: 5, 2: 4} {
		a := prop
		a.ID, a.Price = id, coin(price)
		chain.Put(a)
	}
	other := prop
	other.ID, other.Holder = 3, "node-b"
	chain.Put(other)
	x := s.NewAutoAccepter(chain, AcceptPolicy{MinPrice: coin(5)})
	got, err := x.Step(ctx)
	if err != nil || len(got) != 1 || got[0] != 1 {
		t.Fatalf("step: %v %v, want [1]", got, err)
	}
	for id, want := range map[uint64]string{1: onchain.StatusActive, 2: onchain.StatusProposed, 3: onchain.StatusProposed} {
		if a, _ := chain.Agreement(ctx, id); a.Status != want {
			t.Errorf("agreement %d is %s, want %s", id, a.Status, want)
		}
	}
	if !strings.Contains(log.String(), "reason=\"price 4uself per epoch is below the minimum 5uself\"") {
		t.Fatalf("decline not logged:\n%s", log.String())
	}
	before := log.Len()
	if got, _ := x.Step(ctx); len(got) != 0 || log.Len() != before {
		t.Fatalf("second step accepted %v or logged again:\n%s", got, log.String()[before:])
	}

	// A chain that refuses: retried maxAcceptTries times, then left.
	a := prop
	a.ID = 4
	chain.Put(a)
	f := &failingAcceptor{}
	y := s.NewAutoAccepter(f, AcceptPolicy{MinPrice: coin(5)})
	for range maxAcceptTries + 2 {
		if _, err := y.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if f.calls != maxAcceptTries {
		t.Fatalf("accept tried %d times, want %d", f.calls, maxAcceptTries)
	}
	if !strings.Contains(log.String(), "left for the operator") {
		t.Fatalf("give-up not logged:\n%s", log.String())
	}
}
