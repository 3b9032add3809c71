package wire

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/selfchain/selfchain/crypto"
)

// Requests are signed in two steps. The owner's account key (post-quantum
// by default, and behind the keyring's passphrase) signs a session grant
// once: "this Ed25519 session key speaks for me until <expiry>". Each
// request is then signed by the session key, which costs microseconds
// instead of a keyring unlock and an ML-DSA signature per chunk. The holder
// checks the grant once per session and the request signature every time.

// Request headers of a signed request.
const (
	HeaderKeyType   = "X-Backup-Key-Type"  // account key type
	HeaderKey       = "X-Backup-Key"       // base64 account public key
	HeaderSession   = "X-Backup-Session"   // base64 Ed25519 session public key
	HeaderExpiry    = "X-Backup-Expiry"    // unix seconds the grant ends
	HeaderGrant     = "X-Backup-Grant"     // base64 account signature of GrantBytes
	HeaderTime      = "X-Backup-Time"      // unix nanoseconds
	HeaderNonce     = "X-Backup-Nonce"     // 32 hex characters
	HeaderSignature = "X-Backup-Signature" // base64 session signature of SignBytes
)

// NonceSize is the byte length of a request nonce.
const NonceSize = 16

// MaxClockSkew is how far a request's time may be from the holder's clock.
const MaxClockSkew = 2 * time.Minute

// MaxSessionTTL bounds how long a grant may be valid.
const MaxSessionTTL = 24 * time.Hour

// maxKeyBytes bounds a public key or signature in a header.
const maxKeyBytes = 16 << 10

// GrantBytes is what the account key signs to start a session.
func GrantBytes(session ed25519.PublicKey, expiry int64) []byte {
	return fmt.Appendf(nil, "selfchain/backup/session/v1\n%s\n%d", hex.EncodeToString(session), expiry)
}

// SignBytes is what the session key signs: a domain tag, the method, the
// path with its query (which names the agreement, so a request cannot be
// replayed against another holder), time, nonce and the body's digest.
func SignBytes(method, pathQuery string, unixNano int64, nonce string, digest []byte) []byte {
	return fmt.Appendf(nil, "selfchain/backup/request/v1\n%s\n%s\n%d\n%s\n%s", method, pathQuery, unixNano, nonce, hex.EncodeToString(digest))
}

// BodyDigest is the digest signed for a body: SHA-256, except for a chunk
// upload, whose digest is the chunk's leaf (x/backup.ChunkLeafOf, a hash
// commitment to every byte that both sides compute anyway; signing it
// saves two more passes over the data).
func BodyDigest(body []byte) []byte {
	h := sha256.Sum256(body)
	return h[:]
}

// Signer signs with an account key.
type Signer func(msg []byte) (sig []byte, pub crypto.PubKey, err error)

// Session is a granted session key.
type Session struct {
	account crypto.PubKey
	key     ed25519.PrivateKey
	expiry  int64
	grant   []byte
}

