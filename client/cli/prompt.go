package cli

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

// StdinIsTerminal reports whether a person can answer prompts. Tests and
// scripts pipe stdin, so they never block on a question.
var StdinIsTerminal = func() bool { return term.IsTerminal(int(os.Stdin.Fd())) }

// ErrNoTerminal is what a prompt returns when nobody can answer it.
func ErrNoTerminal(what, hint string) error {
	return fmt.Errorf("%s is needed but stdin is not a terminal: %s", what, hint)
}

// Passphrase supplies keyring and armor passphrases: SELFCHAIN_KEYRING_PASSPHRASE,
// else a terminal prompt, else a clear error.
var Passphrase = keyring.EnvPassphrase()

// Confirm asks a yes/no question on the terminal (default no).
func Confirm(cmd *cobra.Command, question string) (bool, error) {
	if !StdinIsTerminal() {
		return false, ErrNoTerminal("confirmation", "pass --yes")
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
