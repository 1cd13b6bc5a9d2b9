package accounts

import (
	"context"
	"runtime"

	"github.com/minimost/minimost/pkg/password"
)

// hashing runs the password Hasher's key derivations on operating-system
// threads of lowered scheduling priority (see lowerThreadPriority).
//
// The Hasher's pool keeps a login flood to one less than the cores, but
// the kernel does not know which of the daemon's threads are the slow
// hashes: on a small machine the core left over is shared by the chat
// traffic, the store and whatever else runs on the box, and a hash thread
// that competes with them as an equal makes every chat request wait its
// turn at the scheduler. Niced, a hash thread yields the core whenever a
// request has work and uses it when none has, so logins still go as fast
// as the machine allows when it is otherwise idle.
//
// At most slots derivations are handed to such threads at once (one less
// than the cores, at least one, as the Hasher's default pool), so a flood
// of logins waits here as goroutines, not as threads.
type hashing struct {
	h     *password.Hasher
	slots chan struct{}
}

func newHashing(h *password.Hasher) *hashing {
	return &hashing{h: h, slots: make(chan struct{}, HashThreads())}
}

// HashThreads is how many password derivations run at once: one less than
// the cores, at least one. Each holds a thread of lowered priority for the
// whole derivation; the daemon gives Go's scheduler that many extra
// processors, so a running hash never takes one from the chat traffic and
// the kernel, which knows the hash threads' lower priority, arbitrates.
func HashThreads() int {
	return max(1, runtime.NumCPU()-1)
}

// run calls f on a fresh thread of lowered priority, once a slot is free
// or ctx ends (its error then, and f does not run).
func (x *hashing) run(ctx context.Context, f func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case x.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-x.slots }()
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Never unlocked: the goroutine ends locked, so Go ends its
		// thread with it, and the lowered priority (which an unprivileged
		// process cannot raise back) never reaches other goroutines.
		runtime.LockOSThread()
		lowerThreadPriority()
		f()
	}()
	<-done
	return nil
}

func (x *hashing) Hash(ctx context.Context, pw string) (hash string, err error) {
	if e := x.run(ctx, func() { hash, err = x.h.Hash(ctx, pw) }); e != nil {
		return "", e
	}
	return hash, err
}

func (x *hashing) Verify(ctx context.Context, hash, pw string) (ok bool, err error) {
	if e := x.run(ctx, func() { ok, err = x.h.Verify(ctx, hash, pw) }); e != nil {
		return false, e
	}
	return ok, err
}

func (x *hashing) VerifyDummy(ctx context.Context, pw string) {
	x.run(ctx, func() { x.h.VerifyDummy(ctx, pw) })
}

func (x *hashing) MatchesAny(ctx context.Context, hashes []string, pw string) (ok bool, err error) {
	if e := x.run(ctx, func() { ok, err = x.h.MatchesAny(ctx, hashes, pw) }); e != nil {
		return false, e
	}
	return ok, err
}
