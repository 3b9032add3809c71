package constellation

import (
	"bufio"
	"os"
	"strings"
)

// Reading the ends of the logs under logs/ (`constellation logs`, and the
// lines `up` shows when a node fails to start).

// TailFile returns the last n lines of a file ("" if it cannot be read).
func TailFile(path string, n int) string { return tailFrom(path, 0, n) }

// tailFrom is TailFile of what was written from offset on.
func tailFrom(path string, offset int64, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	// Only the end of a long log is read.
	const window = 256 << 10
	skipFirst := false
	if fi, err := f.Stat(); err == nil {
		if fi.Size() < offset {
			offset = 0 // truncated
		}
		if fi.Size()-offset > window {
			offset = fi.Size() - window
			skipFirst = true
		}
		_, _ = f.Seek(offset, 0)
	}
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if skipFirst { // a partial line
			skipFirst = false
			continue
		}
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}
