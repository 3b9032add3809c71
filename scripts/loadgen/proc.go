package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat (100 on Linux).
const clockTicks = 100

type procSample struct {
	At       time.Time `json:"at"`
	RSSKiB   int64     `json:"rss_kib"`
	CPUTicks int64     `json:"-"` // the process's user+system time
	MachBusy int64     `json:"-"` // all CPUs' non-idle time (/proc/stat)
	SelfCPU  int64     `json:"-"` // this process's (loadgen's) CPU time, ns
}

// procSampler reads a process's VmRSS and CPU time from /proc every interval.
type procSampler struct {
	pid     int
	mu      sync.Mutex
	samples []procSample
	markAt  int // index of the first sample of the measured run
	stopCh  chan struct{}
	done    chan struct{}
	once    sync.Once
}

func readProc(pid int) (procSample, error) {
	s := procSample{At: time.Now()}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				s.RSSKiB, _ = strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
	if i := bytes.LastIndexByte(stat, ')'); i > 0 {
		f := strings.Fields(string(stat[i+1:]))
		if len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			sy, _ := strconv.ParseInt(f[12], 10, 64)
			s.CPUTicks = u + sy
		}
	}
	s.MachBusy = machineBusyTicks()
	s.SelfCPU = selfCPUNanos()
	return s, nil
}

// machineBusyTicks sums the non-idle fields of /proc/stat's cpu line.
func machineBusyTicks() int64 {
	bz, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(bz), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 8 { // guest time is already in user
			break
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		busy += n
	}
	return busy
}

func selfCPUNanos() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func startProcSampler(pid int, every time.Duration) (*procSampler, error) {
	first, err := readProc(pid)
	if err != nil {
		return nil, fmt.Errorf("--node-pid %d: %w", pid, err)
	}
	p := &procSampler{pid: pid, samples: []procSample{first}, stopCh: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.stopCh:
				return
			case <-t.C:
				s, err := readProc(pid)
				if err != nil {
					return // the process is gone
				}
				p.mu.Lock()
				p.samples = append(p.samples, s)
				p.mu.Unlock()
			}
		}
	}()
	return p, nil
}

// mark starts the measured run: statistics cover samples from here on.
func (p *procSampler) mark() {
	s, err := readProc(p.pid)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil {
		p.samples = append(p.samples, s)
	}
	p.markAt = len(p.samples) - 1
}

func (p *procSampler) stop() {
	p.once.Do(func() {
		close(p.stopCh)
		<-p.done
	})
}

// nodeStats summarises the samples of the measured run.
type nodeStats struct {
	PID          int          `json:"pid"`
	RSSAtStartMi float64      `json:"rss_mib_before_setup"`
	RSSMinMi     float64      `json:"rss_mib_min"`
	RSSMaxMi     float64      `json:"rss_mib_max"`
	RSSLastMi    float64      `json:"rss_mib_last"`
	CPUPercent   float64      `json:"cpu_percent_mean"` // 100 = one core
	LoadgenCPU   float64      `json:"loadgen_cpu_percent_mean"`
	MachineCPU   float64      `json:"machine_cpu_percent_mean"` // all processes; 100 × cores = saturated
	Cores        int          `json:"cores"`
	Samples      []procSample `json:"samples"`
}

func (p *procSampler) stats() *nodeStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	run := p.samples[p.markAt:]
	st := &nodeStats{PID: p.pid, RSSAtStartMi: mib(p.samples[0].RSSKiB), Samples: run, Cores: runtime.NumCPU()}
	minK, maxK := run[0].RSSKiB, run[0].RSSKiB
	for _, s := range run {
		minK, maxK = min(minK, s.RSSKiB), max(maxK, s.RSSKiB)
	}
	st.RSSMinMi, st.RSSMaxMi, st.RSSLastMi = mib(minK), mib(maxK), mib(run[len(run)-1].RSSKiB)
	if n := len(run); n > 1 {
		secs := run[n-1].At.Sub(run[0].At).Seconds()
		if secs > 0 {
			st.CPUPercent = float64(run[n-1].CPUTicks-run[0].CPUTicks) / clockTicks / secs * 100
			st.MachineCPU = float64(run[n-1].MachBusy-run[0].MachBusy) / clockTicks / secs * 100
			st.LoadgenCPU = float64(run[n-1].SelfCPU-run[0].SelfCPU) / 1e9 / secs * 100
		}
	}
	return st
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

// startCPUProfile profiles loadgen itself into path ("" : nothing), to tell the
// load generator's share of a saturated machine from the node's.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
