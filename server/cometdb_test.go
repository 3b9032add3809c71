package server

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cmtlog "github.com/cometbft/cometbft/libs/log"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/store"
)

// init writes a new home's db_backend and app.toml's memory limit;
// both read back as written. A re-init keeps an existing config.toml's backend,
// and a home that lost its config.toml gets the backend its stores were written by.
func TestInitHomeWritesCometDBBackend(t *testing.T) {
	home := t.TempDir()
	if err := InitHome(home, "n0", "selfchain-test-1", ""); err != nil {
		t.Fatal(err)
	}
	backend := func(home string) string {
		c, err := LoadCometConfig(home, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.DBBackend
	}
	if got := backend(home); got != DefaultCometDBBackend {
		t.Fatalf("new home: db_backend %q, want %q", got, DefaultCometDBBackend)
	}
	bz, _ := os.ReadFile(CometConfigPath(home))
	if !strings.Contains(string(bz), `db_backend = "`+DefaultCometDBBackend+`"`) {
		t.Fatal("config.toml does not spell out db_backend")
	}
	ac, err := app.LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	if ac.Server.MemoryLimit != app.DefaultMemoryLimit {
		t.Fatalf("app.toml server.memory-limit %q, want %q", ac.Server.MemoryLimit, app.DefaultMemoryLimit)
	}

	// A home whose operator chose the other backend keeps it.
	other := otherBackend(DefaultCometDBBackend)
	setCometBackend(t, home, other)
	if err := InitHome(home, "n0", "selfchain-test-1", "", Overwrite(true)); err != nil {
		t.Fatal(err)
	}
	if got := backend(home); got != other {
		t.Fatalf("re-init: db_backend %q, want the file's %s", got, other)
	}

	// A home whose config.toml is gone but whose block store the other backend wrote.
	lost := t.TempDir()
	db, err := store.OpenCometDB(other, "blockstore", filepath.Join(lost, "data"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := InitHome(lost, "n0", "selfchain-test-1", ""); err != nil {
		t.Fatal(err)
	}
	if got := backend(lost); got != other {
		t.Fatalf("home with %s stores: init wrote db_backend %q", other, got)
	}
}

func otherBackend(b string) string {
	if b == "pebbledb" {
		return "goleveldb"
	}
	return "pebbledb"
}

func setCometBackend(t *testing.T, home, backend string) {
	t.Helper()
	bz, err := os.ReadFile(CometConfigPath(home))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(bz), "\n") {
		if strings.HasPrefix(l, "db_backend = ") {
			l = `db_backend = "` + backend + `"`
		}
		out = append(out, l)
	}
	if err := os.WriteFile(CometConfigPath(home), []byte(strings.Join(out, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A node whose config.toml (or app.toml, for the tx index) names another backend
// than the one that wrote a store does not start, says which setting to change,
// leaves the store as it was, and releases what it opened (the application
// database opens again).
func TestStartRefusesMismatchedCometBackend(t *testing.T) {
	for _, tc := range []struct {
		db, setting string
		configure   func(t *testing.T, home string) // makes the setting say pebbledb
	}{
		{"blockstore", "config.toml db_backend", func(t *testing.T, home string) { setCometBackend(t, home, "pebbledb") }},
		{txIndexDB, "app.toml tx-index.db-backend", func(*testing.T, string) {}}, // init writes pebbledb
	} {
		t.Run(tc.db, func(t *testing.T) {
			home := t.TempDir()
			if err := InitHome(home, "n0", "selfchain-test-1", ""); err != nil {
				t.Fatal(err)
			}
			tc.configure(t, home)
			data := filepath.Join(home, "data")
			db, err := store.OpenCometDB("goleveldb", tc.db, data)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadDir(filepath.Join(data, tc.db+".db"))

			_, err = Start(context.Background(), home, cmtlog.NewNopLogger(), testNodeOptions(t)...)
			if !errors.Is(err, store.ErrBackendMismatch) {
				t.Fatalf("want a backend mismatch, got %v", err)
			}
			for _, want := range []string{"open CometBFT " + tc.db + " database", tc.setting + ` is "pebbledb"`, `written by goleveldb: set ` + tc.setting + ` = "goleveldb"`} {
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("error %q does not say %q", err, want)
				}
			}
			after, _ := os.ReadDir(filepath.Join(data, tc.db+".db"))
			if len(before) != len(after) {
				t.Fatalf("the refused store changed: %v -> %v", before, after)
			}
			if got, _ := store.DiskBackend(tc.db, data); got != "goleveldb" {
				t.Fatalf("%s now %q", tc.db, got)
			}
			adb, err := app.DefaultConfig().OpenStateDB(data)
			if err != nil {
				t.Fatalf("the application db is still held after the refused start: %v", err)
			}
			_ = adb.Close()
		})
	}
}

// A node on either backend commits blocks, writes its stores with it, rolls
// back a height while stopped, and restarts from there: pebbledb through app/store's adapter, goleveldb as
// every home init wrote before db_backend was chosen.
func TestNodeOnEachCometBackendRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	for _, backend := range []string{"pebbledb", "goleveldb"} {
		t.Run(backend, func(t *testing.T) {
			home := t.TempDir()
			if err := InitHome(home, "n0", "selfchain-test-1", ""); err != nil {
				t.Fatal(err)
			}
			setCometBackend(t, home, backend)
			n, c := startedNode(t, home)
			h := waitHeight(t, c, 3)
			if err := n.Stop(); err != nil {
				t.Fatal(err)
			}
			// The tx index follows app.toml [tx-index] db-backend, which init set.
			requireDiskBackends(t, filepath.Join(home, "data"), map[string]string{"blockstore": backend, "state": backend, "evidence": backend, txIndexDB: app.DefaultTxIndexDBBackend})
			// Rollback opens the stopped node's stores with the same backend.
			stoppedAt := n.Comet().BlockStore().Height()
			rb, err := Rollback(home, false)
			if err != nil {
				t.Fatal(err)
			}
			if rb.Height != stoppedAt-1 {
				t.Fatalf("rollback to %d, want %d", rb.Height, stoppedAt-1)
			}
			_, c2 := startedNode(t, home)
			waitHeight(t, c2, h+1)
		})
	}
}
