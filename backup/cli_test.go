package backup

import (
	"bytes"
	"strings"
	"testing"

	clientcli "github.com/selfchain/selfchain/client/cli"
)

// Bad repair and auto-accept flags fail with a message naming the flag,
// before any key, node or holder is touched (there is none here).
func TestRepairAndAutoAcceptFlagErrors(t *testing.T) {
	terms := []string{"--quota", "1GiB", "--price", "5uself", "--escrow", "500uself"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"repair", "--from", "alice"}, "--replicas is required"},
		{[]string{"repair", "--replicas", "2", "--from", "alice"}, "--quota is required with --replicas"},
		{[]string{"repair", "--replicas", "2", "--quota", "lots", "--price", "5uself", "--escrow", "5uself"}, "--quota: size \"lots\""},
		{[]string{"repair", "--replicas", "2", "--quota", "1GiB", "--escrow", "5uself"}, "--price is required"},
		{[]string{"repair", "--replicas", "2", "--quota", "1GiB", "--price", "5uself,3stake", "--escrow", "5uself"}, "give exactly one denomination"},
		{[]string{"repair", "--replicas", "2", "--quota", "1GiB", "--price", "5uself", "--escrow", "4uself"}, "at least one epoch's price"},
		{append([]string{"repair", "--replicas", "2", "--min-score", "150%"}, terms...), "invalid --min-score"},
		{append([]string{"repair", "--replicas", "2", "--wait-accept", "0s"}, terms...), "invalid --wait-accept"},
		{append([]string{"run", "/nonexistent", "--replicas", "-1"}, terms...), "--replicas is required"},
		{[]string{"serve", "--node-id", "ab", "--accept-min-price", "5uself"}, "--accept-min-price is set but --auto-accept is not"},
		{[]string{"serve", "--node-id", "ab", "--auto-accept"}, "--accept-min-price is required"},
		{[]string{"serve", "--node-id", "ab", "--auto-accept", "--accept-min-price", "5uself", "--accept-max-collateral", "5stake"}, "in another denom"},
		{[]string{"serve", "--node-id", "ab", "--auto-accept", "--accept-min-price", "5uself", "--accept-max-quota", "0"}, "--accept-max-quota"},
	} {
		cmd := Command()
		pf := cmd.PersistentFlags() // the root's flags
		pf.String(clientcli.FlagHome, t.TempDir(), "")
		pf.String(clientcli.FlagNode, "tcp://127.0.0.1:1", "")
		pf.String(clientcli.FlagOutput, "text", "")
		pf.String(clientcli.FlagKeyringBackend, "test", "")
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(c.args)
		err := cmd.Execute()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
}
