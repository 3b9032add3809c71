package constellation

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Port layout of a chain: base_port serves the chain-level Prometheus
// endpoint; node N (1-based) owns the block base_port+10*N .. +9 of which it
// opens +0 (p2p), +1 (CometBFT RPC), +2 (Prometheus) and +3 (the tx API, app.toml
// [api]). The rest of the block is reserved (pprof, gRPC, ...) so adding a port
// later moves nothing.
const (
	portsPerNode     = 10
	offsetP2P        = 0
	offsetRPC        = 1
	offsetMetrics    = 2
	offsetAPI        = 3
	DefaultBaseRange = 27000 // first base port `new` tries
	minBasePort      = 1024
)

// NodePorts are the ports one validator listens on (all on 127.0.0.1).
type NodePorts struct {
	P2P     int `json:"p2p"`
	RPC     int `json:"rpc"`
	Metrics int `json:"metrics"`
	API     int `json:"api"`
}

// Layout is every port of a chain.
type Layout struct {
	Base  int         `json:"base"`
	Chain int         `json:"chain_metrics"`
	Nodes []NodePorts `json:"nodes"`
}

// LayoutFor computes the ports of a chain with n validators from base.
func LayoutFor(base, n int) (Layout, error) {
	if base < minBasePort || base+Span(n) > 65535 {
		return Layout{}, fmt.Errorf("invalid base port %d: a chain of %d validators needs ports %d..%d, so pick a base port from %d to %d", base, n, base, base+Span(n)-1, minBasePort, 65535-Span(n))
	}
	l := Layout{Base: base, Chain: base}
	for i := 1; i <= n; i++ {
		b := base + portsPerNode*i
		l.Nodes = append(l.Nodes, NodePorts{P2P: b + offsetP2P, RPC: b + offsetRPC, Metrics: b + offsetMetrics, API: b + offsetAPI})
	}
	return l, nil
}

// Span is how many ports a chain of n validators reserves from its base.
func Span(n int) int { return portsPerNode * (n + 1) }

// Named lists each opened port with what it is for, in a fixed order.
func (l Layout) Named() []NamedPort {
	out := []NamedPort{{l.Chain, "chain metrics"}}
	for i, n := range l.Nodes {
		node := NodeName(i)
		out = append(out, NamedPort{n.P2P, node + " p2p"}, NamedPort{n.RPC, node + " rpc"}, NamedPort{n.Metrics, node + " metrics"}, NamedPort{n.API, node + " tx api"})
	}
	return out
}

// NamedPort is a port and its use.
type NamedPort struct {
	Port int
	Use  string
}

// NodeName is the name of the i-th (0-based) validator: node1, node2, ...
func NodeName(i int) string { return "node" + strconv.Itoa(i+1) }

// PortInUseError names a taken port and, when it can be found, the process holding it.
type PortInUseError struct {
	Port  int
	Use   string
	Owner *ProcInfo
}

func (e *PortInUseError) Error() string {
	who := "another process (not visible to this user; try `ss -ltnp`)"
	if e.Owner != nil {
		who = fmt.Sprintf("pid %d (%s)", e.Owner.PID, e.Owner.Command)
	}
	return fmt.Sprintf("port %d (%s) is in use by %s: stop that process, or pick other ports with --base-port", e.Port, e.Use, who)
}

// ProcInfo names a process.
type ProcInfo struct {
	PID     int
	Command string
}

// CheckPortsFree tries each port on 127.0.0.1 and returns a *PortInUseError for the first taken one.
func CheckPortsFree(ports []NamedPort) error {
	for _, p := range ports {
		if !portFree(p.Port) {
			return &PortInUseError{Port: p.Port, Use: p.Use, Owner: PortOwner(p.Port)}
		}
	}
	return nil
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// PortOwner finds the process listening on a TCP port (Linux: the socket's
// inode from /proc/net/tcp{,6}, then the /proc/<pid>/fd link naming it). nil
// when not found (another user's process, or not Linux).
func PortOwner(port int) *ProcInfo {
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		for _, ino := range listeningInodes(f, port) {
			inodes[ino] = true
		}
	}
	if len(inodes) == 0 {
		return nil
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		fds, err := os.ReadDir(filepath.Join(p, "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(p, "fd", fd.Name()))
			if err != nil || !strings.HasPrefix(link, "socket:[") {
				continue
			}
			if inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
				pid, _ := strconv.Atoi(filepath.Base(p))
				return &ProcInfo{PID: pid, Command: procCommand(pid)}
			}
		}
	}
	return nil
}

// listeningInodes parses a /proc/net/tcp table: "sl local_address rem_address st ... inode".
func listeningInodes(path string, port int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != "0A" { // 0A = LISTEN
			continue
		}
		i := strings.LastIndexByte(fields[1], ':')
		if i < 0 {
			continue
		}
		p, err := strconv.ParseUint(fields[1][i+1:], 16, 16)
		if err != nil || int(p) != port {
			continue
		}
		out = append(out, fields[9])
	}
	return out
}

// procCommand is a process's command line (or its comm name), shortened.
func procCommand(pid int) string {
	bz, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	cmd := strings.TrimSpace(strings.ReplaceAll(string(bz), "\x00", " "))
	if err != nil || cmd == "" {
		bz, _ = os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		cmd = strings.TrimSpace(string(bz))
	}
	if len(cmd) > 120 {
		cmd = cmd[:117] + "..."
	}
	if cmd == "" {
		cmd = "unknown"
	}
	return cmd
}

var errNoFreeBlock = errors.New("no free block of ports found: pass --base-port")
