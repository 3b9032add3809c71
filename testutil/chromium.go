package testutil

import (
	"os"
	"os/exec"
)

// Chromium finds a Chromium (or Chrome) binary for browser tests: $CHROME_BIN, then
// PATH (scripts/install-chromium.sh installs Debian's for CI); "" when there is none,
// and the test skips.
func Chromium() string {
	if p := os.Getenv("CHROME_BIN"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}
