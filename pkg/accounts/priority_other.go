//go:build !linux

package accounts

// lowerThreadPriority does nothing where a thread's priority cannot be set
// on its own; the daemon runs on Linux.
func lowerThreadPriority() {}
