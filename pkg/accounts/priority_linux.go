package accounts

import (
	"syscall"
	"unsafe"
)

// hashNiceStep is how much nicer than the rest of the daemon a hashing
// thread runs where SCHED_IDLE is refused: ten steps give a thread of the
// daemon's own priority about ten times a hash's share of a contended core.
const hashNiceStep = 10

// schedIdle is Linux's SCHED_IDLE policy: the thread runs only on a core
// that no thread of a normal policy wants, however long it has waited.
const schedIdle = 5

// lowerThreadPriority puts the calling thread under SCHED_IDLE (on Linux
// a thread id names one thread), so a hash never delays a request, yet
// uses every idle cycle. Switching to SCHED_IDLE is allowed to any process;
// where it is refused anyway (a seccomp filter), the thread is made
// hashNiceStep nicer than it is instead, and should that fail too the hash
// runs at the daemon's priority.
func lowerThreadPriority() {
	tid := syscall.Gettid()
	var param struct{ priority int32 }
	if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, uintptr(tid), schedIdle, uintptr(unsafe.Pointer(&param))); e == 0 {
		return
	}
	// The raw getpriority answers 20 - nice.
	prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return
	}
	syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(19, 20-prio+hashNiceStep))
}
