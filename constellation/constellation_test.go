package constellation

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/server"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/poai"
)

// testSpec is a small valid spec; base 0 lets Create pick free ports.
func testSpec(name string, validators int) *Spec {
	return &Spec{
		Name: name, Validators: validators, Bech32Prefix: "acme",
		BlockTime: Duration{300 * time.Millisecond},
		Token: TokenSpec{Denom: "uacme", DisplayName: "ACME", Decimals: 6, Supply: "1000000000",
			Accounts: []Account{{Name: "alice", Amount: "1000000"}, {Name: "bob", Amount: "500"}}},
	}
}

func TestSpecValidation(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Spec)
		want string
	}{
		{"bad name", func(s *Spec) { s.Name = "Acme!" }, "invalid chain name"},
		{"bad chain id", func(s *Spec) { s.ChainID = "acme" }, "invalid chain id"},
		{"chain id with spaces", func(s *Spec) { s.ChainID = "ac me-1" }, "invalid chain id"},
		{"zero validators", func(s *Spec) { s.Validators = 0 }, "want 1 to 100"},
		{"101 validators", func(s *Spec) { s.Validators = 101 }, "want 1 to 100"},
		{"key type", func(s *Spec) { s.ConsensusKey = "rsa" }, "consensus_key"},
		{"poai mode", func(s *Spec) { s.PoAIMode = "magic" }, "poai_mode"},
		{"poai model", func(s *Spec) { s.PoAIModel = "rm -rf /; echo" }, "poai_model"},
		{"block time", func(s *Spec) { s.BlockTime.Duration = time.Millisecond }, "block_time"},
		{"prefix", func(s *Spec) { s.Bech32Prefix = "ACME" }, "bech32_prefix"},
		{"denom", func(s *Spec) { s.Token.Denom = "1x" }, "denom"},
		{"supply", func(s *Spec) { s.Token.Supply = "-5" }, "supply"},
		{"accounts exceed supply", func(s *Spec) { s.Token.Supply = "100" }, "more than the supply"},
		{"duplicate account", func(s *Spec) { s.Token.Accounts[1].Name = "alice" }, "listed twice"},
		{"treasury reserved", func(s *Spec) { s.Token.Accounts[0].Name = TreasuryName }, "reserved"},
		{"foreign address", func(s *Spec) {
			s.Token.Accounts[0] = Account{Address: "self1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", Amount: "1"}
		}, "start with acme1"},
		{"base port", func(s *Spec) { s.BasePort = 65500 }, "invalid base port"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := testSpec("acme", 4)
			c.edit(s)
			s.Defaults()
			err := s.Validate()
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
		})
	}
	s := testSpec("acme", 4)
	s.Defaults()
	require.NoError(t, s.Validate())
	require.Equal(t, "acme-1", s.ChainID)
	require.Equal(t, PoAIModeAuthority, s.PoAIMode)
}

func TestParseSpecRejectsMalformed(t *testing.T) {
	s := testSpec("acme", 2)
	s.Defaults()
	s.BasePort = 30000
	good, err := s.Marshal()
	require.NoError(t, err)
	back, err := ParseSpec(good)
	require.NoError(t, err)
	require.Equal(t, s, back)

	for name, bad := range map[string]string{
		"not yaml":     "name: [acme",
		"unknown key":  strings.Replace(string(good), "validators: 2", "validators: 2\nvalidatorz: 3", 1),
		"bad duration": strings.Replace(string(good), "block_time: 300ms", "block_time: fast", 1),
		"wrong type":   strings.Replace(string(good), "validators: 2", "validators: two", 1),
		"invalid":      strings.Replace(string(good), "validators: 2", "validators: 0", 1),
	} {
		_, err := ParseSpec([]byte(bad))
		require.Error(t, err, name)
	}
}

