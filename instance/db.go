package instance

import (
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
	_ "modernc.org/sqlite" // pure-Go SQLite, no cgo

	"github.com/selfchain/selfchain/crypto/seal"
)

// DB is the instance's local database: sovereign storage, conversation context,
// pending authorization requests and the audit log. Values and chat text are
// sealed to the owner's key; keys, sizes and the audit log are metadata in clear.
//
// Envelope encryption: one random data key, sealed with crypto/seal to the owner's
// key (X-Wing) and stored in the database, encrypts every value and message with
// XChaCha20-Poly1305. Opening the data key needs the owner's private key, as
// opening each value would; one KEM per start instead of one per value keeps a
// storage request at a signature check plus an AEAD.
//
// Connections: one writer (SQLite has one; a single connection means no
// SQLITE_BUSY inside the process) and a pool of readers, which WAL lets read
// while the writer writes. The hot statements are prepared once.
type DB struct {
	sql   *sql.DB     // the one writer connection
	rd    *sql.DB     // read-only connections
	aead  cipher.AEAD // nil for the CLI, which opens no values
	st    stmts
	audit *auditWriter
	store *storeWriter
}

// readConns is the size of the read pool.
const readConns = 4

// stmts are the prepared statements of the storage requests.
type stmts struct {
	lastVersion, latestMeta, usage, insert, tombstone, addUsage *sql.Stmt // writer
	getLatest, getVersion                                       *sql.Stmt // readers
}

func (st *stmts) prepare(w, r *sql.DB) error {
	for _, p := range []struct {
		db  *sql.DB
		dst **sql.Stmt
		q   string
	}{
		{w, &st.lastVersion, `SELECT COALESCE(MAX(version),0) FROM kv WHERE app=? AND key=?`},
		{w, &st.latestMeta, `SELECT version, deleted FROM kv WHERE app=? AND key=? ORDER BY version DESC LIMIT 1`},
		{w, &st.usage, `SELECT bytes FROM usage WHERE id=1`},
		{w, &st.insert, `INSERT INTO kv (app,key,version,value,size,deleted,created) VALUES (?,?,?,?,?,0,?)`},
		{w, &st.tombstone, `INSERT INTO kv (app,key,version,value,size,deleted,created) VALUES (?,?,?,NULL,0,1,?)`},
		{w, &st.addUsage, `UPDATE usage SET bytes=bytes+? WHERE id=1`},
		{r, &st.getLatest, `SELECT version, value, deleted FROM kv WHERE app=? AND key=? ORDER BY version DESC LIMIT 1`},
		{r, &st.getVersion, `SELECT version, value, deleted FROM kv WHERE app=? AND key=? AND version=?`},
	} {
		var err error
		if *p.dst, err = p.db.Prepare(p.q); err != nil {
			return err
		}
	}
	return nil
}

func (st *stmts) close() {
	for _, s := range []*sql.Stmt{st.lastVersion, st.latestMeta, st.usage, st.insert, st.tombstone, st.addUsage, st.getLatest, st.getVersion} {
		if s != nil {
			s.Close()
		}
	}
}

const schema = `
CREATE TABLE IF NOT EXISTS kv (
  app TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL,
  value BLOB, size INTEGER NOT NULL, deleted INTEGER NOT NULL, created INTEGER NOT NULL,
  PRIMARY KEY (app, key, version));
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS usage (id INTEGER PRIMARY KEY CHECK (id = 1), bytes INTEGER NOT NULL);
INSERT OR IGNORE INTO usage (id, bytes) VALUES (1, 0);
CREATE TABLE IF NOT EXISTS chat (
  app TEXT NOT NULL, context TEXT NOT NULL, seq INTEGER NOT NULL, role TEXT NOT NULL,
  content BLOB NOT NULL, created INTEGER NOT NULL, PRIMARY KEY (app, context, seq));
CREATE TABLE IF NOT EXISTS requests (
  id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL, scopes TEXT NOT NULL, app_key TEXT NOT NULL,
  status TEXT NOT NULL, created INTEGER NOT NULL, decided INTEGER NOT NULL DEFAULT 0, tx TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, app TEXT NOT NULL, app_key TEXT NOT NULL,
  method TEXT NOT NULL, path TEXT NOT NULL, scope TEXT NOT NULL, result TEXT NOT NULL, reason TEXT NOT NULL,
  height INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  hash BLOB PRIMARY KEY, app TEXT NOT NULL, key_type TEXT NOT NULL, key BLOB NOT NULL, expires INTEGER NOT NULL,
  high INTEGER NOT NULL, seen BLOB, saved INTEGER NOT NULL);
`

