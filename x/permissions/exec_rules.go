package permissions

import (
	"fmt"

	"github.com/cosmos/gogoproto/proto"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/types"
)

// ExecRule makes one message type executable through MsgExec: the scope a grant
// must hold for it and, for a scope with a spend limit, how much the message spends.
// The app builds the table (app/app.go), one row per message type, so a module
// that wants its message delegable adds one line there.
type ExecRule struct {
	Msg   runtime.Msg // a value of the message type, e.g. &bank.MsgSend{}
	Scope string      // an on-chain catalogue scope, e.g. "bank:send"
	// Spend reads the amount the message spends; required for a spend-limited scope.
	Spend func(runtime.Msg) types.Coins
}

type execRule struct {
	scope Scope
	spend func(runtime.Msg) types.Coins
}

// buildRules indexes the rules by type URL and checks them: a bad table is a wiring
// bug, caught when the app starts.
func buildRules(rules []ExecRule) map[string]execRule {
	out := make(map[string]execRule, len(rules))
	for _, r := range rules {
		url := "/" + proto.MessageName(r.Msg)
		sc, err := ParseScope(r.Scope)
		if err != nil {
			panic(fmt.Sprintf("permissions: exec rule %s: %v", url, err))
		}
		if !sc.OnChain() || sc.Resource != "" {
			panic(fmt.Sprintf("permissions: exec rule %s: scope %s is not an on-chain scope", url, r.Scope))
		}
		if sc.SpendLimited() != (r.Spend != nil) {
			panic(fmt.Sprintf("permissions: exec rule %s: scope %s needs Spend exactly when it is spend-limited", url, r.Scope))
		}
		if _, dup := out[url]; dup {
			panic("permissions: exec rule registered twice: " + url)
		}
		if url == execTypeURL {
			panic("permissions: MsgExec cannot be delegated")
		}
		out[url] = execRule{scope: sc, spend: r.Spend}
	}
	return out
}

// execTypeURL is a literal: package variables are initialised before the generated
// init() registers message names, so proto.MessageName would return "" here.
// TestExecTypeURL pins it to the generated name.
const execTypeURL = "/selfchain.permissions.v1.MsgExec"
