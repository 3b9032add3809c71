package registry

// KeyHashForTest exposes the key index hash to the external tests.
func KeyHashForTest(keyType string, key []byte) []byte { return keyHash(keyType, key) }
