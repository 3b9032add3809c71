package crypto

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
)

// Hybrid key types pair Ed25519 with a post-quantum scheme. A signature is
// valid only if both halves are, so it stays unforgeable while either
// problem stays hard.
const (
	// KeyTypeHybrid is Ed25519 ‖ ML-DSA-65, the default for new accounts.
	KeyTypeHybrid = "hybrid"
	// KeyTypeHybridSLH is Ed25519 ‖ SLH-DSA-SHA2-128s, for long-lived keys
	// that sign rarely.
	KeyTypeHybridSLH = "hybrid-slh"
)

// pqPublic and pqPrivate are the post-quantum half of a hybrid key.
type pqPublic interface {
	verify(msg, ctx, sig []byte) bool
}

type pqPrivate interface {
	signTo(sig, msg, ctx []byte) error
	public() pqPublic
	pubBytes() []byte
}

// hybridSpec is one hybrid key type. Each half signs under a domain of its
// own: Ed25519 signs edPrefix ‖ msg and the PQ scheme uses context pqCtx.
// Standalone ed25519 signs msg itself and standalone mldsa65/slhdsa use
// other contexts, so no half ever verifies as a standalone signature (or
// as the other hybrid's half), nor the other way round.
type hybridSpec struct {
	name      string
	edPrefix  string
	pqCtx     []byte
	edLabel   string // HKDF labels deriving the component seeds
	pqLabel   string
	pqPubSize int
	pqSigSize int
	newPQPub  func(raw []byte) (pqPublic, error) // raw is owned by the key
	newPQPriv func(seed []byte) (pqPrivate, error)
}

var (
	hybridMLDSA = &hybridSpec{
		name:      KeyTypeHybrid,
		edPrefix:  "selfchain/hybrid/v1\x00",
		pqCtx:     []byte("selfchain/hybrid/v1"),
		edLabel:   "selfchain/hybrid/v1/ed25519",
		pqLabel:   "selfchain/hybrid/v1/mldsa65",
		pqPubSize: mldsa65.PublicKeySize,
		pqSigSize: mldsa65.SignatureSize,
		newPQPub:  func(raw []byte) (pqPublic, error) { return newMLDSAPub(raw), nil },
		newPQPriv: func(seed []byte) (pqPrivate, error) { return newMLDSAPriv(seed), nil },
	}
	hybridSLH = &hybridSpec{
		name:      KeyTypeHybridSLH,
		edPrefix:  "selfchain/hybrid-slh/v1\x00",
		pqCtx:     []byte("selfchain/hybrid-slh/v1"),
		edLabel:   "selfchain/hybrid-slh/v1/ed25519",
		pqLabel:   "selfchain/hybrid-slh/v1/slhdsa",
		pqPubSize: slhPubKeySize,
		pqSigSize: slhSigSize,
		newPQPub:  func(raw []byte) (pqPublic, error) { return newSLHPub(raw) },
		newPQPriv: func(seed []byte) (pqPrivate, error) { return newSLHPriv(seed) },
	}
)

func init() {
	// Weights: the sum of the halves (Ed25519 100 + the PQ scheme's), which
	// matches the measured ~140 µs and ~330 µs per decode-and-verify.
	registerHybrid(hybridMLDSA, 330)
	registerHybrid(hybridSLH, 800)
}

func registerHybrid(h *hybridSpec, weight uint64) {
	fromSeed := func(seed []byte) (PrivKey, error) { return h.privKeyFromSeed(seed) }
	RegisterScheme(KeyScheme{
		Name:            h.name,
		PubKeySize:      h.pubKeySize(),
		SigSize:         h.sigSize(),
		PubKeyFromBytes: func(b []byte) (PubKey, error) { return h.pubKeyFromBytes(b) },
		// The private key is stored as one 32-byte seed; both halves are
		// derived from it.
		PrivKeyFromBytes: fromSeed,
		PrivKeyFromSeed:  fromSeed,
		Generate:         generateFromSeed(fromSeed),
		VerifyCostWeight: weight,
	})
}

func (h *hybridSpec) pubKeySize() int { return ed25519.PublicKeySize + h.pqPubSize }
func (h *hybridSpec) sigSize() int    { return ed25519.SignatureSize + h.pqSigSize }

// edMessage is edPrefix ‖ msg, the message the Ed25519 half signs.
func (h *hybridSpec) edMessage(buf []byte, msg []byte) []byte {
	return append(append(buf[:0], h.edPrefix...), msg...)
}

