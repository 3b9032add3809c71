package keyring

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/selfchain/selfchain/crypto"
	"github.com/stretchr/testify/require"
)

const testPass = "correct horse battery"

// fixedPass is a PassphraseFunc that always answers pass and records calls.
type fixedPass struct {
	mu      sync.Mutex
	pass    string
	calls   int
	confirm []bool
}

func (f *fixedPass) fn(_ string, confirm bool) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.confirm = append(f.confirm, confirm)
	return f.pass, nil
}

func newTestKeyring(t *testing.T, backend, home string) Keyring {
	t.Helper()
	p := &fixedPass{pass: testPass}
	kr, err := New(backend, home, p.fn)
	require.NoError(t, err)
	require.Equal(t, backend, kr.Backend())
	return kr
}

func TestNewBackends(t *testing.T) {
	_, err := New("ledger", t.TempDir(), nil)
	require.EqualError(t, err, `unknown keyring backend "ledger" (valid: file, memory, test)`)

	_, err = New(BackendTest, "", nil)
	require.ErrorContains(t, err, "needs a home directory")
	_, err = New(BackendFile, t.TempDir(), nil)
	require.ErrorContains(t, err, "needs a passphrase source")

	home := t.TempDir()
	_, err = New(BackendFile, home, (&fixedPass{}).fn)
	require.NoError(t, err)
	st, err := os.Stat(filepath.Join(home, "keyring-file"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), st.Mode().Perm())

	_, err = New(BackendMemory, "", nil)
	require.NoError(t, err)
}

// TestKeyringBackends runs the same behaviour checks on every backend.
func TestKeyringBackends(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			kr := newTestKeyring(t, backend, t.TempDir())
			testKeyringBehaviour(t, kr)
		})
	}
}

