//go:build !linux

package network

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
