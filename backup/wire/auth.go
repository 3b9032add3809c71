package wire

import (
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

// Request headers of a signed request.
const (
	HeaderKeyType   = "X-Backup-Key-Type"
	HeaderKey       = "X-Backup-Key"       // base64 public key
	HeaderTime      = "X-Backup-Time"      // unix nanoseconds
	HeaderNonce     = "X-Backup-Nonce"     // 32 hex characters
	HeaderSignature = "X-Backup-Signature" // base64
)

// NonceSize is the byte length of a request nonce.
const NonceSize = 16

// MaxClockSkew is how far a request's time may be from the holder's clock.
const MaxClockSkew = 2 * time.Minute

// maxKeyBytes bounds a public key in a header (the largest scheme, SLH-DSA
// hybrids included, is far below this).
const maxKeyBytes = 8 << 10

// SignBytes is what the owner signs: a domain tag, the method, the path
// with its query (which names the agreement, so a request cannot be replayed
// against another holder), time, nonce and the body's hash.
func SignBytes(method, pathQuery string, unixNano int64, nonce string, body []byte) []byte {
	h := sha256.Sum256(body)
	return fmt.Appendf(nil, "selfchain/backup/request/v1\n%s\n%s\n%d\n%s\n%s", method, pathQuery, unixNano, nonce, hex.EncodeToString(h[:]))
}

// Signer signs requests with an account key.
type Signer func(msg []byte) (sig []byte, pub crypto.PubKey, err error)

// SignRequest adds the auth headers to req, whose body is body.
func SignRequest(req *http.Request, body []byte, sign Signer, now time.Time, nonce [NonceSize]byte) error {
	ts := now.UnixNano()
	n := hex.EncodeToString(nonce[:])
	sig, pub, err := sign(SignBytes(req.Method, req.URL.RequestURI(), ts, n, body))
	if err != nil {
		return err
	}
	req.Header.Set(HeaderKeyType, pub.Type())
	req.Header.Set(HeaderKey, base64.StdEncoding.EncodeToString(pub.Bytes()))
	req.Header.Set(HeaderTime, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderNonce, n)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	return nil
}

// Auth is a decoded, not yet verified, request signature.
type Auth struct {
	Pub   crypto.PubKey
	Time  int64
	Nonce string
	Sig   []byte
}

// ErrUnsigned says the request carries no signature at all.
var ErrUnsigned = errors.New("request is not signed: it needs the X-Backup-* headers of the owner's account key")

// DecodeAuth reads the auth headers (fuzzed: any client can send anything).
func DecodeAuth(h http.Header) (Auth, error) {
	var a Auth
	if h.Get(HeaderSignature) == "" && h.Get(HeaderKey) == "" {
		return a, ErrUnsigned
	}
	key, err := base64.StdEncoding.DecodeString(h.Get(HeaderKey))
	if err != nil || len(key) == 0 || len(key) > maxKeyBytes {
		return a, errors.New("bad " + HeaderKey + " header: want the base64 public key")
	}
	if a.Pub, err = crypto.PubKeyFromTyped(h.Get(HeaderKeyType), key); err != nil {
		return a, fmt.Errorf("bad public key: %w", err)
	}
	if a.Time, err = strconv.ParseInt(h.Get(HeaderTime), 10, 64); err != nil {
		return a, errors.New("bad " + HeaderTime + " header: want unix nanoseconds")
	}
	a.Nonce = h.Get(HeaderNonce)
	if nb, err := hex.DecodeString(a.Nonce); err != nil || len(nb) != NonceSize {
		return a, fmt.Errorf("bad %s header: want %d hex characters", HeaderNonce, 2*NonceSize)
	}
	if a.Sig, err = base64.StdEncoding.DecodeString(h.Get(HeaderSignature)); err != nil || len(a.Sig) == 0 || len(a.Sig) > maxKeyBytes {
		return a, errors.New("bad " + HeaderSignature + " header: want a base64 signature")
	}
	return a, nil
}
