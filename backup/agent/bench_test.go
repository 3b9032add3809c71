package agent

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestBenchBackup measures a fresh backup, an unchanged re-run and a
// restore of BACKUP_BENCH_MIB MiB of random data (in 64 MiB files) to one
// holder over loopback. Skipped unless BACKUP_BENCH_MIB is set:
//
//	BACKUP_BENCH_MIB=1024 go test ./backup/agent/ -run TestBenchBackup -v
func TestBenchBackup(t *testing.T) {
	mibs, _ := strconv.Atoi(os.Getenv("BACKUP_BENCH_MIB"))
	if mibs == 0 {
		t.Skip("set BACKUP_BENCH_MIB to run")
	}
	ctx := context.Background()
	holders, _ := strconv.Atoi(os.Getenv("BACKUP_BENCH_HOLDERS"))
	e := newTestEnv(t, max(1, holders), 1<<40)
	src := t.TempDir()
	const fileMiB = 64
	for i := 0; i*fileMiB < mibs; i++ {
		must(t, os.WriteFile(filepath.Join(src, "f"+strconv.Itoa(i)), pseudoRandom(min(fileMiB, mibs-i*fileMiB)<<20, uint64(i)), 0o644))
	}
	a := e.agent(t)
	a.Workers, _ = strconv.Atoi(os.Getenv("BACKUP_BENCH_WORKERS"))
	size := float64(mibs)
	runtime.GC()
	measure := func(name string, f func() error) {
		start, cpu0 := time.Now(), cpuTime()
		var peak uint64
		stop := make(chan struct{})
		go func() {
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}()
		err := f()
		close(stop)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: peak Go heap in use %d MiB (agent and holders)", name, peak>>20)
		d, cpu := time.Since(start), cpuTime()-cpu0
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		t.Logf("%s: %d MiB in %.2fs = %.0f MiB/s; CPU %.2fs (agent and holder together) = %.0f MiB per CPU-second; Go heap in use %d MiB, sys %d MiB", name, mibs, d.Seconds(), size/d.Seconds(), cpu.Seconds(), size/cpu.Seconds(), ms.HeapInuse>>20, ms.Sys>>20)
	}
	measure("fresh backup", func() error { _, err := a.Run(ctx, src); return err })
	measure("unchanged re-run", func() error { _, err := a.Run(ctx, src); return err })
	dst := t.TempDir()
	measure("restore", func() error { _, err := a.Restore(ctx, "latest", dst); return err })
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
