package keyring

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// PassphraseEnv is the environment variable EnvPassphrase reads first.
const PassphraseEnv = "SELFCHAIN_KEYRING_PASSPHRASE"

var errNoPassphrase = errors.New("no passphrase: set " + PassphraseEnv + " or run in a terminal")

// EnvPassphrase returns a PassphraseFunc that uses $SELFCHAIN_KEYRING_PASSPHRASE
// if set and non-empty, else prompts on the terminal (without echo, on
// stderr) if stdin is one, else fails.
func EnvPassphrase() PassphraseFunc {
	return passphraseSource{
		getenv:   os.Getenv,
		isTerm:   func() bool { return term.IsTerminal(int(os.Stdin.Fd())) },
		readPass: func() ([]byte, error) { return term.ReadPassword(int(os.Stdin.Fd())) },
		out:      os.Stderr,
	}.get
}

// passphraseSource holds EnvPassphrase's dependencies so tests can fake
// the environment and the terminal.
type passphraseSource struct {
	getenv   func(string) string
	isTerm   func() bool
	readPass func() ([]byte, error)
	out      io.Writer
}

func (s passphraseSource) get(prompt string, confirm bool) (string, error) {
	if p := s.getenv(PassphraseEnv); p != "" {
		return p, nil
	}
	if !s.isTerm() {
		return "", errNoPassphrase
	}
	p, err := s.ask(prompt)
	if err != nil || !confirm {
		return p, err
	}
	again, err := s.ask("Repeat passphrase: ")
	if err != nil {
		return "", err
	}
	if again != p {
		return "", errors.New("passphrases do not match")
	}
	return p, nil
}

func (s passphraseSource) ask(prompt string) (string, error) {
	fmt.Fprint(s.out, prompt)
	b, err := s.readPass()
	fmt.Fprintln(s.out) // the user's newline was not echoed
	if err != nil {
		return "", fmt.Errorf("read passphrase: %w", err)
	}
	return string(b), nil
}
