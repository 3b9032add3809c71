package instance

import (
	"fmt"
	"time"
)

// Sessions are kept in the database so a restart of the gateway does not end
// them. A row holds what a session is (app, key, expiry) under the SHA-256 of its
// token — the token itself is never stored — and, once the gateway stopped
// cleanly, its sequence window. The window is what keeps a captured request from
// being replayed, and it changes on every request, so it is written once, at a
// clean stop (after the last request finished), not per request: a session whose
// window was not saved (the gateway crashed) is not restored, since requests it
// accepted after its last save could be replayed.
//
// Loading takes the saved mark off every row in the same transaction, so a crash
// after a restart cannot bring back a window that is out of date by then.

// sessionRow is one stored session.
type sessionRow struct {
	hash    []byte
	app     string
	keyType string
	key     []byte
	expires int64 // unix nanoseconds
	high    uint64
	seen    []byte // the window bitmap, seqWindow/8 bytes
}

// SaveSession records a new session (not yet saved: restored only after a clean stop).
func (d *DB) SaveSession(r sessionRow) error {
	_, err := d.sql.Exec(`INSERT INTO sessions (hash, app, key_type, key, expires, high, seen, saved) VALUES (?,?,?,?,?,0,NULL,0)`,
		r.hash, r.app, r.keyType, r.key, r.expires)
	return err
}

// SaveWindows stores the sequence windows of the live sessions at a clean stop
// and prunes the expired ones.
func (d *DB) SaveWindows(rows []sessionRow, now time.Time) error {
	tx, err := d.sql.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`DELETE FROM sessions WHERE expires <= ?`, now.UnixNano()); err != nil {
		return err
	}
	up, err := tx.Prepare(`UPDATE sessions SET high=?, seen=?, saved=1 WHERE hash=?`)
	if err != nil {
		return err
	}
	defer up.Close()
	for _, r := range rows {
		if _, err := up.Exec(int64(r.high), r.seen, r.hash); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// LoadSessions returns the sessions saved at the last clean stop that have not
// expired, dropping the others, and marks every row unsaved.
func (d *DB) LoadSessions(now time.Time) ([]sessionRow, error) {
	tx, err := d.sql.Begin()
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`DELETE FROM sessions WHERE saved=0 OR expires <= ?`, now.UnixNano()); err != nil {
		return nil, err
	}
	rows, err := tx.Query(`SELECT hash, app, key_type, key, expires, high, seen FROM sessions`)
	if err != nil {
		return nil, err
	}
	var out []sessionRow
	for rows.Next() {
		var r sessionRow
		var high int64
		if err := rows.Scan(&r.hash, &r.app, &r.keyType, &r.key, &r.expires, &high, &r.seen); err != nil {
			rows.Close()
			return nil, err
		}
		r.high = uint64(high)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(`UPDATE sessions SET saved=0`); err != nil {
		return nil, err
	}
	return out, tx.Commit()
}

// PruneSessions deletes the sessions expired at now.
func (d *DB) PruneSessions(now time.Time) error {
	_, err := d.sql.Exec(`DELETE FROM sessions WHERE expires <= ?`, now.UnixNano())
	return err
}

// check refuses a stored row that does not make a session (a database
// edited by hand or damaged): such a session is dropped, never half-restored.
func (r *sessionRow) check() error {
	if len(r.hash) != 32 {
		return fmt.Errorf("session hash of %d bytes", len(r.hash))
	}
	if r.seen != nil && len(r.seen) != seqWindow/8 {
		return fmt.Errorf("session window of %d bytes", len(r.seen))
	}
	return nil
}
