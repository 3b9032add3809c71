package keyring

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/selfchain/selfchain/crypto"
)

// aadKeyring labels sealed keys inside keyring files.
const aadKeyring = "selfchain-keyring-v1"

// keyring implements Keyring for all backends; they differ only in the
// store and in whether private keys are sealed.
type keyring struct {
	backend   string
	dir       string // "" for memory
	st        store
	encrypted bool
	passFn    PassphraseFunc

	mu sync.Mutex
	// pass caches the file-backend passphrase once it has opened a key (or
	// was chosen for an empty keyring), so a session prompts only once.
	pass *string
}

func (k *keyring) Backend() string { return k.backend }

func (k *keyring) NewMnemonic(name, keyType string) (Record, string, error) {
	if err := k.checkNew(name, keyType); err != nil {
		return Record{}, "", err
	}
	mnemonic, err := crypto.NewMnemonic()
	if err != nil {
		return Record{}, "", err
	}
	priv, err := crypto.DeriveKey(keyType, mnemonic, "", 0)
	if err != nil {
		return Record{}, "", err
	}
	rec, err := k.add(name, priv)
	if err != nil {
		return Record{}, "", err
	}
	return rec, mnemonic, nil
}

func (k *keyring) Recover(name, keyType, mnemonic string, index uint32) (Record, error) {
	if err := k.checkNew(name, keyType); err != nil {
		return Record{}, err
	}
	priv, err := crypto.DeriveKey(keyType, mnemonic, "", index)
	if err != nil {
		return Record{}, err
	}
	return k.add(name, priv)
}

func (k *keyring) List() ([]Record, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.list()
}

func (k *keyring) Get(nameOrAddress string) (Record, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, rec, err := k.resolve(nameOrAddress)
	return rec, err
}

func (k *keyring) Delete(name string) error {
	if err := validateName(name); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.st.remove(name); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %q", ErrKeyNotFound, name)
		}
		return err
	}
	return nil
}

func (k *keyring) Sign(nameOrAddress string, msg []byte) ([]byte, crypto.PubKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	kf, rec, err := k.resolve(nameOrAddress)
	if err != nil {
		return nil, nil, err
	}
	priv, err := k.privKey(kf, rec)
	if err != nil {
		return nil, nil, err
	}
	sig, err := priv.Sign(msg)
	if err != nil {
		return nil, nil, err
	}
	return sig, rec.PubKey, nil
}

func (k *keyring) ExportPrivKeyArmor(name, passphrase string) (string, error) {
	if err := checkNewPassphrase(passphrase); err != nil {
		return "", err
	}
	if err := validateName(name); err != nil {
		return "", err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	kf, rec, err := k.load(name)
	if err != nil {
		return "", err
	}
	priv, err := k.privKey(kf, rec)
	if err != nil {
		return "", err
	}
	return encodeArmor(priv, passphrase)
}

func (k *keyring) ImportPrivKeyArmor(name, armor, passphrase string) (Record, error) {
	if err := validateName(name); err != nil {
		return Record{}, err
	}
	priv, err := decodeArmor(armor, passphrase)
	if err != nil {
		return Record{}, err
	}
	return k.add(name, priv)
}

// checkNew fails early on a bad name, unknown type or taken name, before a
// mnemonic is made or a passphrase is asked for.
func (k *keyring) checkNew(name, keyType string) error {
	if err := validateName(name); err != nil {
		return err
	}
	if _, err := crypto.LookupScheme(keyType); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, err := k.st.read(name); err == nil {
		return fmt.Errorf("%w: %q", ErrKeyExists, name)
	}
	return nil
}

// add stores a new key under name. Names and addresses are both unique:
// two names for one key would make Get by address ambiguous.
func (k *keyring) add(name string, priv crypto.PrivKey) (Record, error) {
	if err := validateName(name); err != nil {
		return Record{}, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	pub := priv.PubKey()
	recs, err := k.list()
	if err != nil {
		return Record{}, err
	}
	for _, r := range recs {
		if r.Name == name {
			return Record{}, fmt.Errorf("%w: %q", ErrKeyExists, name)
		}
		if r.Address.Equals(pub.Address()) {
			return Record{}, fmt.Errorf("%w: address %s is already stored as %q", ErrKeyExists, r.Address, r.Name)
		}
	}

	kf := newKeyFile(name, pub)
	tk := typedKey{Type: priv.Type(), Key: priv.Bytes()}
	defer clear(tk.Key)
	if k.encrypted {
		pass, err := k.passphraseForWrite(recs)
		if err != nil {
			return Record{}, err
		}
		pt, err := json.Marshal(tk)
		if err != nil {
			return Record{}, err
		}
		defer clear(pt)
		if kf.Encrypted, err = lockWithPassphrase(pass, pt, keyAAD(aadKeyring, kf.Type, kf.PubKey)); err != nil {
			return Record{}, err
		}
	} else {
		kf.PrivKey = &tk
	}
	data, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return Record{}, err
	}
	defer clear(data)
	if err := k.st.create(name, append(data, '\n')); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return Record{}, fmt.Errorf("%w: %q", ErrKeyExists, name)
		}
		return Record{}, fmt.Errorf("write key %q: %w", name, err)
	}
	return kf.record()
}

