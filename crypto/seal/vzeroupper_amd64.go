//go:build amd64 && !purego

package seal

import "golang.org/x/sys/cpu"

// afterKEM clears the upper halves of the YMM registers. circl's AVX2
// ML-KEM code (pke/kyber/internal/common/amd64.s, v1.6.3) returns without
// VZEROUPPER, and the SSE-encoded SHA-NI code behind crypto/sha256 then
// runs several times slower on a dirty upper state: measured here, a
// 1.2 KB SHA-256 after X-Wing decapsulation took ~70 µs instead of ~1 µs,
// making Open ~180 µs instead of ~60 µs. circl takes its AVX2 path exactly
// when HasAVX2, so that is when there is anything to clear.
func afterKEM() {
	if cpu.X86.HasAVX2 {
		vzeroupper()
	}
}

//go:noescape
func vzeroupper()
