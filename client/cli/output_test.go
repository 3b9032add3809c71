package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/selfchain/selfchain/client"
)

// A list is a table headed by field names; empty, it says so under the header.
func TestTable(t *testing.T) {
	var b bytes.Buffer
	Table(&b, []string{"denom", "amount"}, [][]any{{"uself", 7}, {"uatom", ""}})
	want := "denom  amount\nuself  7\nuatom  -\n"
	if b.String() != want {
		t.Fatalf("table:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	Table(&b, []string{"denom", "amount"}, nil)
	if b.String() != "denom  amount\n(none)\n" {
		t.Fatalf("empty table: %q", b.String())
	}
}

// Under -o json an error is JSON, with the chain's code when it refused a query.
func TestPrintError(t *testing.T) {
	var b bytes.Buffer
	PrintError(&b, errors.New("bad"), false)
	if b.String() != "Error: bad\n" {
		t.Fatalf("text: %q", b.String())
	}
	b.Reset()
	qe := &client.QueryError{Path: "/x", Codespace: "registry", Code: 9, Log: "node not found"}
	PrintError(&b, fmt.Errorf("wrapped: %w", qe), true)
	var got struct {
		Error     string `json:"error"`
		Code      uint32 `json:"code"`
		Codespace string `json:"codespace"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil || got.Code != 9 || got.Codespace != "registry" || !strings.Contains(got.Error, "node not found") {
		t.Fatalf("json: %q (%v)", b.String(), err)
	}
}

// A verification a command made is added at the top level of the JSON.
func TestAddFields(t *testing.T) {
	bz, err := addFields([]byte(`{"height":"5","nodes":[]}`), map[string]any{"verified": true})
	if err != nil || string(bz) != `{"height":"5","nodes":[],"verified":true}` {
		t.Fatalf("%s (%v)", bz, err)
	}
}
