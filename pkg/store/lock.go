package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockName is the lock file inside the state directory.
const LockName = "minimost.lock"

// ErrLocked means another daemon holds the state directory.
var ErrLocked = errors.New("state directory is in use")

// DirLock is an exclusive lock on a state directory.
type DirLock struct{ f *os.File }

// LockDir takes the state directory (creating it with mode 0700 when
// missing) for this process. Two daemons on one directory would fight over
// the database, the certificates and the admin socket, so the second one
// must refuse to start; flock is released by the kernel when the holder
// dies, so a crash never leaves a stale lock.
func LockDir(dir string) (*DirLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state directory lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := ""
			if b, rerr := os.ReadFile(path); rerr == nil {
				if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
					holder = fmt.Sprintf(" (pid %d)", pid)
				}
			}
			return nil, fmt.Errorf("%w: another minimost%s holds the lock %s", ErrLocked, holder, path)
		}
		return nil, fmt.Errorf("state directory lock %s: %w", path, err)
	}
	// The pid is only a hint for the refusal message above.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &DirLock{f: f}, nil
}

// Release gives the directory up.
func (l *DirLock) Release() error {
	return l.f.Close()
}
