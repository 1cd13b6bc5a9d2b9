package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// options are the command line; everything else comes from settings.json.
type options struct {
	listen      string
	stunListen  string
	adminSocket string
	dataDir     string
	config      string
	version     bool
}

const usageText = `Usage: minimost [flags]

MiniMost chat daemon. Under systemd it takes its sockets by name (https,
stun, admin) and its state directory from the unit; run by hand it binds
its own. With no flags it serves https://127.0.0.1:6767 with state in
./minimost-data.

Flags:
`

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("minimost", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
	}
	defaultData := "minimost-data"
	// systemd may join several StateDirectory= entries with ':'; the first
	// is the daemon's own.
	if dir, _, _ := strings.Cut(getenv("STATE_DIRECTORY"), ":"); dir != "" {
		defaultData = dir
	}
	fs.StringVar(&o.listen, "listen", "127.0.0.1:6767", "HTTPS `address` to bind when systemd passes no https socket")
	fs.StringVar(&o.stunListen, "stun-listen", "", "STUN UDP `address` to bind when systemd passes no stun socket (default 0.0.0.0:<stun_port>)")
	fs.StringVar(&o.adminSocket, "admin-socket", "", "admin Unix socket `path` to bind when systemd passes no admin socket (default <data-dir>/admin.sock)")
	fs.StringVar(&o.dataDir, "data-dir", defaultData, "state `directory` (under systemd: $STATE_DIRECTORY)")
	fs.StringVar(&o.config, "config", "", "settings `file` (default $CONFIGURATION_DIRECTORY/settings.json under systemd, else <data-dir>/settings.json)")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, &exitError{code: 0}
		}
		return nil, &exitError{code: 2}
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return nil, &exitError{code: 2, err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	abs, err := filepath.Abs(o.dataDir)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	o.dataDir = abs
	if o.adminSocket == "" {
		o.adminSocket = filepath.Join(o.dataDir, "admin.sock")
	}
	return o, nil
}
