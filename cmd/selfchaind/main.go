// Command selfchaind is the SELF Chain node daemon and its command-line client:
// init a home, start a node, manage keys, build genesis, send txs and query state.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := NewRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
