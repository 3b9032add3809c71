package backup_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/x/backup"
)

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]uint64{"10GiB": 10 << 30, "1MiB": 1 << 20, "512": 512, "5B": 5, "2KB": 2000, "3 TiB": 3 << 40} {
		got, err := backup.ParseBytes(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "0", "-1GiB", "1.5GiB", "GiB", "20000000TiB", "10XB"} {
		_, err := backup.ParseBytes(bad)
		require.Error(t, err, bad)
	}
}
