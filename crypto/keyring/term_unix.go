//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package keyring

import (
	"os"

	"golang.org/x/sys/unix"
)

// Terminal handling calls golang.org/x/sys/unix the way golang.org/x/term
// does, because x/sys is already a module dependency and x/term is not.

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), ioctlGetTermios)
	return err == nil
}

// readPassword reads a line with echo off and restores the terminal after.
func readPassword(f *os.File) ([]byte, error) {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return nil, err
	}
	noEcho := *old
	noEcho.Lflag &^= unix.ECHO
	noEcho.Lflag |= unix.ICANON | unix.ISIG
	noEcho.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, &noEcho); err != nil {
		return nil, err
	}
	defer unix.IoctlSetTermios(fd, ioctlSetTermios, old)
	return readLine(f)
}
