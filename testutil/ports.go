package testutil

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"testing"
)

// FreePort returns a loopback TCP port nobody listens on right now, for a server
// a test starts a moment later.
//
// It is taken below the kernel's ephemeral range: a port the kernel hands out for
// ":0" comes from that range, which every outgoing connection of every test
// process running in parallel also draws from, so a node of one package lost its
// p2p port to another package's client connection in CI ("bind: address already
// in use"). Below the range only other FreePort callers compete, picking at random
// over thousands of ports; a port is never handed out twice by one process.
func FreePort(tb testing.TB) int {
	tb.Helper()
	lo, hi := belowEphemeral()
	portsMu.Lock()
	defer portsMu.Unlock()
	for range 100 {
		p := lo + rand.IntN(hi-lo)
		if portsGiven[p] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		_ = l.Close()
		portsGiven[p] = true
		return p
	}
	// No luck below the range (a crowded machine): let the kernel choose.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var (
	portsMu    sync.Mutex
	portsGiven = map[int]bool{}
)

// belowEphemeral is the range FreePort draws from: from 10,000 up to the start of
// the kernel's ephemeral ports (Linux: net.ipv4.ip_local_port_range, 32768 by
// default).
func belowEphemeral() (lo, hi int) {
	lo, hi = 10_000, 32_768
	if bz, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		var start, end int
		if _, err := fmt.Sscan(string(bz), &start, &end); err == nil && start > lo+1_000 {
			hi = start
		}
	}
	return lo, hi
}