func TestCreateBuildsChain(t *testing.T) {
	home := t.TempDir()
	spec := testSpec("acme", 4)
	spec.ConsensusKey = server.ConsensusKeyMlDsa65
	spec.PoAIModel = "llama3.1:8b"
	start := time.Now()
	c, err := Create(home, spec)
	require.NoError(t, err)
	t.Logf("new with 4 ML-DSA-65 validators: %s", time.Since(start))
	require.NoError(t, c.VerifyGenesis())

	reopened, err := Open(home, "acme")
	require.NoError(t, err)
	require.Equal(t, c.Layout, reopened.Layout)

	gen, err := server.LoadGenesis(filepath.Join(c.Dir, "genesis.json"))
	require.NoError(t, err)
	require.Equal(t, "acme-1", gen.ChainID)
	require.Len(t, gen.Validators, 4)
	var state map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(gen.AppState, &state))
	var bs struct {
		Balances      []bank.Balance  `json:"balances"`
		Supply        json.RawMessage `json:"supply"`
		DenomMetadata []bank.Metadata `json:"denom_metadata"`
	}
	require.NoError(t, json.Unmarshal(state["bank"], &bs))
	require.Equal(t, []bank.Metadata{{Base: "uacme", Display: "ACME", Exponent: 6, Description: "The native token of acme-1."}}, bs.DenomMetadata)
	require.Len(t, bs.Balances, 9) // alice, bob, 4 operators, admin, bonded pool, treasury
	for _, b := range bs.Balances {
		require.True(t, strings.HasPrefix(b.Address, "acme1"), b.Address)
	}
	require.Contains(t, string(bs.Supply), "1000000000")

	seen := map[int]bool{}
	for _, p := range c.Layout.Named() {
		require.False(t, seen[p.Port], "port %d used twice", p.Port)
		seen[p.Port] = true
	}
	for i := 0; i < 4; i++ {
		conf, err := server.LoadCometConfig(c.NodeHome(i), nil)
		require.NoError(t, err)
		require.Equal(t, 300*time.Millisecond, conf.Consensus.TimeoutCommit)
		require.Equal(t, fmt.Sprintf("tcp://127.0.0.1:%d", c.Layout.Nodes[i].RPC), conf.RPC.ListenAddress)
		require.Len(t, strings.Split(conf.P2P.PersistentPeers, ","), 3)
		require.NotContains(t, conf.P2P.PersistentPeers, fmt.Sprintf(":%d", c.Layout.Nodes[i].P2P))
		ac, err := app.LoadConfig(c.NodeHome(i))
		require.NoError(t, err)
		require.Equal(t, "0.001uacme", ac.MinGasPrices)
		require.Equal(t, "acme", ac.Bech32Prefix)
		// The tx API on the node's block of ports (+3), checked free like the others.
		require.Equal(t, fmt.Sprintf("tcp://127.0.0.1:%d", c.Layout.Base+10*(i+1)+3), ac.API.Address)
		require.True(t, seen[c.Layout.Nodes[i].API])
		cc, err := client.LoadConfig(c.NodeHome(i))
		require.NoError(t, err)
		require.Equal(t, "acme", cc.Bech32Prefix)
		nbz, _ := os.ReadFile(server.GenesisPath(c.NodeHome(i)))
		gbz, _ := os.ReadFile(filepath.Join(c.Dir, "genesis.json"))
		require.Equal(t, gbz, nbz)
		pub, err := server.ShowValidator(c.NodeHome(i))
		require.NoError(t, err)
		require.Equal(t, server.ConsensusKeyMlDsa65, pub.Type())
	}
	checkPoAIGenesis(t, c, gen, state, "llama3.1:8b")

	// An edited node genesis, an edited chain genesis, and a forged signature are each caught.
	nodeGen := server.GenesisPath(c.NodeHome(2))
	orig, _ := os.ReadFile(nodeGen)
	require.NoError(t, os.WriteFile(nodeGen, append(orig, ' '), 0o644))
	require.ErrorContains(t, c.VerifyGenesis(), "node3's genesis.json differs")
	require.NoError(t, os.WriteFile(nodeGen, orig, 0o644))

	sigPath := filepath.Join(c.Dir, GenesisSigsFile)
	sbz, _ := os.ReadFile(sigPath)
	var sigs GenesisSignatures
	require.NoError(t, json.Unmarshal(sbz, &sigs))
	sigs.Signatures[1].Signature[0] ^= 1
	forged, _ := json.Marshal(sigs)
	require.NoError(t, os.WriteFile(sigPath, forged, 0o644))
	require.ErrorContains(t, c.VerifyGenesis(), "no valid signature")
	require.NoError(t, os.WriteFile(sigPath, sbz, 0o644))

	genPath := filepath.Join(c.Dir, "genesis.json")
	require.NoError(t, os.WriteFile(genPath, append(orig, '\n'), 0o644))
	require.ErrorContains(t, c.VerifyGenesis(), "changed after the validators signed it")
	require.NoError(t, os.WriteFile(genPath, orig, 0o644))
	require.NoError(t, c.VerifyGenesis())
}

