package dashboard

import (
	"bufio"
	"encoding/json"
	"os"
	"sync"
	"time"
)

// The audit log: one JSON line per action attempted with the token, appended
// to <home>/.dashboard/audit.log whether the action worked or not.

// auditEntry is one line of the audit log.
type auditEntry struct {
	Time   time.Time `json:"time"`
	Remote string    `json:"remote"`
	Chain  string    `json:"chain"`
	Action string    `json:"action"`
	Node   string    `json:"node,omitempty"`
	Result string    `json:"result"` // "ok" or "error"
	Detail string    `json:"detail,omitempty"`
}

type auditLog struct {
	path string
	mu   sync.Mutex
}

// append writes e as one line and syncs it: an action must not happen unrecorded.
func (a *auditLog) append(e auditEntry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	f, err := os.OpenFile(a.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	bz, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(bz, '\n')); err != nil {
		return err
	}
	return f.Sync()
}

// last reads up to n of the newest entries, newest first (bad lines skipped).
func (a *auditLog) last(n int) []auditEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	f, err := os.Open(a.path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var all []auditEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var e auditEntry
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			all = append(all, e)
			if len(all) > n {
				all = all[1:]
			}
		}
	}
	for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
		all[i], all[j] = all[j], all[i]
	}
	return all
}
