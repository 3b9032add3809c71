// Package seal encrypts payloads to a recipient's hybrid public key.
//
// Suite 1 ("selfchain/seal/v1"):
//
//   - KEM: X-Wing (draft-connolly-cfrg-xwing-kem), i.e. X25519 and
//     ML-KEM-768 combined with SHA3-256, from circl's kem/xwing. The payload
//     stays confidential while either half holds: ML-KEM-768 against a
//     quantum adversary, X25519 should ML-KEM ever be broken.
//   - KDF: HKDF-SHA256 over the X-Wing shared secret, binding the full
//     recipient public key (its SHA-256), the whole header (which holds the
//     KEM ciphertext) and the caller's associated data. It yields the
//     payload key and a key commitment stored in the header.
//   - AEAD: XChaCha20-Poly1305, applied per chunk in the STREAM construction
//     (Hoang, Reyhanitabar, Rogaway, Vizár 2015): nonce = random prefix ‖
//     chunk counter ‖ final flag, so reordered, replayed, dropped and
//     truncated chunks all fail.
//
// Seal/Open handle payloads in memory; NewWriter/NewReader stream them. Both
// produce and accept the same envelope format: header.go has the byte
// layout, the "Sealing" section of the crypto docs under docs/ the rest.
package seal
