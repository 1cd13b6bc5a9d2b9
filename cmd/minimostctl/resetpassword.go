package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/minimost/minimost/pkg/admin"
)

func init() {
	commands["reset-password"] = &command{
		summary: "print a single-use link that lets USER set a new password",
		usage:   "reset-password USER [--expires 60m] [--base-url URL] [--json]",
		run:     runResetPassword,
	}
}

// parseExpires reads --expires: "90m", "2h", "1h30m" or plain minutes.
func parseExpires(s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d%time.Minute != 0 {
		return 0, errUsage("--expires takes minutes: 90m, 2h, 1h30m or a plain number")
	}
	return int(d / time.Minute), nil
}

func runResetPassword(e *env, args []string) error {
	fs := flagSet("reset-password")
	expires := fs.String("expires", "60m", "")
	base := fs.String("base-url", "", "")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	user, err := oneUser(pos)
	if err != nil {
		return err
	}
	minutes, err := parseExpires(*expires)
	if err != nil {
		return err
	}
	ans, raw, err := e.client.PasswordReset(e.ctx, user, admin.ResetRequest{ExpiresMinutes: minutes, BaseURL: *base})
	if err != nil {
		return err
	}
	if e.json {
		printJSON(e.stdout, raw)
		return nil
	}
	fmt.Fprintln(e.stdout, ans.URL)
	fmt.Fprintf(e.stdout, "expires %s (single use)\n", time.UnixMilli(ans.ExpiresAt).Format("2006-01-02 15:04 MST"))
	return nil
}