// OpenDB opens (creating) <home>/instance.db. key may be nil (no values are opened).
func OpenDB(home string, pub *seal.PublicKey, key *seal.PrivateKey) (*DB, error) {
	// synchronous=NORMAL in WAL mode: a commit is durable against a crash of the
	// process; a power loss may undo the last commits since the WAL was last synced.
	dsn := "file:" + filepath.Join(home, dbFile) + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
	s, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	s.SetMaxOpenConns(1) // one writer: no SQLITE_BUSY inside the process
	s.SetMaxIdleConns(1)
	s.SetConnMaxLifetime(0)
	if _, err := s.Exec(schema); err != nil {
		s.Close()
		return nil, fmt.Errorf("open %s: %w", dbFile, err)
	}
	r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		s.Close()
		return nil, err
	}
	r.SetMaxOpenConns(readConns)
	r.SetMaxIdleConns(readConns)
	d := &DB{sql: s, rd: r}
	fail := func(err error) (*DB, error) {
		d.st.close()
		r.Close()
		s.Close()
		return nil, err
	}
	if err := d.st.prepare(s, r); err != nil {
		return fail(fmt.Errorf("open %s: %w", dbFile, err))
	}
	if key != nil {
		if d.aead, err = d.dataKey(pub, key); err != nil {
			return fail(err)
		}
	}
	if d.audit, err = newAuditWriter(s); err != nil {
		return fail(err)
	}
	if d.store, err = newStoreWriter(d); err != nil {
		d.audit.close()
		return fail(err)
	}
	return d, nil
}

// dekAD binds the sealed data key to its purpose.
var dekAD = []byte("selfinstance/data-key/v1")

// dataKey opens the sealed data key, creating it on first use.
func (d *DB) dataKey(pub *seal.PublicKey, key *seal.PrivateKey) (cipher.AEAD, error) {
	var env []byte
	err := d.sql.QueryRow(`SELECT value FROM meta WHERE name='data_key'`).Scan(&env)
	var dek []byte
	switch {
	case errors.Is(err, sql.ErrNoRows):
		dek = make([]byte, chacha20poly1305.KeySize)
		if _, err := rand.Read(dek); err != nil {
			return nil, err
		}
		if env, err = seal.Seal(pub, dek, dekAD); err != nil {
			return nil, err
		}
		if _, err := d.sql.Exec(`INSERT INTO meta (name, value) VALUES ('data_key', ?)`, env); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		if dek, err = seal.Open(key, env, dekAD); err != nil {
			return nil, fmt.Errorf("the database's data key does not open with the owner's key (another owner's database?): %w", err)
		}
	}
	return chacha20poly1305.NewX(dek)
}

// sealValue encrypts pt bound to ad: nonce ‖ ciphertext.
func (d *DB) sealValue(pt, ad []byte) ([]byte, error) {
	if d.aead == nil {
		return nil, errors.New("the database was opened without the owner's key")
	}
	out := make([]byte, d.aead.NonceSize(), d.aead.NonceSize()+len(pt)+d.aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, err
	}
	return d.aead.Seal(out, out, pt, ad), nil
}

func (d *DB) openValue(env, ad []byte) ([]byte, error) {
	if d.aead == nil {
		return nil, errors.New("the database was opened without the owner's key")
	}
	if len(env) < d.aead.NonceSize() {
		return nil, errors.New("stored value too short")
	}
	n := d.aead.NonceSize()
	return d.aead.Open(nil, env[:n], env[n:], ad)
}

// Close answers the queued writes, writes the queued audit entries and closes the database.
func (d *DB) Close() error {
	d.store.close()
	d.audit.close()
	d.st.close()
	d.rd.Close()
	return d.sql.Close()
}

// ad binds a sealed value to where it is stored, so values cannot be swapped between rows.
func ad(kind, app, key string, n uint64) []byte {
	b := []byte("selfinstance/" + kind + "/v1\x00" + app + "\x00" + key + "\x00")
	return binary.BigEndian.AppendUint64(b, n)
}

var (
	errNotFound = errors.New("not found")
	errQuota    = errors.New("quota exceeded")
)

