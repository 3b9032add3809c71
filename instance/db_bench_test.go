package instance

import (
	"crypto/rand"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/selfchain/selfchain/crypto/seal"
)

// BenchmarkDBPut: storage writes alone (no TLS, signature or decision), 256-byte
// values over 1,000 keys, benchInFlight writers at once, audit entries queued as
// the gateway does: what the database costs a Put.
func BenchmarkDBPut(b *testing.B) {
	k, err := seal.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	db, err := OpenDB(b.TempDir(), k.Public(), k)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	val := make([]byte, 256)
	var next atomic.Int64
	parallel(b, func(i int) error {
		key := "k/" + strconv.Itoa(int(next.Add(1))%1000)
		if _, err := db.Put("bench", key, val, QuotaFree); err != nil {
			return err
		}
		return db.Audit(AuditEntry{App: "bench", Method: "PUT", Path: "/v1/storage/" + key, Scope: "storage:write:" + key, Result: "allowed"})
	})
}
