package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/minimost/minimost/pkg/admin"
	"github.com/minimost/minimost/pkg/version"
)

func init() {
	commands["version"] = &command{
		summary: "print minimostctl's version and, when reachable, the daemon's",
		usage:   "version [--json]",
		run:     runVersion,
	}
}

// runVersion succeeds without a daemon: it is also how an admin checks
// which minimostctl is installed.
func runVersion(e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	var daemon *string
	st, _, err := e.client.Status(e.ctx)
	var de *admin.DialError
	switch {
	case err == nil:
		daemon = &st.Version
	case !errors.As(err, &de):
		return err
	}
	if e.json {
		b, err := json.Marshal(struct {
			Version       string  `json:"version"`
			DaemonVersion *string `json:"daemon_version"`
		}{version.Version, daemon})
		if err != nil {
			return err
		}
		printJSON(e.stdout, b)
		return nil
	}
	fmt.Fprintf(e.stdout, "minimostctl %s\n", version.Version)
	if daemon != nil {
		fmt.Fprintf(e.stdout, "minimost %s\n", *daemon)
	} else {
		fmt.Fprintf(e.stdout, "minimost: not reachable at %s\n", e.client.Socket())
	}
	return nil
}
