package main

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Sealing from the command line: encrypt to another key's published encryption
// key, decrypt with the keyring (key found by the envelope's key id), and refuse
// the wrong key, tampered bytes, a wrong --ad and a truncated file.
func TestCLIEncryptDecrypt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	c := &cli{t: t, bin: buildBinary(t), home: t.TempDir()}
	for _, k := range []string{"bob", "carol"} {
		c.must("keys", "add", k, "--keyring-backend", "test", "--no-backup")
	}
	bobKey := strings.TrimSpace(c.must("keys", "show", "bob", "--encryption-key", "--keyring-backend", "test"))
	if !strings.HasPrefix(bobKey, "selfpub1") {
		t.Fatalf("encryption key %q", bobKey)
	}

	dir := t.TempDir()
	plain := make([]byte, 300_000) // several 64 KiB chunks
	rand.Read(plain)
	in, env, out := filepath.Join(dir, "in"), filepath.Join(dir, "env"), filepath.Join(dir, "out")
	if err := os.WriteFile(in, plain, 0o600); err != nil {
		t.Fatal(err)
	}
	c.must("keys", "encrypt", "--to", bobKey, "--in", in, "--out", env, "--ad", "backup-7")
	c.must("keys", "decrypt", "--in", env, "--out", out, "--ad", "backup-7", "--keyring-backend", "test")
	got, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("round trip differs (err %v)", err)
	}

	c.fails("envelope is for a different key", "keys", "decrypt", "--key", "carol", "--in", env, "--out", filepath.Join(dir, "x1"), "--ad", "backup-7", "--keyring-backend", "test")
	c.fails("authentication", "keys", "decrypt", "--in", env, "--out", filepath.Join(dir, "x2"), "--ad", "other", "--keyring-backend", "test")

	sealed, _ := os.ReadFile(env)
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)/2] ^= 1
	writeFile(t, filepath.Join(dir, "tampered"), tampered)
	c.fails("authentication", "keys", "decrypt", "--in", filepath.Join(dir, "tampered"), "--out", filepath.Join(dir, "x3"), "--ad", "backup-7", "--keyring-backend", "test")
	writeFile(t, filepath.Join(dir, "short"), sealed[:len(sealed)-100])
	c.fails("truncated", "keys", "decrypt", "--in", filepath.Join(dir, "short"), "--out", filepath.Join(dir, "x4"), "--ad", "backup-7", "--keyring-backend", "test")
	for _, f := range []string{"x1", "x2", "x3", "x4"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("a failed decryption left output file %s", f)
		}
	}
	c.fails("neither a selfpub1", "keys", "encrypt", "--to", "nobody", "--in", in, "--out", filepath.Join(dir, "x5"), "--keyring-backend", "test")
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
