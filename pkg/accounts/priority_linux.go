package accounts

import "syscall"

// hashNiceStep is how much nicer than the rest of the daemon a hashing
// thread runs: ten steps give a thread of the daemon's own priority about
// ten times a hash's share of a contended core.
const hashNiceStep = 10

// lowerThreadPriority makes the calling thread hashNiceStep nicer than it
// is (on Linux a thread id names one thread to setpriority), so that a
// daemon started with a nice value of its own keeps the same gap. Raising
// a nice value is always allowed; should it fail anyway the hash runs at
// the daemon's priority.
func lowerThreadPriority() {
	tid := syscall.Gettid()
	// The raw getpriority answers 20 - nice.
	prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return
	}
	syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(19, 20-prio+hashNiceStep))
}
