// Package testdeps finds the outside programs that tests drive (the sqlite3
// shell, coturn's STUN client, curl, chromium). A missing program fails the
// test with the command that installs it: a silent skip would read as a
// pass.
package testdeps

import (
	"os/exec"
	"testing"
)

// Need returns the path of program bin, or fails t naming the Debian
// package that provides it.
func Need(t testing.TB, bin, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(bin)
	if err != nil {
		t.Fatalf("%s not found: run 'apt-get install -y %s' (or 'make deps' as root)", bin, debianPackage)
	}
	return p
}
