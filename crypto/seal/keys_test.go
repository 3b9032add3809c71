package seal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestNewKeyFromSeedDeterministic(t *testing.T) {
	seed := [SeedSize]byte{42}
	a, b := NewKeyFromSeed(seed), NewKeyFromSeed(seed)
	if !a.Public().Equal(b.Public()) || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same seed gave different keys")
	}
	if !bytes.Equal(a.Bytes(), seed[:]) {
		t.Fatal("private key bytes are not the seed")
	}
	c := NewKeyFromSeed([SeedSize]byte{43})
	if a.Public().Equal(c.Public()) || a.Public().ID() == c.Public().ID() {
		t.Fatal("different seeds gave the same key")
	}
	// A key made from a seed opens what was sealed to its twin.
	env, err := Seal(a.Public(), []byte("hi"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Open(b, env, nil); err != nil || string(got) != "hi" {
		t.Fatalf("Open with re-derived key: %q, %v", got, err)
	}
}

func TestGenerateKey(t *testing.T) {
	k1, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := GenerateKey(detRand(1))
	if err != nil {
		t.Fatal(err)
	}
	k3, _ := GenerateKey(detRand(1))
	if k1.Public().Equal(k2.Public()) || !k2.Public().Equal(k3.Public()) {
		t.Fatal("GenerateKey does not follow its randomness source")
	}
	if _, err := GenerateKey(bytes.NewReader(make([]byte, 5))); err == nil {
		t.Fatal("short randomness accepted")
	}
}

func TestKeyEncodings(t *testing.T) {
	pub := testKey.Public()

	raw := pub.Bytes()
	if len(raw) != PublicKeySize {
		t.Fatalf("public key is %d bytes", len(raw))
	}
	p2, err := ParsePublicKey(raw)
	if err != nil || !p2.Equal(pub) {
		t.Fatalf("ParsePublicKey round trip: %v", err)
	}

	s := pub.String()
	if !strings.HasPrefix(s, PublicKeyPrefix+"1") {
		t.Fatalf("text form %q... lacks prefix", s[:12])
	}
	p3, err := ParsePublicKeyString(s)
	if err != nil || !p3.Equal(pub) {
		t.Fatalf("ParsePublicKeyString round trip: %v", err)
	}
	if p4, err := ParsePublicKeyString(strings.ToUpper(s)); err != nil || !p4.Equal(pub) {
		t.Fatalf("upper-case text form: %v", err)
	}

	k2, err := ParsePrivateKey(testKey.Bytes())
	if err != nil || !k2.Public().Equal(pub) {
		t.Fatalf("ParsePrivateKey round trip: %v", err)
	}

	sum := sha256.Sum256(raw)
	if pub.ID() != hex.EncodeToString(sum[:8]) || len(pub.ID()) != 16 {
		t.Fatalf("ID %s is not hex(sha256(key)[:8])", pub.ID())
	}
}

func TestKeyParseErrors(t *testing.T) {
	s := testKey.Public().String()
	flipped := []byte(s)
	flipped[100] = map[bool]byte{true: 'q', false: 'p'}[flipped[100] == 'p']
	cases := map[string]func() error{
		"short public key": func() error { _, err := ParsePublicKey(make([]byte, 100)); return err },
		"long public key":  func() error { _, err := ParsePublicKey(make([]byte, PublicKeySize+1)); return err },
		// 0xff bytes decode to ML-KEM coefficients >= q: FIPS 203's check fails.
		"non-canonical ML-KEM key":  func() error { _, err := ParsePublicKey(bytes.Repeat([]byte{0xff}, PublicKeySize)); return err },
		"low-order X25519 half":     func() error { _, err := ParsePublicKey(lowOrder(0)); return err },
		"low-order X25519 half (1)": func() error { _, err := ParsePublicKey(lowOrder(1)); return err },
		"short private key":         func() error { _, err := ParsePrivateKey(make([]byte, 31)); return err },
		"typo in text":              func() error { _, err := ParsePublicKeyString(string(flipped)); return err },
		"clipped text":              func() error { _, err := ParsePublicKeyString(s[:len(s)-10]); return err },
		"wrong prefix":              func() error { _, err := ParsePublicKeyString("self1" + s[len(PublicKeyPrefix)+1:]); return err },
		"huge text":                 func() error { _, err := ParsePublicKeyString(strings.Repeat("q", 1<<20)); return err },
		"empty text":                func() error { _, err := ParsePublicKeyString(""); return err },
	}
	for name, f := range cases {
		if err := f(); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: got %v, want ErrInvalidKey", name, err)
		}
	}
}

func TestRecipientKeyID(t *testing.T) {
	env := mustSeal(t, []byte("x"), nil, 0)
	id, err := RecipientKeyID(env[:14])
	if err != nil || id != testKey.Public().ID() {
		t.Fatalf("RecipientKeyID = %q, %v; want %s", id, err, testKey.Public().ID())
	}
	if _, err := RecipientKeyID(env[:13]); !errors.Is(err, ErrTruncated) {
		t.Fatalf("short header: %v", err)
	}
	if _, err := RecipientKeyID([]byte("PK\x03\x04 not an envelope")); !errors.Is(err, ErrMalformed) {
		t.Fatalf("foreign data: %v", err)
	}
}

// lowOrder is the test key with its X25519 half replaced by the point with
// u = x, which has small order for x = 0 and x = 1.
func lowOrder(x byte) []byte {
	b := testKey.Public().Bytes()
	clear(b[PublicKeySize-32:])
	b[PublicKeySize-32] = x
	return b
}
