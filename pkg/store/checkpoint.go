package store

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"
)

// checkpointEvery is how often the checkpointer copies the WAL back into
// the database file.
const checkpointEvery = time.Second

// checkpointer copies committed pages from the WAL into the database file
// on a connection of its own. With SQLite's automatic checkpoint, the commit
// that crosses 1 000 WAL pages did it, adding the database file's writes and
// fsync to that one write's answer. A PASSIVE checkpoint neither waits for
// nor blocks the writer or the readers; the writer starts the WAL over once
// a checkpoint has copied all of it, so the file stays small.
type checkpointer struct {
	db       *sql.DB
	quit     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

func startCheckpointer(db *sql.DB, every time.Duration, log *slog.Logger) *checkpointer {
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-c.quit:
				return
			case <-t.C:
			}
			if _, err := db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
				log.Warn("store: checkpoint", "err", err)
			}
		}
	}()
	return c
}

// stop ends the checkpoints and closes their connection.
func (c *checkpointer) stop() {
	c.stopOnce.Do(func() {
		close(c.quit)
		<-c.done
		_ = c.db.Close()
	})
}
