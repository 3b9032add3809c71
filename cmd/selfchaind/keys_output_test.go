package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// run1 runs the root command in-process and returns stdout and the error.
func run1(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := NewRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&bytes.Buffer{})
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

var fingerprintRe = regexp.MustCompile(`^hybrid sha256:[0-9a-f]{16}$`)

// Issue 18 item 7: a hybrid key's ~2.6 KB public key flooded the terminal and
// every `keys list -o json`. A fingerprint by default, the key with --full.
func TestKeysShowFingerprintUnlessFull(t *testing.T) {
	home := t.TempDir()
	base := []string{"--home", home, "--keyring-backend", "test"}
	out, err := run1(t, append([]string{"keys", "add", "h", "--no-backup"}, base...)...)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > 400 || !strings.Contains(out, "pubkey_fingerprint: hybrid sha256:") || strings.Contains(out, "pubkey:") {
		t.Fatalf("keys add (%d bytes):\n%s", len(out), out)
	}
	type key struct {
		Fingerprint string `json:"pubkey_fingerprint"`
		PubKey      string `json:"pubkey"`
	}
	var list []key
	out, err = run1(t, append([]string{"keys", "list", "-o", "json"}, base...)...)
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 {
		t.Fatalf("keys list -o json: %s (%v)", out, err)
	}
	if !fingerprintRe.MatchString(list[0].Fingerprint) || list[0].PubKey != "" || len(out) > 400 {
		t.Fatalf("keys list -o json carries more than a fingerprint: %s", out)
	}
	var full key
	out, err = run1(t, append([]string{"keys", "show", "h", "--full", "-o", "json"}, base...)...)
	if err != nil || json.Unmarshal([]byte(out), &full) != nil {
		t.Fatalf("keys show --full: %s (%v)", out, err)
	}
	if pk, err := base64.StdEncoding.DecodeString(full.PubKey); err != nil || len(pk) < 1900 || full.Fingerprint != list[0].Fingerprint {
		t.Fatalf("keys show --full: %d-byte key (%v), fingerprint %q", len(pk), err, full.Fingerprint)
	}
	if out, _ := run1(t, append([]string{"keys", "list", "--full"}, base...)...); !strings.Contains(out, "pubkey_fingerprint") {
		t.Fatalf("keys list table: %s", out)
	}
}

// keys encrypt/decrypt write raw bytes: -o json needs --out, then reports it.
func TestKeysEncryptJSONOutput(t *testing.T) {
	home := t.TempDir()
	base := []string{"--home", home, "--keyring-backend", "test"}
	if _, err := run1(t, append([]string{"keys", "add", "e", "--key-type", "ed25519", "--no-backup"}, base...)...); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(in, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := run1(t, append([]string{"keys", "encrypt", "--to", "e", "--in", in, "-o", "json"}, base...)...)
	if err == nil || !strings.Contains(err.Error(), "--out FILE") {
		t.Fatalf("encrypt -o json to stdout: %v", err)
	}
	sealed := filepath.Join(t.TempDir(), "sealed")
	out, err := run1(t, append([]string{"keys", "encrypt", "--to", "e", "--in", in, "--out", sealed, "-o", "json"}, base...)...)
	var rep struct {
		Out   string `json:"out"`
		Bytes int64  `json:"bytes"`
	}
	if err != nil || json.Unmarshal([]byte(out), &rep) != nil || rep.Out != sealed {
		t.Fatalf("encrypt --out -o json: %q (%v)", out, err)
	}
	if st, err := os.Stat(sealed); err != nil || st.Size() != rep.Bytes {
		t.Fatalf("reported %d bytes, file: %v %v", rep.Bytes, st, err)
	}
}

// config -o json names settings by their client.toml keys.
func TestConfigJSONUsesClientTomlKeys(t *testing.T) {
	home := t.TempDir()
	if _, err := run1(t, "--home", home, "config", "chain-id", "c-1"); err != nil {
		t.Fatal(err)
	}
	out, err := run1(t, "--home", home, "config", "-o", "json")
	var m map[string]any
	if err != nil || json.Unmarshal([]byte(out), &m) != nil || m["chain-id"] != "c-1" || m["chain_id"] != nil || m["keyring-backend"] == nil {
		t.Fatalf("config -o json: %s (%v)", out, err)
	}
}
