package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(args ...string) (string, error) {
	cmd := rootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// TestCLIBadInput: each mistake gets a message that says what to do.
func TestCLIBadInput(t *testing.T) {
	home := filepath.Join(t.TempDir(), "h")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"start", "--home", home}, "run selfinstance init first"},
		{[]string{"requests", "--home", home}, "run selfinstance init first"},
		{[]string{"approve", "x", "--home", home}, "want the number shown by selfinstance requests"},
		{[]string{"deny", "1x", "--home", home}, "want the number shown by selfinstance requests"},
		{[]string{"init", "--home", home}, `required flag(s) "owner" not set`},
		{[]string{"init", "--home", home, "--owner", "alice", "--keyring-backend", "nope"}, "unknown keyring backend"},
		{[]string{"init", "--home", home, "--owner", "alice", "--keyring-backend", "test"}, `owner key "alice"`},
	} {
		_, err := runCLI(c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v (want %q)", c.args, err, c.want)
		}
	}
}
