package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	clientcli "github.com/selfchain/selfchain/client/cli"
)

// readLine reads one line from stdin (a mnemonic), prompting only on a terminal.
func readLine(cmd *cobra.Command, prompt string) (string, error) {
	if clientcli.StdinIsTerminal() {
		fmt.Fprint(cmd.ErrOrStderr(), prompt+": ")
	}
	line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", errors.New("nothing on stdin: pipe the input, e.g. `echo \"$MNEMONIC\" | selfchaind keys add NAME --recover`")
		}
		return "", err
	}
	return strings.TrimSpace(line), nil
}
