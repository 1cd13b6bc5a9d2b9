package accounts

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minimost/minimost/pkg/password"
)

// threadNice is the nice value of the calling thread.
func threadNice(t *testing.T) int {
	prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	return 20 - prio
}

// threadPolicy is the scheduling policy of the calling thread.
func threadPolicy(t *testing.T) int {
	p, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETSCHEDULER, uintptr(syscall.Gettid()), 0, 0)
	if e != 0 {
		t.Fatal(e)
	}
	return int(p)
}

// TestHashingRunsIdle: derivations run on threads of the SCHED_IDLE
// policy, and the caller's own thread (which goes on serving chat
// requests) keeps its policy and priority.
func TestHashingRunsIdle(t *testing.T) {
	x := newHashing(password.NewHasherWithIterations(1, 1))
	before, beforePolicy := threadNice(t), threadPolicy(t)
	var inside int
	if err := x.run(t.Context(), func() { inside = threadPolicy(t) }); err != nil {
		t.Fatal(err)
	}
	if inside != schedIdle {
		t.Errorf("a hash ran under scheduling policy %d, want SCHED_IDLE (%d)", inside, schedIdle)
	}
	// Every thread the process runs on afterwards is as it was: the idle
	// one ended with its goroutine.
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if n, p := threadNice(t), threadPolicy(t); n != before || p != beforePolicy {
				t.Errorf("a goroutine ran at nice %d, policy %d after a hash, want %d, %d", n, p, before, beforePolicy)
			}
		}()
	}
	wg.Wait()
}

// TestHashingBoundsAndWaits: at most the slots run at once, and a caller
// whose context ends while waiting for one gets its error without
// running.
func TestHashingBoundsAndWaits(t *testing.T) {
	x := newHashing(password.NewHasherWithIterations(1, 1))
	n := cap(x.slots)
	var running, most atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range n + 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x.run(context.Background(), func() {
				r := running.Add(1)
				for m := most.Load(); r > m && !most.CompareAndSwap(m, r); m = most.Load() {
				}
				<-release
				running.Add(-1)
			})
		}()
	}
	for running.Load() < int32(n) {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	ran := false
	if err := x.run(ctx, func() { ran = true }); !errors.Is(err, context.DeadlineExceeded) || ran {
		t.Errorf("a waiting caller whose context ended: %v, ran %v", err, ran)
	}
	close(release)
	wg.Wait()
	if most.Load() != int32(n) {
		t.Errorf("%d derivations ran at once, want at most %d", most.Load(), n)
	}
}
