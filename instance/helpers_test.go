package instance

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/selfchain/selfchain/crypto/seal"
)

// testDB opens a database in a temp dir with a fresh owner key.
func testDB(t *testing.T) (*DB, string) {
	t.Helper()
	k, err := seal.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db, err := OpenDB(dir, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dir
}

// testServer is a gateway without a chain, for the parts that need none.
func testServer(t *testing.T, llm string, timeout time.Duration) *Server {
	t.Helper()
	db, _ := testDB(t)
	c := DefaultConfig()
	c.LLM, c.Model, c.LLMTimeout = llm, "m", Dur{timeout}
	s, err := NewServer(c, nil, db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
