package main

import (
	"fmt"
	"text/tabwriter"
	"time"
)

func init() {
	commands["status"] = &command{
		summary: "show the daemon's version, uptime, counts and listeners",
		usage:   "status [--json]",
		run:     runStatus,
	}
}

func runStatus(e *env, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	st, raw, err := e.client.Status(e.ctx)
	if err != nil {
		return err
	}
	if e.json {
		printJSON(e.stdout, raw)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "version\t%s\n", st.Version)
	fmt.Fprintf(tw, "uptime\t%s\n", time.Duration(st.UptimeS)*time.Second)
	fmt.Fprintf(tw, "users\t%d\n", st.Users)
	fmt.Fprintf(tw, "connections\t%d\n", st.Connections)
	fmt.Fprintf(tw, "messages\t%d\n", st.Messages)
	fmt.Fprintf(tw, "database\t%s\n", humanBytes(st.DBBytes))
	fmt.Fprintf(tw, "uploads\t%s\n", humanBytes(st.UploadsBytes))
	for i, l := range st.Listeners {
		label := ""
		if i == 0 {
			label = "listeners"
		}
		fmt.Fprintf(tw, "%s\t%s\n", label, l)
	}
	activated := "no (bound by the daemon)"
	if st.SocketActivated {
		activated = "yes"
	}
	fmt.Fprintf(tw, "socket activated\t%s\n", activated)
	return tw.Flush()
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
