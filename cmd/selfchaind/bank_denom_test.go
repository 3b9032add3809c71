package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cosmos/gogoproto/proto"
	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	clientcli "github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/poai"
)

// fakeNode answers CometBFT JSON-RPC abci_query like a chain whose x/poai
// bond denom is bondDenom ("" = the node has no x/poai: unknown path): Params,
// Balance (42 of whatever denom is asked) and DenomMetadata (not found).
func fakeNode(t *testing.T, bondDenom string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID     json.RawMessage `json:"id"`
			Params struct {
				Path string `json:"path"`
				Data string `json:"data"`
			} `json:"params"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		data, _ := hex.DecodeString(req.Params.Data)
		code, codespace, log := uint32(0), "", ""
		var value proto.Message
		switch req.Params.Path {
		case "/selfchain.poai.v1.Query/Params":
			if bondDenom == "" {
				code, codespace, log = runtime.ErrUnknownRequest.Code(), runtime.ErrUnknownRequest.Codespace(), "unknown query path"
				break
			}
			p := poai.DefaultParams()
			p.BondDenom = bondDenom
			value = &poai.QueryParamsResponse{Params: p}
		case "/selfchain.bank.v1.Query/Balance":
			var q bank.QueryBalanceRequest
			if err := proto.Unmarshal(data, &q); err != nil {
				t.Error(err)
			}
			value = &bank.QueryBalanceResponse{Balance: types.NewCoin(q.Denom, 42)}
		case "/selfchain.bank.v1.Query/DenomMetadata":
			code, codespace, log = runtime.ErrNotFound.Code(), runtime.ErrNotFound.Codespace(), "not found"
		default:
			t.Errorf("unexpected query %s", req.Params.Path)
		}
		var bz []byte
		if value != nil {
			bz, _ = proto.Marshal(value)
		}
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"response":{"code":%d,"codespace":%q,"log":%q,"value":%q,"height":"1"}}}`,
			req.ID, code, codespace, log, base64.StdEncoding.EncodeToString(bz))
	}))
	t.Cleanup(srv.Close)
	return "tcp://" + strings.TrimPrefix(srv.URL, "http://")
}

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := NewRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// `query bank balance` without --denom asks for the chain's own denom (x/poai's
// bond denom); --denom still wins; a node without x/poai falls back to uself.
func TestBalanceDefaultsToChainDenom(t *testing.T) {
	addr := crypto.Address(make([]byte, crypto.AddressLen)).String()
	home := t.TempDir()
	node := fakeNode(t, "uacme")
	out, err := runCLI(t, "--home", home, "--node", node, "query", "bank", "balance", addr, "--output", "json")
	if err != nil || !strings.Contains(out, `"denom":"uacme"`) || !strings.Contains(out, `"42"`) {
		t.Fatalf("balance without --denom: %v\n%s", err, out)
	}
	out, err = runCLI(t, "--home", home, "--node", node, "query", "bank", "balance", addr, "--denom", "uother", "--output", "json")
	if err != nil || !strings.Contains(out, `"denom":"uother"`) {
		t.Fatalf("balance --denom uother: %v\n%s", err, out)
	}
	out, err = runCLI(t, "--home", home, "--node", fakeNode(t, ""), "query", "bank", "balance", addr, "--output", "json")
	if err != nil || !strings.Contains(out, `"denom":"`+app.BondDenom+`"`) {
		t.Fatalf("balance on a node without x/poai: %v\n%s", err, out)
	}
}

// An unknown denom is refused naming the chain's own denom, not uself.
func TestUnknownDenomNamesChainDenom(t *testing.T) {
	root := NewRootCmd()
	var got error
	p := &cobra.Command{Use: "probe", RunE: func(cmd *cobra.Command, _ []string) error {
		got = bank.CheckDenomsKnown(cmd, types.Coins{types.NewCoin("uacm", 5)})
		return nil
	}}
	clientcli.AddTxFlags(p)
	root.AddCommand(p)
	root.SetArgs([]string{"probe", "--home", t.TempDir(), "--node", fakeNode(t, "uacme")})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if got == nil || !strings.Contains(got.Error(), `unknown denom "uacm"`) || !strings.Contains(got.Error(), "its native denom is uacme") {
		t.Fatalf("got %v", got)
	}
}