func (h *hybridSpec) pubKeyFromBytes(b []byte) (PubKey, error) {
	if len(b) != h.pubKeySize() {
		return nil, fmt.Errorf("%w: %s public key must be %d bytes, got %d", ErrInvalidKey, h.name, h.pubKeySize(), len(b))
	}
	raw := bytes.Clone(b)
	if err := checkEd25519Order(raw[:ed25519.PublicKeySize]); err != nil {
		return nil, err
	}
	pq, err := h.newPQPub(raw[ed25519.PublicKeySize:])
	if err != nil {
		return nil, err
	}
	return hybridPubKey{spec: h, raw: raw, ed: ed25519.PublicKey(raw[:ed25519.PublicKeySize]), pq: pq}, nil
}

// privKeyFromSeed derives the two component seeds with HKDF, so the halves
// are independent of each other and of any standalone key.
func (h *hybridSpec) privKeyFromSeed(seed []byte) (PrivKey, error) {
	if err := checkSeed(h.name, seed); err != nil {
		return nil, err
	}
	edSeed, err := expandSeed(seed, h.edLabel, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	defer clear(edSeed)
	pqSeed, err := expandSeed(seed, h.pqLabel, SeedSize)
	if err != nil {
		return nil, err
	}
	defer clear(pqSeed)
	pq, err := h.newPQPriv(pqSeed)
	if err != nil {
		return nil, err
	}
	k := hybridPrivKey{spec: h, ed: ed25519.NewKeyFromSeed(edSeed), pq: pq, seed: bytes.Clone(seed)}
	raw := make([]byte, 0, h.pubKeySize())
	raw = append(append(raw, k.ed[ed25519.SeedSize:]...), pq.pubBytes()...)
	k.pub = hybridPubKey{spec: h, raw: raw, ed: ed25519.PublicKey(raw[:ed25519.PublicKeySize]), pq: pq.public()}
	return k, nil
}

type hybridPubKey struct {
	spec *hybridSpec
	raw  []byte            // ed25519 pk ‖ PQ pk, owned, never modified
	ed   ed25519.PublicKey // raw[:32]
	pq   pqPublic          // parsed from raw[32:]
}

func (k hybridPubKey) Type() string     { return k.spec.name }
func (k hybridPubKey) Bytes() []byte    { return bytes.Clone(k.raw) }
func (k hybridPubKey) Address() Address { return PubKeyAddress(k.spec.name, k.raw) }
func (k hybridPubKey) String() string   { return pubKeyString(k.spec.name, k.raw) }

// edMsgBufSize sizes the stack buffer for edPrefix ‖ msg: tx sign bytes fit,
// so the common case does not allocate.
const edMsgBufSize = 1024

func (k hybridPubKey) VerifySignature(msg, sig []byte) bool {
	if len(sig) != k.spec.sigSize() {
		return false
	}
	var buf [edMsgBufSize]byte
	if !ed25519.Verify(k.ed, k.spec.edMessage(buf[:], msg), sig[:ed25519.SignatureSize]) {
		return false
	}
	return k.pq.verify(msg, k.spec.pqCtx, sig[ed25519.SignatureSize:])
}

func (k hybridPubKey) Equals(other PubKey) bool {
	return other != nil && other.Type() == k.spec.name && bytes.Equal(k.raw, other.Bytes())
}

type hybridPrivKey struct {
	spec *hybridSpec
	seed []byte
	ed   ed25519.PrivateKey
	pq   pqPrivate
	pub  hybridPubKey
}

func (k hybridPrivKey) Type() string   { return k.spec.name }
func (k hybridPrivKey) Bytes() []byte  { return bytes.Clone(k.seed) }
func (k hybridPrivKey) PubKey() PubKey { return k.pub }

func (k hybridPrivKey) Sign(msg []byte) ([]byte, error) {
	sig := make([]byte, k.spec.sigSize())
	var buf [edMsgBufSize]byte
	copy(sig, ed25519.Sign(k.ed, k.spec.edMessage(buf[:], msg)))
	if err := k.pq.signTo(sig[ed25519.SignatureSize:], msg, k.spec.pqCtx); err != nil {
		return nil, err
	}
	return sig, nil
}

// String and GoString keep key material out of logs and %v/%#v output.
func (k hybridPrivKey) String() string   { return k.spec.name + " private key (redacted)" }
func (k hybridPrivKey) GoString() string { return k.String() }
