// Command selfchaind is the SELF Chain node daemon and its command-line client:
// init a home, start a node, manage keys, build genesis, send txs and query state.
package main

import (
	"os"

	clientcli "github.com/selfchain/selfchain/client/cli"
)

func main() {
	if cmd, err := NewRootCmd().ExecuteC(); err != nil {
		// Under --output json the error is JSON too: a script parsing the output
		// must not meet plain text on failure.
		clientcli.PrintError(os.Stderr, err, clientcli.WantsJSON(cmd, os.Getenv))
		os.Exit(1)
	}
}
