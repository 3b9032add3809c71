package instance

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
)

// AuditEntry is one decision of the gateway.
type AuditEntry struct {
	ID   uint64 `json:"id"`
	Time int64  `json:"time"`
	App  string `json:"app"`
	// Namespace is the other app whose data the request reached (cross-app
	// sharing); "" for the app's own namespace.
	Namespace string `json:"namespace,omitempty"`
	AppKey    string `json:"app_key"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	Scope     string `json:"scope"`
	Result    string `json:"result"` // "allowed" or an error code
	Reason    string `json:"reason"`
	Height    int64  `json:"height"`
}

// Audit batching: a request hands its entry to one writer goroutine, which
// commits every entry waiting at that moment (up to auditBatch) in one
// transaction. A synchronous insert per request was a commit per request; a
// batch is one commit for all the requests decided meanwhile. Every entry is
// written (a full queue makes requests wait, nothing is dropped); Close writes
// what is queued. A crash (kill -9, power loss) may lose the entries still queued
// — at most auditQueue, in practice the last few milliseconds of decisions.
const (
	auditQueue = 4096
	auditBatch = 512
)

// auditItem is an entry to write, or (flushed != nil) a request to be told when
// everything queued before it is committed.
type auditItem struct {
	e       AuditEntry
	flushed chan struct{}
}

// auditWriter owns the audit inserts.
type auditWriter struct {
	mu     sync.RWMutex // held shared by senders, exclusively by close
	closed bool
	ch     chan auditItem
	done   chan struct{}
	ins    *sql.Stmt
	db     *sql.DB
}

const auditInsert = `INSERT INTO audit (time, app, namespace, app_key, method, path, scope, result, reason, height) VALUES (?,?,?,?,?,?,?,?,?,?)`

// addAuditNamespace adds the namespace column (cross-app sharing) to an audit
// table made before it; older entries read as the app's own namespace.
func addAuditNamespace(db *sql.DB) error {
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('audit') WHERE name='namespace'`).Scan(&n); err != nil || n > 0 {
		return err
	}
	_, err := db.Exec(`ALTER TABLE audit ADD COLUMN namespace TEXT NOT NULL DEFAULT ''`)
	return err
}

func newAuditWriter(db *sql.DB) (*auditWriter, error) {
	if err := addAuditNamespace(db); err != nil {
		return nil, fmt.Errorf("audit table: %w", err)
	}
	ins, err := db.Prepare(auditInsert)
	if err != nil {
		return nil, err
	}
	w := &auditWriter{ch: make(chan auditItem, auditQueue), done: make(chan struct{}), ins: ins, db: db}
	go w.run()
	return w, nil
}

var errAuditClosed = errors.New("the audit log is closed")

// send queues it; it fails only once the writer is closed.
func (w *auditWriter) send(it auditItem) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return errAuditClosed
	}
	w.ch <- it
	return nil
}

// flush waits until every entry queued so far is committed.
func (w *auditWriter) flush() {
	c := make(chan struct{})
	if w.send(auditItem{flushed: c}) != nil {
		return // closed: everything was written by close
	}
	<-c
}

// close writes what is queued and stops the writer.
func (w *auditWriter) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.ch)
	}
	w.mu.Unlock()
	<-w.done
	w.ins.Close()
}

func (w *auditWriter) run() {
	defer close(w.done)
	batch := make([]auditItem, 0, auditBatch)
	for it := range w.ch {
		batch = append(batch[:0], it)
	drain:
		for len(batch) < auditBatch {
			select {
			case it, ok := <-w.ch:
				if !ok {
					break drain
				}
				batch = append(batch, it)
			default:
				break drain
			}
		}
		if err := w.write(batch); err != nil {
			// The log is the user's record: a failure to write it is loud.
			fmt.Fprintf(os.Stderr, "selfinstance: audit log write failed (%d entries): %v\n", len(batch), err)
		}
		for _, it := range batch {
			if it.flushed != nil {
				close(it.flushed)
			}
		}
	}
}

// write commits the entries of batch in one transaction.
func (w *auditWriter) write(batch []auditItem) error {
	tx, err := w.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ins := tx.Stmt(w.ins)
	for _, it := range batch {
		if it.flushed != nil {
			continue
		}
		e := it.e
		if _, err := ins.Exec(e.Time, e.App, e.Namespace, e.AppKey, e.Method, e.Path, e.Scope, e.Result, e.Reason, e.Height); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Audit queues e for the audit log (written within milliseconds, in a batch).
func (d *DB) Audit(e AuditEntry) error {
	return d.audit.send(auditItem{e: e})
}

// AuditLog lists entries, oldest first: when app is set, those of app and those
// of other apps in app's namespace (who read its data). Entries this process
// queued before the call are included.
func (d *DB) AuditLog(app string, limit int) ([]AuditEntry, error) {
	d.audit.flush()
	rows, err := d.rd.Query(`SELECT id, time, app, namespace, app_key, method, path, scope, result, reason, height FROM audit
		WHERE ?='' OR app=? OR namespace=? ORDER BY id DESC LIMIT ?`, app, app, app, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.Time, &e.App, &e.Namespace, &e.AppKey, &e.Method, &e.Path, &e.Scope, &e.Result, &e.Reason, &e.Height); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	// Newest first from the query; the log reads oldest first.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, rows.Err()
}
