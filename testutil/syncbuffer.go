package testutil

import (
	"bytes"
	"sync"
)

// SyncBuffer collects a child process's output while it runs: Write (from the
// process's copier goroutine) and String (from the test) may race otherwise.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