func testKeyringBehaviour(t *testing.T, kr Keyring) {
	recs, err := kr.List()
	require.NoError(t, err)
	require.Empty(t, recs)

	// Add out of order; List sorts by name.
	bob, mnemonic, err := kr.NewMnemonic("bob", crypto.KeyTypeEd25519)
	require.NoError(t, err)
	require.Len(t, strings.Fields(mnemonic), 24)
	require.Equal(t, "bob", bob.Name)
	require.Equal(t, crypto.KeyTypeEd25519, bob.Type)
	require.Equal(t, bob.PubKey.Address(), bob.Address)
	require.False(t, bob.CreatedAt.IsZero())
	alice, _, err := kr.NewMnemonic("alice", crypto.KeyTypeEd25519)
	require.NoError(t, err)
	carol, _, err := kr.NewMnemonic("carol.v2_x-1", crypto.KeyTypeEd25519)
	require.NoError(t, err)

	recs, err = kr.List()
	require.NoError(t, err)
	require.Len(t, recs, 3)
	require.Equal(t, []string{"alice", "bob", "carol.v2_x-1"}, []string{recs[0].Name, recs[1].Name, recs[2].Name})
	require.True(t, recs[0].Address.Equals(alice.Address))
	require.True(t, recs[2].PubKey.Equals(carol.PubKey))

	// Get by name and by address (upper-case bech32 too).
	got, err := kr.Get("bob")
	require.NoError(t, err)
	require.True(t, got.PubKey.Equals(bob.PubKey))
	got, err = kr.Get(bob.Address.String())
	require.NoError(t, err)
	require.Equal(t, "bob", got.Name)
	got, err = kr.Get(strings.ToUpper(bob.Address.String()))
	require.NoError(t, err)
	require.Equal(t, "bob", got.Name)
	_, err = kr.Get("dave")
	require.ErrorIs(t, err, ErrKeyNotFound)
	_, err = kr.Get(crypto.ModuleAddress("nobody").String())
	require.ErrorIs(t, err, ErrKeyNotFound)
	_, err = kr.Get("not/a name")
	require.ErrorIs(t, err, ErrKeyNotFound)

	// Sign by name and by address.
	msg := []byte("send 1 SELF to carol")
	sig, pub, err := kr.Sign("bob", msg)
	require.NoError(t, err)
	require.True(t, pub.Equals(bob.PubKey))
	require.True(t, pub.VerifySignature(msg, sig))
	require.False(t, pub.VerifySignature([]byte("send 2 SELF to carol"), sig))
	sig2, _, err := kr.Sign(alice.Address.String(), msg)
	require.NoError(t, err)
	require.True(t, alice.PubKey.VerifySignature(msg, sig2))
	require.False(t, bob.PubKey.VerifySignature(msg, sig2))
	_, _, err = kr.Sign("dave", msg)
	require.ErrorIs(t, err, ErrKeyNotFound)

	// Duplicate names, invalid names, unknown types.
	_, _, err = kr.NewMnemonic("bob", crypto.KeyTypeEd25519)
	require.ErrorIs(t, err, ErrKeyExists)
	for _, bad := range []string{"", "a b", "a/b", "../x", `a\b`, "ä", "x:y", strings.Repeat("a", 65)} {
		_, _, err = kr.NewMnemonic(bad, crypto.KeyTypeEd25519)
		require.ErrorIs(t, err, ErrInvalidName, "%q", bad)
		_, err = kr.Recover(bad, crypto.KeyTypeEd25519, mnemonic, 0)
		require.ErrorIs(t, err, ErrInvalidName, "%q", bad)
		require.ErrorIs(t, kr.Delete(bad), ErrInvalidName, "%q", bad)
	}
	_, _, err = kr.NewMnemonic(strings.Repeat("a", 64), crypto.KeyTypeEd25519)
	require.NoError(t, err, "64 characters is allowed")
	require.NoError(t, kr.Delete(strings.Repeat("a", 64)))
	_, _, err = kr.NewMnemonic("eve", "rsa")
	require.ErrorIs(t, err, crypto.ErrUnknownKeyType)
	require.ErrorContains(t, err, `unknown key type "rsa" (known: ed25519`)

	// The same key cannot be stored under two names.
	_, err = kr.Recover("bob2", crypto.KeyTypeEd25519, mnemonic, 0)
	require.ErrorIs(t, err, ErrKeyExists)
	require.ErrorContains(t, err, `already stored as "bob"`)

	// Export / import: into another keyring, and back after delete.
	armor, err := kr.ExportPrivKeyArmor("bob", "export-pass")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(armor, armorBegin+"\n"))
	_, err = kr.ExportPrivKeyArmor("bob", "short")
	require.ErrorContains(t, err, "passphrase too short")
	_, err = kr.ExportPrivKeyArmor("dave", "export-pass")
	require.ErrorIs(t, err, ErrKeyNotFound)

	mem := newTestKeyring(t, BackendMemory, "")
	_, err = mem.ImportPrivKeyArmor("bob-copy", armor, "wrong-pass")
	require.ErrorIs(t, err, ErrWrongPassphrase)
	imp, err := mem.ImportPrivKeyArmor("bob-copy", armor, "export-pass")
	require.NoError(t, err)
	require.True(t, imp.Address.Equals(bob.Address))
	sig3, _, err := mem.Sign("bob-copy", msg)
	require.NoError(t, err)
	require.Equal(t, sig, sig3, "ed25519 signatures are deterministic")

	_, err = kr.ImportPrivKeyArmor("bob3", armor, "export-pass")
	require.ErrorIs(t, err, ErrKeyExists, "same address already present")

	// Delete, then recover from the mnemonic: same address.
	require.NoError(t, kr.Delete("bob"))
	require.ErrorIs(t, kr.Delete("bob"), ErrKeyNotFound)
	_, err = kr.Get("bob")
	require.ErrorIs(t, err, ErrKeyNotFound)
	_, err = kr.Get(bob.Address.String())
	require.ErrorIs(t, err, ErrKeyNotFound)
	rec, err := kr.Recover("bob", crypto.KeyTypeEd25519, mnemonic, 0)
	require.NoError(t, err)
	require.True(t, rec.Address.Equals(bob.Address))
	other, err := kr.Recover("bob-1", crypto.KeyTypeEd25519, mnemonic, 1)
	require.NoError(t, err)
	require.False(t, other.Address.Equals(bob.Address))
	_, err = kr.Recover("bad", crypto.KeyTypeEd25519, "abandon abandon", 0)
	require.ErrorIs(t, err, crypto.ErrInvalidMnemonic)

	// Import after delete restores the same key too.
	require.NoError(t, kr.Delete("bob"))
	rec, err = kr.ImportPrivKeyArmor("bob", armor, "export-pass")
	require.NoError(t, err)
	require.True(t, rec.Address.Equals(bob.Address))
}

