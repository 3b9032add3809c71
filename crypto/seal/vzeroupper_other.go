//go:build !amd64 || purego

package seal

// afterKEM has nothing to clear off amd64 (see vzeroupper_amd64.go).
func afterKEM() {}
