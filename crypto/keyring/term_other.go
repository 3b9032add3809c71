//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package keyring

import (
	"errors"
	"os"
)

// Elsewhere (e.g. Windows) there is no prompt: use SELFCHAIN_KEYRING_PASSPHRASE
// or pass another PassphraseFunc.

func isTerminal(*os.File) bool { return false }

func readPassword(*os.File) ([]byte, error) {
	return nil, errors.New("terminal passphrase prompt not supported on this platform")
}
