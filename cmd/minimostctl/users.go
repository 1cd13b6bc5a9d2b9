package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/minimost/minimost/pkg/admin"
)

func init() {
	commands["users"] = &command{
		summary: "list, lock, unlock, log out or delete accounts; reset a password",
		usage: `users list [--json]
       minimostctl users lock USER
       minimostctl users unlock USER
       minimostctl users logout USER
       minimostctl users delete USER [--hard]
       minimostctl users reset-password USER [--expires 60m] [--base-url URL] [--json]`,
		run: runUsers,
	}
}

// userCommands are the subcommands of `users`.
var userCommands = map[string]func(e *env, args []string) error{
	"list":           runUsersList,
	"lock":           func(e *env, args []string) error { return runLock(e, args, true) },
	"unlock":         func(e *env, args []string) error { return runLock(e, args, false) },
	"logout":         runUsersLogout,
	"delete":         runUsersDelete,
	"reset-password": runResetPassword,
}

func runUsers(e *env, args []string) error {
	if len(args) == 0 {
		return errUsage("users needs a subcommand: list, lock, unlock, logout, delete or reset-password")
	}
	sub, ok := userCommands[args[0]]
	if !ok {
		names := make([]string, 0, len(userCommands))
		for n := range userCommands {
			names = append(names, n)
		}
		sort.Strings(names)
		return errUsage("unknown users subcommand %q (want %s)", args[0], strings.Join(names, ", "))
	}
	return sub(e, args[1:])
}

func runUsersList(e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	us, raw, err := e.client.Users(e.ctx)
	if err != nil {
		return err
	}
	if e.json {
		printJSON(e.stdout, raw)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tCREATED\tLAST LOGIN\tLOCKED\tSESSIONS")
	for _, u := range us {
		last := "never"
		if u.LastLoginAt != nil {
			last = stamp(*u.LastLoginAt)
		}
		locked := "no"
		if u.Locked {
			locked = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", u.Username, stamp(u.CreatedAt), last, locked, u.Sessions)
	}
	return tw.Flush()
}

// stamp shows an API time (ms) in the admin's local zone.
func stamp(ms int64) string {
	return time.UnixMilli(ms).Format("2006-01-02 15:04")
}

// oneUser takes exactly one USER argument.
func oneUser(args []string) (string, error) {
	if len(args) != 1 {
		return "", errUsage("want exactly one USER")
	}
	return args[0], nil
}

func runLock(e *env, args []string, locked bool) error {
	user, err := oneUser(args)
	if err != nil {
		return err
	}
	if err := e.client.SetLocked(e.ctx, user, locked); err != nil {
		return err
	}
	if locked {
		fmt.Fprintf(e.stdout, "%s is locked; their sessions have ended\n", user)
	} else {
		fmt.Fprintf(e.stdout, "%s is unlocked\n", user)
	}
	return nil
}

func runUsersLogout(e *env, args []string) error {
	user, err := oneUser(args)
	if err != nil {
		return err
	}
	if err := e.client.EndSessions(e.ctx, user); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "every session of %s has ended\n", user)
	return nil
}

// flagSet is a quiet flag set: minimostctl prints its own usage lines.
func flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseInterspersed parses flags that may stand before or after the
// positional arguments, as users type them.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, errUsage("%v", err)
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func runUsersDelete(e *env, args []string) error {
	fs := flagSet("delete")
	hard := fs.Bool("hard", false, "")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	user, err := oneUser(pos)
	if err != nil {
		return err
	}
	mode := admin.ModeSoft
	if *hard {
		mode = admin.ModeHard
	}
	if err := e.client.DeleteUser(e.ctx, user, mode); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s is deleted (%s)\n", user, mode)
	return nil
}