// Put stores a new version of app's key, sealed; it fails with errQuota when the
// sealed value would take the instance past quota bytes. The write is committed
// (with the others waiting at the time, see storeWriter) when Put returns.
func (d *DB) Put(app, key string, value []byte, quota int64) (uint64, error) {
	v, _, err := d.store.do(&writeOp{app: app, key: key, value: value, quota: quota})
	return v, err
}

// write runs op (a Put or a Delete) and, when op.audit is set, writes its audit
// entry in the same transaction; audited reports that it did (false: the write's
// transaction failed, and the caller audits the failure itself).
func (d *DB) write(op *writeOp) (version uint64, audited bool, err error) {
	return d.store.do(op)
}

// Get opens app's key at version (0 = latest); a deleted key is not found.
func (d *DB) Get(app, key string, version uint64) ([]byte, uint64, error) {
	row := d.st.getLatest.QueryRow(app, key)
	if version > 0 {
		row = d.st.getVersion.QueryRow(app, key, version)
	}
	var v uint64
	var env []byte
	var deleted bool
	if err := row.Scan(&v, &env, &deleted); errors.Is(err, sql.ErrNoRows) || deleted {
		return nil, 0, errNotFound
	} else if err != nil {
		return nil, 0, err
	}
	val, err := d.openValue(env, ad("kv", app, key, v))
	if err != nil {
		return nil, 0, fmt.Errorf("stored value does not open: %w", err)
	}
	return val, v, nil
}

// Delete records a deletion (a tombstone version); the key must exist.
func (d *DB) Delete(app, key string) (uint64, error) {
	v, _, err := d.store.do(&writeOp{del: true, app: app, key: key})
	return v, err
}

// List returns up to limit live keys of app under prefix, after cursor, in key order.
func (d *DB) List(app, prefix, cursor string, limit int) ([]ListRow, string, error) {
	rows, err := d.rd.Query(`SELECT key, version, size, deleted, created FROM kv k WHERE app=? AND key > ? AND substr(key,1,?) = ?
		AND version = (SELECT MAX(version) FROM kv WHERE app=k.app AND key=k.key) ORDER BY key LIMIT ?`,
		app, cursor, len(prefix), prefix, limit+1)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []ListRow
	var scanned int
	var lastKey string
	for rows.Next() {
		var r ListRow
		var deleted bool
		if err := rows.Scan(&r.Key, &r.Version, &r.Size, &deleted, &r.Created); err != nil {
			return nil, "", err
		}
		scanned++
		if scanned > limit {
			return out, lastKey, rows.Err()
		}
		lastKey = r.Key
		if !deleted {
			out = append(out, r)
		}
	}
	return out, "", rows.Err()
}

// ListRow is one key of List.
type ListRow struct {
	Key     string
	Version uint64
	Size    int64
	Created int64
}

// Usage is the sealed bytes stored.
func (d *DB) Usage() (int64, error) {
	var n int64
	err := d.rd.QueryRow(`SELECT bytes FROM usage WHERE id=1`).Scan(&n)
	return n, err
}

// maxHistory bounds the stored messages sent back to the model.
const maxHistory = 64

// History returns the last maxHistory messages of app's conversation ctx.
func (d *DB) History(app, ctx string) ([][2]string, error) {
	rows, err := d.rd.Query(`SELECT seq, role, content FROM (SELECT seq, role, content FROM chat WHERE app=? AND context=?
		ORDER BY seq DESC LIMIT ?) ORDER BY seq`, app, ctx, maxHistory)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var seq uint64
		var role string
		var env []byte
		if err := rows.Scan(&seq, &role, &env); err != nil {
			return nil, err
		}
		txt, err := d.openValue(env, ad("chat", app, ctx, seq))
		if err != nil {
			return nil, fmt.Errorf("stored chat message does not open: %w", err)
		}
		out = append(out, [2]string{role, string(txt)})
	}
	return out, rows.Err()
}