func (k *keyring) list() ([]Record, error) {
	names, err := k.st.names()
	if err != nil {
		return nil, err
	}
	recs := make([]Record, 0, len(names))
	for _, n := range names {
		_, rec, err := k.load(n)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

func (k *keyring) load(name string) (*keyFile, Record, error) {
	data, err := k.st.read(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, Record{}, fmt.Errorf("%w: %q", ErrKeyNotFound, name)
		}
		return nil, Record{}, err
	}
	kf, err := decodeKeyFile(data)
	if err != nil {
		return nil, Record{}, fmt.Errorf("key %q: %w", name, err)
	}
	// On case-insensitive file systems "Bob" opens bob.json; names must
	// match exactly.
	if kf.Name != name {
		return nil, Record{}, fmt.Errorf("%w: %q", ErrKeyNotFound, name)
	}
	rec, err := kf.record()
	return kf, rec, err
}

// resolve finds a key by name first, then by address: names may look like
// addresses, and an exact name match is what the user most likely meant.
func (k *keyring) resolve(nameOrAddress string) (*keyFile, Record, error) {
	if validateName(nameOrAddress) == nil {
		kf, rec, err := k.load(nameOrAddress)
		if !errors.Is(err, ErrKeyNotFound) {
			return kf, rec, err
		}
	}
	if addr, err := crypto.AddressFromBech32(nameOrAddress); err == nil {
		recs, err := k.list()
		if err != nil {
			return nil, Record{}, err
		}
		for _, r := range recs {
			if r.Address.Equals(addr) {
				return k.load(r.Name)
			}
		}
	}
	return nil, Record{}, fmt.Errorf("%w: no key named or with address %q", ErrKeyNotFound, nameOrAddress)
}

// privKey recovers the private key of a loaded file, decrypting if needed.
func (k *keyring) privKey(kf *keyFile, rec Record) (crypto.PrivKey, error) {
	if kf.PrivKey != nil {
		return privFromTyped(*kf.PrivKey, rec.PubKey)
	}
	if !k.encrypted {
		return nil, fmt.Errorf("key %q is encrypted but keyring backend %q has no passphrase", kf.Name, k.backend)
	}
	pass, cached := "", k.pass != nil
	if cached {
		pass = *k.pass
	} else {
		var err error
		if pass, err = k.passFn(fmt.Sprintf("Enter passphrase for keyring %s: ", k.dir), false); err != nil {
			return nil, err
		}
	}
	pt, err := kf.Encrypted.open(pass, keyAAD(aadKeyring, kf.Type, kf.PubKey))
	if errors.Is(err, errOpen) {
		return nil, fmt.Errorf("%w for keyring %s: cannot decrypt key %q", ErrWrongPassphrase, k.dir, kf.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", kf.Name, err)
	}
	defer clear(pt)
	var tk typedKey
	if err := json.Unmarshal(pt, &tk); err != nil {
		return nil, fmt.Errorf("key %q: malformed decrypted key: %w", kf.Name, err)
	}
	defer clear(tk.Key)
	priv, err := privFromTyped(tk, rec.PubKey)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", kf.Name, err)
	}
	if !cached {
		k.pass = &pass
	}
	return priv, nil
}

// passphraseForWrite returns the passphrase new keys are sealed with. An
// empty keyring gets a new, confirmed passphrase; otherwise the passphrase
// must open an existing key, so one keyring never mixes passphrases.
func (k *keyring) passphraseForWrite(recs []Record) (string, error) {
	if k.pass != nil {
		return *k.pass, nil
	}
	for _, r := range recs {
		kf, rec, err := k.load(r.Name)
		if err != nil {
			return "", err
		}
		if kf.Encrypted == nil {
			continue
		}
		if _, err := k.privKey(kf, rec); err != nil {
			return "", err
		}
		return *k.pass, nil
	}
	pass, err := k.passFn(fmt.Sprintf("Enter a new passphrase to encrypt keyring %s: ", k.dir), true)
	if err != nil {
		return "", err
	}
	if err := checkNewPassphrase(pass); err != nil {
		return "", err
	}
	k.pass = &pass
	return pass, nil
}
