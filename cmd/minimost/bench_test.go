package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchDaemon returns the command that starts the daemon for benchmarks:
// the built bin/minimost when MINIMOST_BIN names it (make bench does), so
// the figures are the shipped program's, else this test binary.
func benchDaemon(args ...string) *exec.Cmd {
	if bin := os.Getenv("MINIMOST_BIN"); bin != "" {
		return exec.Command(bin, args...)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	return cmd
}

// BenchmarkStartToReady measures exec to READY=1 with existing state (the
// certificates and the database already made), the restart an admin waits
// for, and reports the idle resident memory of the last daemon started.
func BenchmarkStartToReady(b *testing.B) {
	dir := b.TempDir()
	data := filepath.Join(dir, "data")
	nsPath := filepath.Join(dir, "notify.sock")
	ns, err := listenNotify(nsPath)
	if err != nil {
		b.Fatal(err)
	}
	defer ns.Close()

	startOnce := func() (*exec.Cmd, time.Duration) {
		cmd := benchDaemon("--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--data-dir", data)
		cmd.Env = append(cmd.Environ(), "NOTIFY_SOCKET="+nsPath)
		t0 := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, 4096)
		for {
			ns.SetReadDeadline(time.Now().Add(60 * time.Second))
			n, err := ns.Read(buf)
			if err != nil {
				cmd.Process.Kill()
				cmd.Wait()
				b.Fatalf("no READY=1: %v", err)
			}
			if strings.HasPrefix(string(buf[:n]), "READY=1") {
				return cmd, time.Since(t0)
			}
		}
	}
	stop := func(cmd *exec.Cmd) {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			b.Fatalf("daemon exit: %v", err)
		}
	}
	// The first start creates the state; the benchmark is of the starts
	// that find it.
	first, _ := startOnce()
	stop(first)

	var total time.Duration
	var rss float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd, d := startOnce()
		total += d
		if i == b.N-1 {
			b.StopTimer()
			time.Sleep(time.Second)
			rss = rssMiB(b, cmd.Process.Pid)
			b.StartTimer()
		}
		stop(cmd)
	}
	b.StopTimer()
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-ready")
	b.ReportMetric(rss, "MiB-idle-rss")
}

// rssMiB reads VmRSS of pid.
func rssMiB(b *testing.B, pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				b.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