func TestDiskBackendsFiles(t *testing.T) {
	for _, backend := range []string{BackendTest, BackendFile} {
		t.Run(backend, func(t *testing.T) {
			home := t.TempDir()
			kr := newTestKeyring(t, backend, home)
			rec, _, err := kr.NewMnemonic("alice", crypto.KeyTypeEd25519)
			require.NoError(t, err)
			_, err = kr.Recover("bob", crypto.KeyTypeEd25519, testMnemonic, 0)
			require.NoError(t, err)

			dir := filepath.Join(home, "keyring-"+backend)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Len(t, entries, 2, "no temp files left behind")
			for _, e := range entries {
				st, err := os.Stat(filepath.Join(dir, e.Name()))
				require.NoError(t, err)
				require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), e.Name())
			}

			var kf map[string]any
			data, err := os.ReadFile(filepath.Join(dir, "alice.json"))
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(data, &kf))
			require.EqualValues(t, 1, kf["version"])
			require.Equal(t, "ed25519", kf["type"])
			require.Equal(t, rec.Address.String(), kf["address"])

			// A new Keyring on the same directory sees the same keys.
			kr2 := newTestKeyring(t, backend, home)
			recs, err := kr2.List()
			require.NoError(t, err)
			require.Len(t, recs, 2)
			require.True(t, recs[0].Address.Equals(rec.Address))
			_, _, err = kr2.Sign("alice", []byte("m"))
			require.NoError(t, err)

			// Files from another version are refused clearly.
			kf["version"] = 2
			data, _ = json.Marshal(kf)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "alice.json"), data, 0o600))
			_, err = kr2.Get("alice")
			require.ErrorContains(t, err, "unsupported key file version 2")
		})
	}
}

// testMnemonic is the BIP-39 vector for 256 bits of zero entropy.
const testMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon " +
	"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art"

func TestRecoverMatchesDeriveKey(t *testing.T) {
	kr := newTestKeyring(t, BackendMemory, "")
	rec, err := kr.Recover("k", crypto.KeyTypeEd25519, testMnemonic, 0)
	require.NoError(t, err)
	// Same vector as crypto.TestDeriveKeyVector.
	require.Equal(t, "self1hvt8jyr674qs2kaq4ejj46yddtl6kqaa0npexz", rec.Address.String())
}

func TestTestBackendStoresPlainTypedKey(t *testing.T) {
	home := t.TempDir()
	kr := newTestKeyring(t, BackendTest, home)
	_, err := kr.Recover("k", crypto.KeyTypeEd25519, testMnemonic, 0)
	require.NoError(t, err)
	priv, err := crypto.DeriveKey(crypto.KeyTypeEd25519, testMnemonic, "", 0)
	require.NoError(t, err)

	data, err := os.ReadFile(filepath.Join(home, "keyring-test", "k.json"))
	require.NoError(t, err)
	var kf keyFile
	require.NoError(t, json.Unmarshal(data, &kf))
	require.NotNil(t, kf.PrivKey)
	require.Nil(t, kf.Encrypted)
	require.Equal(t, typedKey{Type: crypto.KeyTypeEd25519, Key: priv.Bytes()}, *kf.PrivKey)
}

func TestFileBackendEncryption(t *testing.T) {
	home := t.TempDir()
	p := &fixedPass{pass: testPass}
	kr, err := New(BackendFile, home, p.fn)
	require.NoError(t, err)

	rec, err := kr.Recover("alice", crypto.KeyTypeEd25519, testMnemonic, 0)
	require.NoError(t, err)
	require.Equal(t, []bool{true}, p.confirm, "an empty keyring asks for a new, confirmed passphrase")
	_, err = kr.Recover("bob", crypto.KeyTypeEd25519, testMnemonic, 1)
	require.NoError(t, err)
	_, _, err = kr.Sign("alice", []byte("m"))
	require.NoError(t, err)
	require.Equal(t, 1, p.calls, "the passphrase is asked once per Keyring")

	// The private key is not on disk in clear.
	priv, _ := crypto.DeriveKey(crypto.KeyTypeEd25519, testMnemonic, "", 0)
	data, err := os.ReadFile(filepath.Join(home, "keyring-file", "alice.json"))
	require.NoError(t, err)
	require.NotContains(t, string(data), base64.StdEncoding.EncodeToString(priv.Bytes()))
	var kf keyFile
	require.NoError(t, json.Unmarshal(data, &kf))
	require.Nil(t, kf.PrivKey)
	require.NotNil(t, kf.Encrypted)
	require.Equal(t, "argon2id", kf.Encrypted.KDF)
	require.Equal(t, "xchacha20-poly1305", kf.Encrypted.Cipher)
	require.Len(t, kf.Encrypted.Salt, saltLen)

	// Listing needs no passphrase.
	none := &fixedPass{}
	kr2, err := New(BackendFile, home, none.fn)
	require.NoError(t, err)
	recs, err := kr2.List()
	require.NoError(t, err)
	require.Len(t, recs, 2)
	require.Zero(t, none.calls)

	// Wrong passphrase: a clear error, for signing, exporting and adding.
	wrong := &fixedPass{pass: "not the passphrase"}
	kr3, err := New(BackendFile, home, wrong.fn)
	require.NoError(t, err)
	_, _, err = kr3.Sign("alice", []byte("m"))
	require.ErrorIs(t, err, ErrWrongPassphrase)
	require.ErrorContains(t, err, "wrong passphrase for keyring "+filepath.Join(home, "keyring-file"))
	_, err = kr3.ExportPrivKeyArmor("alice", "export-pass")
	require.ErrorIs(t, err, ErrWrongPassphrase)
	_, _, err = kr3.NewMnemonic("carol", crypto.KeyTypeEd25519)
	require.ErrorIs(t, err, ErrWrongPassphrase, "new keys must use the keyring's passphrase")
	recs, err = kr3.List()
	require.NoError(t, err)
	require.Len(t, recs, 2, "nothing written after a wrong passphrase")

	// The right passphrase still works after a wrong attempt.
	kr4 := newTestKeyring(t, BackendFile, home)
	sig, pub, err := kr4.Sign(rec.Address.String(), []byte("m"))
	require.NoError(t, err)
	require.True(t, pub.VerifySignature([]byte("m"), sig))
}

