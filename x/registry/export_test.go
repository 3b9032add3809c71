package registry

// KeyHashForTest exposes the key index hash to the external tests.
func KeyHashForTest(keyType string, key []byte) []byte { return keyHash(keyType, key) }

// SetMaxScanPerPageForTest lowers the scan bound of a listing page; it returns the undo.
func SetMaxScanPerPageForTest(n int) func() {
	old := maxScanPerPage
	maxScanPerPage = n
	return func() { maxScanPerPage = old }
}
