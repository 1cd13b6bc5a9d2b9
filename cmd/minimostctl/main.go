// Command minimostctl administers a running MiniMost daemon over its admin
// socket. Exit status: 0 success, 1 the daemon refused, 2 usage error,
// 3 the daemon cannot be reached.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/minimost/minimost/pkg/admin"
)

// Exit statuses of api.md §5.
const (
	exitOK          = 0
	exitRefused     = 1
	exitUsage       = 2
	exitUnreachable = 3
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// env is what every command gets: the parsed global flags, the client and
// where to write.
type env struct {
	ctx    context.Context
	json   bool
	client *admin.Client
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand; run returns an error from errUsage or the
// admin client, which run maps to the exit status.
type command struct {
	summary string
	usage   string
	run     func(e *env, args []string) error
}

var commands = map[string]*command{}

// usageError is a mistake on the command line (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func errUsage(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// globals are the flags accepted anywhere on the line.
type globals struct {
	socket string
	json   bool
	help   bool
}

// splitGlobals takes --socket, --json and --help out of args wherever they
// stand, so `minimostctl status --json` and `minimostctl --json status`
// mean the same. A lone "--" ends flag handling.
func splitGlobals(args []string) (globals, []string, error) {
	var g globals
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return g, append(rest, args[i+1:]...), nil
		case a == "--json" || a == "-json":
			g.json = true
		case a == "--help" || a == "-help" || a == "-h":
			g.help = true
		case a == "--socket" || a == "-socket":
			if i+1 >= len(args) {
				return g, nil, errUsage("--socket needs a path")
			}
			i++
			g.socket = args[i]
		case strings.HasPrefix(a, "--socket="):
			g.socket = strings.TrimPrefix(a, "--socket=")
		default:
			rest = append(rest, a)
		}
	}
	return g, rest, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	g, rest, err := splitGlobals(args)
	if err != nil {
		fmt.Fprintf(stderr, "minimostctl: %v\n", err)
		return exitUsage
	}
	if len(rest) == 0 {
		if g.help {
			printUsage(stdout)
			return exitOK
		}
		printUsage(stderr)
		return exitUsage
	}
	name, cmdArgs := rest[0], rest[1:]
	if name == "help" {
		printUsage(stdout)
		return exitOK
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "minimostctl: unknown command %q\n\n", name)
		printUsage(stderr)
		return exitUsage
	}
	if g.help {
		fmt.Fprintf(stdout, "Usage: minimostctl %s\n\n%s\n", cmd.usage, cmd.summary)
		return exitOK
	}
	socket := g.socket
	if socket == "" {
		socket = getenv(admin.SocketEnv)
	}
	if socket == "" {
		socket = admin.DefaultSocket
	}
	e := &env{ctx: ctx, json: g.json, client: admin.NewClient(socket), stdout: stdout, stderr: stderr}
	err = cmd.run(e, cmdArgs)
	var ue *usageError
	var de *admin.DialError
	var ae *admin.APIError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "minimostctl %s: %v\nUsage: minimostctl %s\n", name, err, cmd.usage)
		return exitUsage
	case errors.As(err, &de):
		fmt.Fprintf(stderr, "minimostctl: %v\n", de)
		return exitUnreachable
	case errors.As(err, &ae):
		fmt.Fprintf(stderr, "minimostctl: %s\n", ae.Error())
		return exitRefused
	default:
		fmt.Fprintf(stderr, "minimostctl: %v\n", err)
		return exitRefused
	}
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: minimostctl [--socket PATH] [--json] COMMAND [ARGS]

Administer the MiniMost daemon through its admin socket
(default `+admin.DefaultSocket+`, or $`+admin.SocketEnv+`).

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-16s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, `
Global flags (before or after the command):
  --socket PATH    admin socket to use
  --json           print the daemon's JSON answer unchanged
  --help           show help (for a command: minimostctl COMMAND --help)

Exit status: 0 success, 1 the daemon refused, 2 usage error,
3 the daemon cannot be reached.
`)
}

// noArgs refuses extra arguments for commands that take none.
func noArgs(args []string) error {
	if len(args) > 0 {
		return errUsage("unexpected argument %q", args[0])
	}
	return nil
}

// printJSON writes a raw answer, ending it with a newline.
func printJSON(w io.Writer, raw []byte) {
	w.Write(raw)
	if len(raw) == 0 || raw[len(raw)-1] != '\n' {
		io.WriteString(w, "\n")
	}
}