// AppendHistory appends messages (role, content) to app's conversation ctx, sealed.
func (d *DB) AppendHistory(app, ctx string, msgs [][2]string) error {
	tx, err := d.sql.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var last uint64
	if err := tx.QueryRow(`SELECT COALESCE(MAX(seq),0) FROM chat WHERE app=? AND context=?`, app, ctx).Scan(&last); err != nil {
		return err
	}
	for _, m := range msgs {
		last++
		env, err := d.sealValue([]byte(m[1]), ad("chat", app, ctx, last))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO chat (app,context,seq,role,content,created) VALUES (?,?,?,?,?,?)`,
			app, ctx, last, m[0], env, time.Now().Unix()); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Request is a pending (or decided) authorization request.
type Request struct {
	ID      uint64   `json:"id"`
	App     string   `json:"app"`
	Scopes  []string `json:"scopes"`
	AppKey  string   `json:"app_key"`
	Status  string   `json:"status"` // pending | approved | denied
	Created int64    `json:"created"`
	Decided int64    `json:"decided,omitempty"`
	Tx      string   `json:"tx,omitempty"`
}

// Request statuses.
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
	StatusDenied   = "denied"
)

// approvalProof is how long after `approve` a request whose grant the gateway
// has not proven yet counts as waiting for its block (approve returns once the
// MsgGrant is committed; the gateway proves it a block or two later). After
// that, the grant is taken to have lapsed or been revoked: a new request.
const approvalProof = time.Minute

// RecordRequest returns the latest request of app with appKey for exactly these
// scopes (the same set, in canonical order) — pending, denied, or approved less
// than approvalProof ago — creating a pending one when there is none or the last
// was approved longer ago (its grant since lapsed or was revoked). Retries reuse
// one record: the lookup and the insert are one transaction on the one writer.
func (d *DB) RecordRequest(app string, scopes []string, appKey string) (Request, error) {
	s := strings.Join(scopes, " ")
	now := time.Now()
	tx, err := d.sql.Begin()
	if err != nil {
		return Request{}, err
	}
	defer tx.Rollback()
	var r Request
	var sc string
	err = tx.QueryRow(`SELECT id, app, scopes, app_key, status, created, decided, tx FROM requests WHERE app=? AND app_key=? AND scopes=? ORDER BY id DESC LIMIT 1`, app, appKey, s).
		Scan(&r.ID, &r.App, &sc, &r.AppKey, &r.Status, &r.Created, &r.Decided, &r.Tx)
	if err == nil && (r.Status != StatusApproved || now.Unix()-r.Decided < int64(approvalProof/time.Second)) {
		r.Scopes = strings.Fields(sc)
		return r, nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return r, err
	}
	var pending int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM requests WHERE status=?`, StatusPending).Scan(&pending); err != nil {
		return r, err
	}
	if pending >= maxPending {
		return r, fmt.Errorf("%d authorization requests are already pending: the user must answer some first", pending)
	}
	res, err := tx.Exec(`INSERT INTO requests (app, scopes, app_key, status, created) VALUES (?,?,?,?,?)`, app, s, appKey, StatusPending, now.Unix())
	if err != nil {
		return r, err
	}
	id, _ := res.LastInsertId()
	return Request{ID: uint64(id), App: app, Scopes: scopes, AppKey: appKey, Status: StatusPending, Created: now.Unix()}, tx.Commit()
}

// maxPending bounds the pending requests apps can pile up.
const maxPending = 256

// Requests lists requests, optionally only those with status.
func (d *DB) Requests(status string) ([]Request, error) {
	rows, err := d.rd.Query(`SELECT id, app, scopes, app_key, status, created, decided, tx FROM requests WHERE ?='' OR status=? ORDER BY id`, status, status)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		var r Request
		var sc string
		if err := rows.Scan(&r.ID, &r.App, &sc, &r.AppKey, &r.Status, &r.Created, &r.Decided, &r.Tx); err != nil {
			return nil, err
		}
		r.Scopes = strings.Fields(sc)
		out = append(out, r)
	}
	return out, rows.Err()
}

// GetRequest finds one request.
func (d *DB) GetRequest(id uint64) (Request, error) {
	var r Request
	var sc string
	err := d.rd.QueryRow(`SELECT id, app, scopes, app_key, status, created, decided, tx FROM requests WHERE id=?`, id).
		Scan(&r.ID, &r.App, &sc, &r.AppKey, &r.Status, &r.Created, &r.Decided, &r.Tx)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("no authorization request %d: see selfinstance requests", id)
	}
	r.Scopes = strings.Fields(sc)
	return r, err
}

// DecideRequest records the user's answer to a pending request.
func (d *DB) DecideRequest(id uint64, status, tx string) error {
	res, err := d.sql.Exec(`UPDATE requests SET status=?, decided=?, tx=? WHERE id=? AND status=?`, status, time.Now().Unix(), tx, id, StatusPending)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("request %d is not pending", id)
	}
	return nil
}
