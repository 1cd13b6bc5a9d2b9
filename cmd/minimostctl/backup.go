package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
)

func init() {
	commands["backup"] = &command{
		summary: "write a consistent online backup of the database to FILE",
		usage:   "backup -o FILE [--json]",
		run:     runBackup,
	}
}

// runBackup streams into FILE.tmp (mode 0600: the database holds password
// hashes) and renames it only once the whole stream arrived, so FILE is
// never a partial backup.
func runBackup(e *env, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var out string
	fs.StringVar(&out, "o", "", "")
	fs.StringVar(&out, "output", "", "")
	if err := fs.Parse(args); err != nil {
		return errUsage("%v", err)
	}
	if err := noArgs(fs.Args()); err != nil {
		return err
	}
	if out == "" {
		return errUsage("-o FILE is required")
	}
	tmp := out + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	n, err := e.client.Backup(e.ctx, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, out)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if e.json {
		b, merr := json.Marshal(struct {
			File  string `json:"file"`
			Bytes int64  `json:"bytes"`
		}{out, n})
		if merr != nil {
			return merr
		}
		printJSON(e.stdout, b)
		return nil
	}
	fmt.Fprintf(e.stdout, "backup written to %s (%s); uploads are not included: copy the uploads directory separately\n", out, humanBytes(n))
	return nil
}
