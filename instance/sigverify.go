package instance

import (
	"encoding/base64"
	"net/http"
	"sync"
	"unsafe"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/instance/wire"
)

// A session's key verifies every request made on it, so its verifier is built
// once, when the session opens. For an Ed25519 key that is curve25519-voi's
// expanded public key (the point decoded and its multiples precomputed): a
// quarter of a storage request's CPU was crypto/ed25519.Verify, which decodes
// the key and recomputes the table each time; the expanded key verifies in about
// half the time (115 µs against 209 µs on the loaded 2-core machine). The
// options are voi's VerifyOptionsStdLib, which accept exactly what
// crypto/ed25519.Verify accepts, so no signature changes its answer. Other key
// types (hybrid, ML-DSA, SLH-DSA) verify through their crypto.PubKey.
type sigVerifier func(msg, sig []byte) bool

var stdlibEd25519 = &voi.Options{Verify: voi.VerifyOptionsStdLib}

// newSigVerifier returns the verifier of pk.
func newSigVerifier(pk crypto.PubKey) sigVerifier {
	if pk.Type() == crypto.KeyTypeEd25519 {
		if x, err := voi.NewExpandedPublicKey(voi.PublicKey(pk.Bytes())); err == nil {
			return func(msg, sig []byte) bool {
				return len(sig) == voi.SignatureSize && voi.VerifyExpandedWithOptions(x, msg, sig, stdlibEd25519)
			}
		}
	}
	return pk.VerifySignature
}

// sigBufs recycles the decoded signatures of requests (up to a hybrid
// signature's 3,373 bytes; larger ones, SLH-DSA's, get their own).
var sigBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// verifyWith checks the base64 signature sigB64 over msg with verify.
func verifyWith(verify sigVerifier, msg []byte, sigB64 string) *apiError {
	bp := sigBufs.Get().(*[]byte)
	defer sigBufs.Put(bp)
	n := base64.StdEncoding.DecodedLen(len(sigB64))
	buf := *bp
	if n > cap(buf) {
		buf = make([]byte, n)
	}
	// The header's bytes are only read: no copy of up to 4 KB per request.
	k, err := base64.StdEncoding.Decode(buf[:n], unsafe.Slice(unsafe.StringData(sigB64), len(sigB64)))
	if err != nil || k == 0 || !verify(msg, buf[:k]) {
		return errBadSignature()
	}
	return nil
}

func errBadSignature() *apiError {
	return errf(http.StatusUnauthorized, wire.CodeBadSignature, "the request signature does not verify with the app key (sign wire.SignBytes of this exact request)")
}
