package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/selfchain/selfchain/crypto/keyring"
)

// stdinIsTerminal reports whether a person can answer prompts. Tests and
// scripts pipe stdin, so they never block on a question.
var stdinIsTerminal = func() bool { return term.IsTerminal(int(os.Stdin.Fd())) }

// errNoTerminal is what a prompt returns when nobody can answer it.
func errNoTerminal(what, hint string) error {
	return fmt.Errorf("%s is needed but stdin is not a terminal: %s", what, hint)
}

// passphrase supplies keyring and armor passphrases: SELFCHAIN_KEYRING_PASSPHRASE,
// else a terminal prompt, else a clear error.
var passphrase = keyring.EnvPassphrase()

// confirm asks a yes/no question on the terminal (default no).
func confirm(cmd *cobra.Command, question string) (bool, error) {
	if !stdinIsTerminal() {
		return false, errNoTerminal("confirmation", "pass --yes")
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s [y/N]: ", question)
	line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// readLine reads one line from stdin (a mnemonic), prompting only on a terminal.
func readLine(cmd *cobra.Command, prompt string) (string, error) {
	if stdinIsTerminal() {
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
