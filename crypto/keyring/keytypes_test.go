package keyring

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/crypto"
)

// Every key type works through the keyring: create, recover from the mnemonic to
// the same address, export/import to the same address, sign a message that
// verifies, and derive the same encryption key after import.
func TestEveryKeyTypeThroughTheKeyring(t *testing.T) {
	for _, kt := range crypto.Schemes() {
		t.Run(kt, func(t *testing.T) {
			kr := newTestKeyring(t, BackendFile, t.TempDir())
			rec, mnemonic, err := kr.NewMnemonic("a", kt)
			require.NoError(t, err)
			require.Equal(t, kt, rec.Type)

			other := newTestKeyring(t, BackendTest, t.TempDir())
			rec2, err := other.Recover("a", kt, mnemonic, 0)
			require.NoError(t, err)
			require.Equal(t, rec.Address, rec2.Address, "recovery gives the same address")

			armor, err := kr.ExportPrivKeyArmor("a", testPass)
			require.NoError(t, err)
			third := newTestKeyring(t, BackendMemory, "")
			rec3, err := third.ImportPrivKeyArmor("b", armor, testPass)
			require.NoError(t, err)
			require.Equal(t, rec.Address, rec3.Address, "import gives the same address")

			msg := []byte("sign bytes")
			sig, pub, err := third.Sign("b", msg)
			require.NoError(t, err)
			require.True(t, pub.VerifySignature(msg, sig))

			s1, err := kr.SealKey("a")
			require.NoError(t, err)
			s3, err := third.SealKey("b")
			require.NoError(t, err)
			require.True(t, s1.Public().Equal(s3.Public()), "the encryption key follows the account key")
		})
	}
}
