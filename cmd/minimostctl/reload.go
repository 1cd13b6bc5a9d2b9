package main

import (
	"fmt"
	"strings"
)

func init() {
	commands["reload"] = &command{
		summary: "re-read settings.json; a bad file keeps the running settings",
		usage:   "reload [--json]",
		run:     runReload,
	}
}

func runReload(e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	res, raw, err := e.client.Reload(e.ctx)
	if err != nil {
		return err
	}
	if e.json {
		printJSON(e.stdout, raw)
		return nil
	}
	if len(res.Changed) == 0 {
		fmt.Fprintln(e.stdout, "settings reloaded: nothing changed")
		return nil
	}
	fmt.Fprintf(e.stdout, "settings reloaded; changed: %s\n", strings.Join(res.Changed, ", "))
	if len(res.RestartRequired) > 0 {
		fmt.Fprintf(e.stdout, "restart needed to apply: %s (systemctl restart minimost)\n", strings.Join(res.RestartRequired, ", "))
	}
	return nil
}
