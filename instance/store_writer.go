package instance

import (
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Group commit of storage writes: every Put and Delete goes to one writer
// goroutine, which runs all the writes waiting at that moment (up to
// storeBatch) in one transaction and answers each with its own version or error
// once the transaction is committed. A transaction per write was a commit per
// request (and the writes queued behind each other on the one connection
// anyway); a batch is one commit for all the writes that arrived meanwhile.
// Durability is unchanged: a write is answered only after its commit.
//
// A write refused for its own reason (quota, no such key) changes nothing and
// does not affect the others of its batch: it is decided before its one INSERT,
// and the usage counter is updated once per batch with the sum of the stored
// writes. A database error inside the batch (which SQLite may answer by rolling
// back the whole transaction) rolls the batch back and runs each of its writes
// again in a transaction of its own, so each gets its own result.
const (
	storeQueue = 1024
	storeBatch = 256
)

// writeOp is one storage write waiting for the writer.
type writeOp struct {
	del   bool // a tombstone instead of a value
	app   string
	key   string
	value []byte
	quota int64
	// audit, when set, is the request's audit entry for the write's result (nil
	// or its refusal), inserted in the write's transaction: one commit for
	// both instead of a second one in the audit writer (~3% of a Put's CPU).
	audit func(error) AuditEntry
	res   chan writeRes // buffered (1): the writer never blocks on an answer
}

type writeRes struct {
	version uint64
	audited bool // op.audit's entry was committed with the write
	err     error
}

// storeWriter owns the storage writes and the usage counter.
type storeWriter struct {
	d    *DB
	ch   chan *writeOp
	done chan struct{}
	gate closeGate
	// used is the sealed bytes stored, loaded at open and changed only by the
	// writer after a commit, so it always equals usage.bytes on disk (only the
	// gateway's process writes values; the CLI opens no values).
	used int64
}

var errStoreClosed = errors.New("the database is closed")

func newStoreWriter(d *DB) (*storeWriter, error) {
	w := &storeWriter{d: d, ch: make(chan *writeOp, storeQueue), done: make(chan struct{})}
	if err := d.st.usage.QueryRow().Scan(&w.used); err != nil {
		return nil, err
	}
	go w.run()
	return w, nil
}

// do queues op and waits for its answer.
func (w *storeWriter) do(op *writeOp) (uint64, bool, error) {
	op.res = make(chan writeRes, 1)
	if !w.gate.enter() {
		return 0, false, errStoreClosed
	}
	w.ch <- op
	w.gate.leave()
	r := <-op.res
	return r.version, r.audited, r.err
}

// close answers every queued write and stops the writer.
func (w *storeWriter) close() {
	if w.gate.shut() {
		close(w.ch)
	}
	<-w.done
}

func (w *storeWriter) run() {
	defer close(w.done)
	batch := make([]*writeOp, 0, storeBatch)
	for op := range w.ch {
		batch = append(batch[:0], op)
	drain:
		for len(batch) < storeBatch {
			select {
			case op, ok := <-w.ch:
				if !ok {
					break drain
				}
				batch = append(batch, op)
			default:
				break drain
			}
		}
		w.commit(batch)
	}
}

// commit runs batch in one transaction and answers every write in it.
func (w *storeWriter) commit(batch []*writeOp) {
	res := make([]writeRes, len(batch))
	added, err := w.apply(batch, res)
	if err != nil && len(batch) > 1 {
		// Isolate the failure: each write on its own.
		for i := range batch {
			w.commit(batch[i : i+1])
		}
		return
	}
	if err == nil {
		w.used += added
	}
	for i, op := range batch {
		if err != nil {
			res[i] = writeRes{err: err}
		}
		op.res <- res[i]
	}
}

// apply runs batch in one transaction, filling each write's result; it returns
// the bytes added, or an error when the transaction did not commit.
func (w *storeWriter) apply(batch []*writeOp, res []writeRes) (int64, error) {
	d := w.d
	tx, err := d.sql.Begin()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	st := &txStmts{tx: tx}
	now := time.Now().Unix()
	var added int64
	for i, op := range batch {
		var v uint64
		var n int64
		if op.del {
			v, err = w.del(st, op, now)
		} else {
			v, n, err = w.put(st, op, now, added)
		}
		if err != nil && !errors.Is(err, errQuota) && !errors.Is(err, errNotFound) {
			return 0, err
		}
		res[i] = writeRes{version: v, err: err}
		added += n
		if op.audit != nil {
			e := op.audit(err)
			if _, err := st.get(d.audit.ins).Exec(e.Time, e.App, e.Namespace, e.AppKey, e.Method, e.Path, e.Scope, e.Result, e.Reason, e.Height); err != nil {
				return 0, err
			}
			res[i].audited = true
		}
	}
	if added != 0 {
		if _, err := st.get(d.st.addUsage).Exec(added); err != nil {
			return 0, err
		}
	}
	return added, tx.Commit()
}

// put inserts op's value as the key's next version; pending is the bytes the
// batch stored before it.
func (w *storeWriter) put(st *txStmts, op *writeOp, now, pending int64) (uint64, int64, error) {
	var last uint64
	if err := st.get(w.d.st.lastVersion).QueryRow(op.app, op.key).Scan(&last); err != nil {
		return 0, 0, err
	}
	v := last + 1
	env, err := w.d.sealValue(op.value, ad("kv", op.app, op.key, v))
	if err != nil {
		return 0, 0, err
	}
	if used := w.used + pending; used+int64(len(env)) > op.quota {
		return 0, 0, fmt.Errorf("%w: %d of %d bytes used, the value needs %d", errQuota, used, op.quota, len(env))
	}
	if _, err := st.get(w.d.st.insert).Exec(op.app, op.key, v, env, len(env), now); err != nil {
		return 0, 0, err
	}
	return v, int64(len(env)), nil
}

// del inserts a tombstone as the key's next version; the key must exist.
func (w *storeWriter) del(st *txStmts, op *writeOp, now int64) (uint64, error) {
	var last uint64
	var deleted bool
	err := st.get(w.d.st.latestMeta).QueryRow(op.app, op.key).Scan(&last, &deleted)
	if errors.Is(err, sql.ErrNoRows) || deleted {
		return 0, errNotFound
	} else if err != nil {
		return 0, err
	}
	if _, err := st.get(w.d.st.tombstone).Exec(op.app, op.key, last+1, now); err != nil {
		return 0, err
	}
	return last + 1, nil
}

// txStmts binds the prepared writer statements to one transaction, once each.
type txStmts struct {
	tx    *sql.Tx
	bound map[*sql.Stmt]*sql.Stmt
}

func (t *txStmts) get(s *sql.Stmt) *sql.Stmt {
	if b := t.bound[s]; b != nil {
		return b
	}
	if t.bound == nil {
		t.bound = map[*sql.Stmt]*sql.Stmt{}
	}
	b := t.tx.Stmt(s)
	t.bound[s] = b
	return b
}

// closeGate lets senders into a channel until it is shut, so the channel is
// closed only once no sender can still be using it.
type closeGate struct {
	mu     sync.RWMutex
	closed bool
}

// enter reports whether the gate is open; if so the caller must leave.
func (g *closeGate) enter() bool {
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return false
	}
	return true
}

func (g *closeGate) leave() { g.mu.RUnlock() }

// shut closes the gate once senders have left; it reports whether this call shut it.
func (g *closeGate) shut() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.closed = true
	return true
}
