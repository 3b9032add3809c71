package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A bad mnemonic is named once, with what is wrong with it.
func TestKeysRecoverBadMnemonicSaysWhatIsWrong(t *testing.T) {
	cmd := exec.Command(buildBinary(t), "keys", "add", "x", "--recover", "--keyring-backend", "test", "--home", t.TempDir())
	cmd.Env = os.Environ()
	cmd.Stdin = strings.NewReader("abandon abandon\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatal("keys add --recover accepted a 2-word mnemonic")
	}
	if got := stderr.String(); !strings.Contains(got, "invalid mnemonic: 2 words, want 12, 15, 18, 21 or 24") || strings.Count(got, "invalid mnemonic") != 1 {
		t.Fatalf("stderr %q", got)
	}
}
