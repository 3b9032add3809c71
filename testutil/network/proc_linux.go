package network

import "syscall"

// sysProcAttr asks Linux to kill a node if the test process dies without
// cleaning up (a panic or a test timeout), so no validator outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
