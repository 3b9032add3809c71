package crypto

// parsedMLDSABytes is what an ML-DSA-65 public key holds once it has verified:
// the expanded matrix A and t1 beside its 1,952 raw bytes. Measured in a heap
// profile at saturation: 82 MB for 2,000 hybrid accounts' keys.
const parsedMLDSABytes = 41 << 10

// RetainedBytes estimates the memory pub holds once it has verified a signature,
// for caches of parsed keys to bound themselves by bytes: an ML-DSA-65 key (or a
// hybrid with one) is ~40 KB parsed, ~20 times an Ed25519 key's whole footprint.
func RetainedBytes(pub PubKey) int {
	switch k := pub.(type) {
	case mldsa65PubKey:
		return parsedMLDSABytes
	case hybridPubKey:
		n := len(k.raw) + 64
		if _, ok := k.pq.(*mldsaPub); ok {
			n += parsedMLDSABytes
		}
		return n
	default:
		return 256 // an Ed25519 or SLH-DSA key: raw bytes and headers
	}
}