// NewSession makes a session key and has the account key grant it for ttl.
func NewSession(sign Signer, now time.Time, ttl time.Duration) (*Session, error) {
	if ttl <= 0 || ttl > MaxSessionTTL {
		return nil, fmt.Errorf("session lifetime %s: want up to %s", ttl, MaxSessionTTL)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	exp := now.Add(ttl).Unix()
	grant, acct, err := sign(GrantBytes(pub, exp))
	if err != nil {
		return nil, fmt.Errorf("granting the backup session: %w", err)
	}
	return &Session{account: acct, key: priv, expiry: exp, grant: grant}, nil
}

// Expiry is when the grant ends.
func (s *Session) Expiry() time.Time { return time.Unix(s.expiry, 0) }

// SignRequest adds the auth headers to req, whose body has this digest.
func (s *Session) SignRequest(req *http.Request, digest []byte, now time.Time, nonce [NonceSize]byte) {
	ts := now.UnixNano()
	n := hex.EncodeToString(nonce[:])
	h := req.Header
	h.Set(HeaderKeyType, s.account.Type())
	h.Set(HeaderKey, base64.StdEncoding.EncodeToString(s.account.Bytes()))
	h.Set(HeaderSession, base64.StdEncoding.EncodeToString(s.key.Public().(ed25519.PublicKey)))
	h.Set(HeaderExpiry, strconv.FormatInt(s.expiry, 10))
	h.Set(HeaderGrant, base64.StdEncoding.EncodeToString(s.grant))
	h.Set(HeaderTime, strconv.FormatInt(ts, 10))
	h.Set(HeaderNonce, n)
	h.Set(HeaderSignature, base64.StdEncoding.EncodeToString(ed25519.Sign(s.key, SignBytes(req.Method, req.URL.RequestURI(), ts, n, digest))))
}

// Auth is a decoded, not yet verified, request signature.
type Auth struct {
	Account crypto.PubKey
	Session ed25519.PublicKey
	Expiry  int64
	Grant   []byte
	Time    int64
	Nonce   string
	Sig     []byte
}

// ErrUnsigned says the request carries no signature at all.
var ErrUnsigned = errors.New("request is not signed: it needs the X-Backup-* headers of a session granted by the owner's account key")

func b64(h http.Header, name string, maxLen int) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(h.Get(name))
	if err != nil || len(b) == 0 || len(b) > maxLen {
		return nil, fmt.Errorf("bad %s header: want base64 of 1 to %d bytes", name, maxLen)
	}
	return b, nil
}

// DecodeAuth reads the auth headers (fuzzed: any client can send anything).
func DecodeAuth(h http.Header) (Auth, error) {
	var a Auth
	if h.Get(HeaderSignature) == "" && h.Get(HeaderKey) == "" {
		return a, ErrUnsigned
	}
	key, err := b64(h, HeaderKey, maxKeyBytes)
	if err != nil {
		return a, err
	}
	if a.Account, err = crypto.PubKeyFromTyped(h.Get(HeaderKeyType), key); err != nil {
		return a, fmt.Errorf("bad account key: %w", err)
	}
	sess, err := b64(h, HeaderSession, ed25519.PublicKeySize)
	if err != nil || len(sess) != ed25519.PublicKeySize {
		return a, fmt.Errorf("bad %s header: want a base64 Ed25519 public key", HeaderSession)
	}
	a.Session = sess
	if a.Expiry, err = strconv.ParseInt(h.Get(HeaderExpiry), 10, 64); err != nil {
		return a, errors.New("bad " + HeaderExpiry + " header: want unix seconds")
	}
	if a.Grant, err = b64(h, HeaderGrant, maxKeyBytes); err != nil {
		return a, err
	}
	if a.Time, err = strconv.ParseInt(h.Get(HeaderTime), 10, 64); err != nil {
		return a, errors.New("bad " + HeaderTime + " header: want unix nanoseconds")
	}
	a.Nonce = h.Get(HeaderNonce)
	if nb, err := hex.DecodeString(a.Nonce); err != nil || len(nb) != NonceSize {
		return a, fmt.Errorf("bad %s header: want %d hex characters", HeaderNonce, 2*NonceSize)
	}
	if a.Sig, err = b64(h, HeaderSignature, ed25519.SignatureSize); err != nil || len(a.Sig) != ed25519.SignatureSize {
		return a, fmt.Errorf("bad %s header: want a base64 Ed25519 signature", HeaderSignature)
	}
	return a, nil
}

// VerifyRequest checks the session's signature of a request.
func (a Auth) VerifyRequest(method, pathQuery string, digest []byte) bool {
	return ed25519.Verify(a.Session, SignBytes(method, pathQuery, a.Time, a.Nonce, digest), a.Sig)
}

// VerifyGrant checks the account's grant of the session (the holder caches
// the answer per session).
func (a Auth) VerifyGrant() bool {
	return a.Account.VerifySignature(GrantBytes(a.Session, a.Expiry), a.Grant)
}
