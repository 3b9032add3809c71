// Command selfchaind is the SELF Chain node daemon and its command-line client:
// init a home, start a node, manage keys, build genesis, send txs and query state.
package main

import (
	"errors"
	"os"

	"github.com/selfchain/selfchain/app"
	clientcli "github.com/selfchain/selfchain/client/cli"
)

func main() {
	if cmd, err := NewRootCmd().ExecuteC(); err != nil {
		// Under --output json the error is JSON too: a script parsing the output
		// must not meet plain text on failure.
		clientcli.PrintError(os.Stderr, err, clientcli.WantsJSON(cmd, os.Getenv))
		// A node stopped for (or refusing to start before) an upgrade it has no
		// handler for exits with its own status: swap the binary and restart.
		if uerr := (*app.UpgradeNeededError)(nil); errors.As(err, &uerr) {
			os.Exit(app.ExitCodeUpgradeNeeded)
		}
		os.Exit(1)
	}
}