func TestFileBackendPassphraseRules(t *testing.T) {
	short := &fixedPass{pass: "short"}
	kr, err := New(BackendFile, t.TempDir(), short.fn)
	require.NoError(t, err)
	_, _, err = kr.NewMnemonic("a", crypto.KeyTypeEd25519)
	require.ErrorContains(t, err, "passphrase too short")

	// A failing PassphraseFunc is reported as is.
	kr, err = New(BackendFile, t.TempDir(), func(string, bool) (string, error) { return "", errNoPassphrase })
	require.NoError(t, err)
	_, _, err = kr.NewMnemonic("a", crypto.KeyTypeEd25519)
	require.ErrorIs(t, err, errNoPassphrase)

	// Name checks happen before any prompt.
	p := &fixedPass{pass: testPass}
	kr, err = New(BackendFile, t.TempDir(), p.fn)
	require.NoError(t, err)
	_, _, err = kr.NewMnemonic("bad name", crypto.KeyTypeEd25519)
	require.ErrorIs(t, err, ErrInvalidName)
	require.Zero(t, p.calls)
}

func TestFileBackendDetectsTampering(t *testing.T) {
	home := t.TempDir()
	kr := newTestKeyring(t, BackendFile, home)
	_, err := kr.Recover("alice", crypto.KeyTypeEd25519, testMnemonic, 0)
	require.NoError(t, err)
	_, err = kr.Recover("bob", crypto.KeyTypeEd25519, testMnemonic, 1)
	require.NoError(t, err)

	// Put bob's public key next to alice's sealed private key.
	dir := filepath.Join(home, "keyring-file")
	read := func(n string) map[string]any {
		var m map[string]any
		data, err := os.ReadFile(filepath.Join(dir, n+".json"))
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(data, &m))
		return m
	}
	a, b := read("alice"), read("bob")
	a["pub_key"] = b["pub_key"]
	data, _ := json.Marshal(a)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "alice.json"), data, 0o600))

	kr2 := newTestKeyring(t, BackendFile, home)
	_, _, err = kr2.Sign("alice", []byte("m"))
	require.Error(t, err)
}

func TestRecordJSON(t *testing.T) {
	kr := newTestKeyring(t, BackendMemory, "")
	rec, err := kr.Recover("k", crypto.KeyTypeEd25519, testMnemonic, 0)
	require.NoError(t, err)
	out, err := json.Marshal(rec)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(out, &m))
	require.Equal(t, "k", m["name"])
	require.Equal(t, "ed25519", m["type"])
	require.Equal(t, rec.Address.String(), m["address"])
	require.Equal(t, base64.StdEncoding.EncodeToString(rec.PubKey.Bytes()), m["pub_key"])
}

func TestConcurrentUse(t *testing.T) {
	kr := newTestKeyring(t, BackendFile, t.TempDir())
	_, err := kr.Recover("k", crypto.KeyTypeEd25519, testMnemonic, 0)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := kr.Sign("k", []byte("m"))
			require.NoError(t, err)
			_, err = kr.List()
			require.NoError(t, err)
		}()
	}
	wg.Wait()
}
