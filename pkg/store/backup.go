package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// Backup writes a consistent copy of the database to dest (which must not
// exist) with SQLite's online backup, while writes go on. The copy is taken
// in one step under one read snapshot: a stepwise copy would restart every
// time the writer commits and might never finish on a busy server. The
// result is switched to rollback-journal mode so it is one self-contained
// file.
func (db *DB) Backup(ctx context.Context, dest string) (err error) {
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("store: backup: %s already exists", dest)
	}
	out, err := sql.Open("sqlite3", dsn(dest, "mode=rwc"))
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer func() {
		err = errors.Join(err, out.Close())
		if err != nil {
			os.Remove(dest)
			os.Remove(dest + "-journal")
		}
	}()
	outConn, err := out.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer outConn.Close()
	srcConn, err := db.r.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer srcConn.Close()

	err = outConn.Raw(func(d any) error {
		dst := d.(*sqlite3.SQLiteConn)
		return srcConn.Raw(func(s any) error {
			bk, err := dst.Backup("main", s.(*sqlite3.SQLiteConn), "main")
			if err != nil {
				return err
			}
			_, stepErr := bk.Step(-1)
			return errors.Join(stepErr, bk.Finish())
		})
	})
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if _, err := outConn.ExecContext(ctx, `PRAGMA journal_mode = DELETE`); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}