func TestCreateBadInputWritesNothing(t *testing.T) {
	home := t.TempDir()
	_, err := Create(home, testSpec("taken", 1))
	require.NoError(t, err)
	before := testutil.TreeSnapshot(t, home)

	l, busy := busyNode1RPC(t)
	defer l.Close()

	cases := []struct {
		name string
		spec func() *Spec
		want string
	}{
		{"invalid chain id", func() *Spec { s := testSpec("acme", 4); s.ChainID = "Not A Chain"; return s }, "invalid chain id"},
		{"zero validators", func() *Spec { return testSpec("acme", 0) }, "want 1 to 100"},
		{"too many validators", func() *Spec { return testSpec("acme", 101) }, "want 1 to 100"},
		{"duplicate name", func() *Spec { return testSpec("taken", 1) }, "already exists"},
		{"port in use", func() *Spec { s := testSpec("acme", 1); s.BasePort = busy - 11; return s }, fmt.Sprintf("port %d (node1 rpc) is in use by pid %d", busy, os.Getpid())},
		{"overlapping ports", func() *Spec {
			c, _ := Open(home, "taken")
			s := testSpec("acme", 1)
			s.BasePort = c.Layout.Base + 5
			return s
		}, "overlap chain taken"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Create(home, c.spec())
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
			require.Equal(t, before, testutil.TreeSnapshot(t, home), "a rejected new wrote something")
		})
	}
}

func TestApplyKeepsKeysUntilStarted(t *testing.T) {
	home := t.TempDir()
	c, err := Create(home, testSpec("acme", 3))
	require.NoError(t, err)
	pub1, err := server.ShowValidator(c.NodeHome(0))
	require.NoError(t, err)
	accounts := func() string {
		bz, _ := os.ReadFile(filepath.Join(c.ClientHome(), "keyring-test", "alice.json"))
		return string(bz)
	}
	alice := accounts()
	require.NotEmpty(t, alice)
	operators := func(c *Chain) []string {
		gen, err := server.LoadGenesis(filepath.Join(c.Dir, "genesis.json"))
		require.NoError(t, err)
		var state map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(gen.AppState, &state))
		var ps poai.GenesisState
		require.NoError(t, runtime.UnmarshalGenesis(state[poai.ModuleName], &ps))
		var out []string
		for _, v := range ps.Validators {
			out = append(out, v.OperatorAddress)
		}
		return out
	}
	ops := operators(c)

	// Edit the spec: two validators, one more account, a new block time.
	spec := c.Spec
	spec.Validators = 2
	spec.BlockTime.Duration = 2 * time.Second
	spec.Token.Accounts = append(spec.Token.Accounts, Account{Name: "carol", Amount: "7"})
	bz, err := spec.Marshal()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(c.Dir, SpecFile), bz, 0o644))
	c2, err := Apply(home, "acme")
	require.NoError(t, err)
	require.NoError(t, c2.VerifyGenesis())
	require.Len(t, c2.Layout.Nodes, 2)
	_, err = os.Stat(c2.NodeHome(2))
	require.True(t, os.IsNotExist(err), "node3 should be gone")
	again, err := server.ShowValidator(c2.NodeHome(0))
	require.NoError(t, err)
	require.True(t, pub1.Equals(again), "apply must keep node1's consensus key")
	require.Equal(t, alice, accounts(), "apply must keep alice's key")
	require.Equal(t, ops[:2], operators(c2), "apply must keep the validators' operator keys")
	conf, err := server.LoadCometConfig(c2.NodeHome(1), nil)
	require.NoError(t, err)
	require.Equal(t, 2*time.Second, conf.Consensus.TimeoutCommit)

	// A malformed spec is rejected and changes nothing.
	good, _ := os.ReadFile(filepath.Join(c.Dir, SpecFile))
	require.NoError(t, os.WriteFile(filepath.Join(c.Dir, SpecFile), append(good, []byte("surprise: 1\n")...), 0o644))
	before := testutil.TreeSnapshot(t, home)
	_, err = Apply(home, "acme")
	require.ErrorContains(t, err, "malformed spec")
	require.Equal(t, before, testutil.TreeSnapshot(t, home))
	require.NoError(t, os.WriteFile(filepath.Join(c.Dir, SpecFile), good, 0o644))

	// Once started, the spec is read-only.
	require.NoError(t, os.WriteFile(c2.startedMarker(), []byte("now\n"), 0o644))
	before = testutil.TreeSnapshot(t, home)
	_, err = Apply(home, "acme")
	require.ErrorContains(t, err, "has been started")
	require.Equal(t, before, testutil.TreeSnapshot(t, home))
}

