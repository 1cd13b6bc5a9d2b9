// Package store keeps MiniMost's state in one SQLite file under the state
// directory. It owns every SQL statement. Writes go through a single writer
// goroutine that batches concurrent callers into one transaction (group
// commit) and answers each only after that transaction is durable; reads
// use a separate pool of read-only connections, which WAL lets run beside
// the writer.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"time"

	// The driver registers itself as "sqlite3"; built with the sqlite_fts5
	// tag for full-text search.
	_ "github.com/mattn/go-sqlite3"
)

// FileName is the database file inside the state directory.
const FileName = "minimost.db"

// ErrClosed is returned by Write and Read after Close.
var ErrClosed = errors.New("store: closed")

// Options tune Open; the zero value is fine.
type Options struct {
	// Now is the clock every stored time comes from; nil means time.Now.
	Now func() time.Time
	// Logger receives store diagnostics; nil discards them.
	Logger *slog.Logger
	// Readers is the size of the read pool; 0 means 4.
	Readers int
	// MaxBatch caps how many writes share one transaction; 0 means 256.
	MaxBatch int
}

// DB is an open store.
type DB struct {
	path   string
	now    func() time.Time
	log    *slog.Logger
	w      *sql.DB
	r      *sql.DB
	writer *writer
	ckpt   *checkpointer
}

// Open opens (creating if needed) the database in dir, applies pending
// migrations and starts the writer. ctx bounds the migrations only.
func Open(ctx context.Context, dir string, opts Options) (*DB, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Readers <= 0 {
		opts.Readers = 4
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 256
	}
	abs, err := filepath.Abs(filepath.Join(dir, FileName))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db := &DB{path: abs, now: opts.Now, log: opts.Logger}

	// synchronous=FULL: an acknowledged write must survive power loss, and
	// group commit pays for the extra fsync. _txlock=immediate takes the
	// write lock at BEGIN so a batch never fails half-way on a busy lock.
	// auto_vacuum only takes on a new file, and must come before WAL mode
	// writes the first page; the driver applies it in that order.
	db.w, err = sql.Open("sqlite3", dsn(abs, "_auto_vacuum=incremental", "_journal_mode=WAL", "_foreign_keys=1",
		"_synchronous=FULL", "_busy_timeout=10000", "_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", FileName, err)
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	db.w.SetConnMaxIdleTime(0)
	if err := db.prepare(ctx); err != nil {
		db.w.Close()
		return nil, err
	}

	db.r, err = sql.Open("sqlite3", dsn(abs, "mode=ro", "_foreign_keys=1", "_busy_timeout=10000", "_query_only=1"))
	if err != nil {
		db.w.Close()
		return nil, fmt.Errorf("store: open readers: %w", err)
	}
	db.r.SetMaxOpenConns(opts.Readers)
	db.r.SetMaxIdleConns(opts.Readers)
	if err := db.r.PingContext(ctx); err != nil {
		db.w.Close()
		db.r.Close()
		return nil, fmt.Errorf("store: open readers: %w", err)
	}
	ck, err := sql.Open("sqlite3", dsn(abs, "_busy_timeout=10000", "_synchronous=FULL"))
	if err != nil {
		db.w.Close()
		db.r.Close()
		return nil, fmt.Errorf("store: open checkpointer: %w", err)
	}
	// Checkpoints run beside the writer (see checkpointer) instead of
	// inside the commit that crosses the WAL's size limit.
	if _, err := db.w.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
		db.w.Close()
		db.r.Close()
		ck.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	db.writer = startWriter(db.w, opts.MaxBatch, opts.Logger)
	db.ckpt = startCheckpointer(ck, checkpointEvery, opts.Logger)
	return db, nil
}

func dsn(path string, params ...string) string {
	u := "file:" + (&url.URL{Path: path}).EscapedPath() + "?"
	for i, p := range params {
		if i > 0 {
			u += "&"
		}
		u += p
	}
	return u
}

// prepare checks the connection took WAL mode and runs the migrations.
func (db *DB) prepare(ctx context.Context) error {
	var mode string
	if err := db.w.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		return fmt.Errorf("store: journal mode is %q, want wal (%v)", mode, err)
	}
	return migrate(ctx, db.w, db.now)
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Now returns the store's clock reading.
func (db *DB) Now() time.Time { return db.now() }

// Close stops the writer after the writes already queued, then closes
// every connection and checkpoints the WAL so the file stands alone.
func (db *DB) Close() error {
	db.writer.stop()
	db.ckpt.stop()
	if _, err := db.w.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		db.log.Warn("store: checkpoint at close", "err", err)
	}
	return errors.Join(db.r.Close(), db.w.Close())
}

// Read runs fn in a read-only transaction, so everything fn reads comes
// from one consistent snapshot.
func (db *DB) Read(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		if errors.Is(err, sql.ErrConnDone) {
			return ErrClosed
		}
		return fmt.Errorf("store: begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// Size returns the bytes the database holds: pages in use times page size.
func (db *DB) Size(ctx context.Context) (int64, error) {
	var pages, free, size int64
	err := db.Read(ctx, func(tx *sql.Tx) error {
		for _, q := range []struct {
			sql string
			v   *int64
		}{{`PRAGMA page_count`, &pages}, {`PRAGMA freelist_count`, &free}, {`PRAGMA page_size`, &size}} {
			if err := tx.QueryRowContext(ctx, q.sql).Scan(q.v); err != nil {
				return fmt.Errorf("store: %w", err)
			}
		}
		return nil
	})
	return (pages - free) * size, err
}
