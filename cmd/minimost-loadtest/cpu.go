package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The load generator shares the machine with the daemon, and possibly with
// other work. Each scenario therefore reports where the CPU went: the
// daemon's own time, the load generator's, and everything else that ran
// meanwhile, so a figure taken on a busy machine says so, and the daemon's
// CPU cost per operation (which does not depend on the contention) can be
// compared between runs.

// clockTicks is USER_HZ, the unit of /proc times; 100 on every Linux
// architecture Go supports.
const clockTicks = 100

type cpuSnap struct {
	at      time.Time
	daemon  time.Duration // utime+stime of the daemon (all threads)
	self    time.Duration // utime+stime of this process
	busy    time.Duration // all CPUs, every process, not idle
	waiting time.Duration // the daemon's threads runnable, waiting for a CPU
	ok      bool
	loadAvg string
}

func takeCPU(pid int) cpuSnap {
	s := cpuSnap{at: time.Now(), ok: true}
	var err error
	if s.daemon, err = procCPU(pid); err != nil {
		s.ok = false
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if s.busy, err = machineBusy(); err != nil {
		s.ok = false
	}
	_, s.waiting, _ = schedTimes(pid)
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 1 {
			s.loadAvg = f[0]
		}
	}
	return s
}

// procCPU reads utime+stime of pid from /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseProcStat(string(b))
}

func parseProcStat(s string) (time.Duration, error) {
	// The command name (field 2) may hold spaces; fields count from its
	// closing parenthesis. utime and stime are fields 14 and 15.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed stat line")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("short stat line")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad utime/stime in stat line")
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// machineBusy sums the non-idle time of all CPUs from /proc/stat.
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, fmt.Errorf("unexpected /proc/stat")
	}
	var busy int64
	for i, v := range f[1:] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, err
		}
		// user nice system idle iowait irq softirq steal guest guest_nice;
		// idle and iowait are not busy, guest time is already in user.
		switch i {
		case 3, 4, 8, 9:
			continue
		}
		busy += n
	}
	return time.Duration(busy) * time.Second / clockTicks, nil
}

// cpuUse is the CPU spent between two snapshots, in cores (CPU seconds
// per wall second).
type cpuUse struct {
	wall                time.Duration
	daemon, self, other float64 // cores
	daemonWait          float64 // daemon thread-seconds per second spent waiting for a CPU
	daemonTotal         time.Duration
	load                string // 1-minute load average at the end
}

func cpuBetween(a, b cpuSnap) cpuUse {
	u := cpuUse{wall: b.at.Sub(a.at), load: b.loadAvg}
	if !a.ok || !b.ok || u.wall <= 0 {
		return u
	}
	w := u.wall.Seconds()
	u.daemonTotal = b.daemon - a.daemon
	u.daemon = u.daemonTotal.Seconds() / w
	u.self = (b.self - a.self).Seconds() / w
	u.other = max(0, (b.busy-a.busy).Seconds()/w-u.daemon-u.self)
	u.daemonWait = max(0, (b.waiting-a.waiting).Seconds()/w)
	return u
}

func (u cpuUse) String() string {
	return fmt.Sprintf("CPU in cores: daemon %.2f, load generator %.2f, other processes %.2f; daemon threads waiting for a CPU %.2f; load average %s",
		u.daemon, u.self, u.other, u.daemonWait, u.load)
}

// perOp is the daemon's CPU time per operation.
func (u cpuUse) perOp(n int) string {
	if n <= 0 || u.daemonTotal <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f µs", float64(u.daemonTotal.Microseconds())/float64(n))
}

// schedTimes sums, over the threads of pid, the time spent on a CPU and
// the time spent runnable but waiting for one (/proc/<pid>/task/*/schedstat,
// nanoseconds). Precise enough to time one request's work in the daemon;
// the wait says how much a busy machine delayed it. Threads that have
// exited are no longer counted, so only differences over a short span are
// meaningful.
func schedTimes(pid int) (onCPU, waiting time.Duration, err error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0, err
	}
	for _, e := range entries {
		b, err := os.ReadFile(dir + "/" + e.Name() + "/schedstat")
		if err != nil {
			continue // the thread ended meanwhile
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			continue
		}
		run, err1 := strconv.ParseInt(f[0], 10, 64)
		wait, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		onCPU += time.Duration(run)
		waiting += time.Duration(wait)
	}
	return onCPU, waiting, nil
}
