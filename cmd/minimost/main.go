// Command minimost is the MiniMost chat daemon. It takes its sockets from
// systemd (or binds them itself when run by hand), keeps its state in one
// directory and serves the chat over HTTPS, STUN over UDP and the admin API
// over a Unix socket.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(exitCode(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr), os.Stderr))
}

// exitError carries the status a failure exits with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// exitCode prints err as one line and maps it to the process status: 0 for
// none, 2 for a usage error, 1 for everything else.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	}
	fmt.Fprintf(stderr, "minimost: %v\n", err)
	return code
}
