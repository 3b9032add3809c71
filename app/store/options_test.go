package store

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A cap only ever lowers a store's node cache, and a non-positive one is refused
// (IAVL would treat it as "evict everything at once").
func TestIAVLCacheCaps(t *testing.T) {
	o, err := Options{IAVLCacheCaps: map[string]int{"poai": 256, "big": 1 << 30}}.withDefaults()
	require.NoError(t, err)
	require.Equal(t, 256, o.cacheSize("poai"))
	require.Equal(t, DefaultIAVLCacheSize, o.cacheSize("big"), "a cap above the configured size does not raise it")
	require.Equal(t, DefaultIAVLCacheSize, o.cacheSize("bank"))

	o, err = Options{IAVLCacheSize: 100, IAVLCacheCaps: map[string]int{"poai": 256}}.withDefaults()
	require.NoError(t, err)
	require.Equal(t, 100, o.cacheSize("poai"), "app.toml's smaller iavl-cache-size wins")

	_, err = Options{IAVLCacheCaps: map[string]int{"poai": 0}}.withDefaults()
	require.ErrorContains(t, err, `IAVL cache cap 0 of store "poai" is not positive`)
}