func TestPortOwnerNamesProcess(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	owner := PortOwner(port)
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("no /proc/net/tcp")
	}
	require.NotNil(t, owner)
	require.Equal(t, os.Getpid(), owner.PID)
	err = CheckPortsFree([]NamedPort{{port, "node1 rpc"}})
	var pe *PortInUseError
	require.ErrorAs(t, err, &pe)
	require.Contains(t, err.Error(), "port "+strconv.Itoa(port)+" (node1 rpc) is in use by pid "+strconv.Itoa(os.Getpid()))
}

func TestNextBasePortGivesChainsDistinctBlocks(t *testing.T) {
	home := t.TempDir()
	a, err := Create(home, testSpec("a", 4))
	require.NoError(t, err)
	b, err := Create(home, testSpec("b", 4))
	require.NoError(t, err)
	require.GreaterOrEqual(t, b.Layout.Base, a.Layout.Base+Span(4))
	chains, errs := List(home)
	require.Empty(t, errs)
	require.Len(t, chains, 2)
	require.NoError(t, a.Remove())
	chains, _ = List(home)
	require.Len(t, chains, 1)
}

// BenchmarkNew4Validators measures `new` for four validators (in process).
func BenchmarkNew4Validators(b *testing.B) {
	for _, kt := range []string{server.ConsensusKeyEd25519, server.ConsensusKeyMlDsa65} {
		b.Run(kt, func(b *testing.B) {
			home := b.TempDir()
			for i := 0; i < b.N; i++ {
				s := testSpec(fmt.Sprintf("b%d", i), 4)
				s.ConsensusKey = kt
				s.BasePort = 20000 + 100*(i%400)
				c, err := Create(home, s)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				_ = c.Remove()
				b.StartTimer()
			}
		})
	}
}

func TestCreateWithAddressAccount(t *testing.T) {
	old := crypto.GetBech32Prefix()
	require.NoError(t, crypto.SetBech32Prefix("acme"))
	addr := crypto.Address(make([]byte, crypto.AddressLen)).String()
	require.NoError(t, crypto.SetBech32Prefix(old))

	spec := testSpec("acme", 1)
	// The whole supply but the validator's stake and the fee floats: no treasury.
	spec.Defaults()
	spec.Token.Accounts = []Account{{Address: addr, Amount: fmt.Sprint(1_000_000_000 - reservedSupply(spec))}}
	c, err := Create(t.TempDir(), spec)
	require.NoError(t, err)
	require.Equal(t, old, crypto.GetBech32Prefix(), "Create must restore the process's prefix")
	gen, err := server.LoadGenesis(filepath.Join(c.Dir, "genesis.json"))
	require.NoError(t, err)
	require.Contains(t, string(gen.AppState), addr)
	require.NotContains(t, string(gen.AppState), "treasury")
	bz, err := os.ReadFile(filepath.Join(c.ClientHome(), "accounts.json"))
	require.NoError(t, err)
	var accs []genesisAccount
	require.NoError(t, json.Unmarshal(bz, &accs))
	require.Len(t, accs, 3) // the address, node1-operator, admin
	require.Empty(t, accs[0].Mnemonic, "no key is made for a given address")
	for _, a := range accs {
		require.NotEqual(t, TreasuryName, a.Name)
	}
}

func TestOwnedAliveMatchesWholeArguments(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	require.True(t, ownedAlive(os.Getpid(), exe) || ownedAlive(os.Getpid(), os.Args[0]))
	require.False(t, ownedAlive(os.Getpid(), exe[:len(exe)-1]), "a prefix of an argument is not a match")
	require.False(t, alive(0))
}

// busyNode1RPC holds a port that is node1's RPC port of a 1-validator chain
// whose other ports are free, so a failure can only be about this port.
func busyNode1RPC(t *testing.T) (net.Listener, int) {
	t.Helper()
	for try := 0; try < 50; try++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := l.Addr().(*net.TCPAddr).Port
		layout, err := LayoutFor(port-11, 1)
		if err == nil {
			var others []NamedPort
			for _, p := range layout.Named() {
				if p.Port != port {
					others = append(others, p)
				}
			}
			if CheckPortsFree(others) == nil {
				return l, port
			}
		}
		l.Close()
	}
	t.Fatal("no usable port block found")
	return nil, 0
}
