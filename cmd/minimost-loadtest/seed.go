package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	// The daemon's driver; built with -tags sqlite_fts5 so the FTS5
	// triggers of the messages table can fill the search index.
	_ "github.com/mattn/go-sqlite3"
)

// The daemon's database file inside its data directory (pkg/store).
const dbFileName = "minimost.db"

// seedSQLite appends n messages straight into the database of a stopped
// daemon, the way the store's writer does it (pkg/store/migrations: each
// message takes the next value of seq_counter; the FTS5 triggers index its
// text), but thousands to a transaction and without fsync, since nothing
// here has to be durable until the final checkpoint. Authors are the
// live accounts, channels the public ones, round-robin; created_at runs
// up to now, 100 ms apart.
func seedSQLite(ctx context.Context, dataDir string, n int, corp *corpus, log func(string, ...any)) error {
	path, err := filepath.Abs(filepath.Join(dataDir, dbFileName))
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err != nil {
		return err
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_journal_mode=WAL&_synchronous=OFF&_foreign_keys=1&_busy_timeout=10000&_txlock=immediate&_cache_size=-262144"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	var authors, channels []int64
	if authors, err = int64s(ctx, db, `SELECT id FROM users WHERE deleted = 0 ORDER BY id`); err != nil {
		return err
	}
	if channels, err = int64s(ctx, db, `SELECT id FROM channels WHERE kind = 'public' AND listed = 1 ORDER BY position, id`); err != nil {
		return err
	}
	if len(authors) == 0 || len(channels) == 0 {
		return errors.New("seeding: no accounts or no public channels in the database")
	}

	const batch = 20000
	now := time.Now().UnixMilli()
	first := now - int64(n)*100
	t0 := time.Now()
	for done := 0; done < n; {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := min(batch, n-done)
		if err := seedBatch(ctx, db, done, k, first, authors, channels, corp); err != nil {
			if strings.Contains(err.Error(), "fts5") {
				return fmt.Errorf("%w (build minimost-loadtest with -tags sqlite_fts5)", err)
			}
			return err
		}
		done += k
		if done%200000 == 0 || done == n {
			el := time.Since(t0).Seconds()
			log("  seeded %d of %d messages in %.0f s (%.0f/s)", done, n, el, float64(done)/el)
		}
	}
	if _, err := db.ExecContext(ctx, `UPDATE channels SET last_activity = ? WHERE kind = 'public'`, now); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	// synchronous=OFF skipped the fsyncs; one now makes the seeded file as
	// durable as the daemon's own.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func seedBatch(ctx context.Context, db *sql.DB, done, k int, first int64, authors, channels []int64, corp *corpus) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT value FROM seq_counter WHERE id = 1`).Scan(&seq); err != nil {
		return fmt.Errorf("seq_counter: %w", err)
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO messages (channel_id, author_id, system, text, created_at, seq, mentions_everyone)
		VALUES (?, ?, 0, ?, ?, ?, 0)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	for j := range k {
		i := done + j
		seq++
		if _, err := ins.ExecContext(ctx, channels[i%len(channels)], authors[i%len(authors)], corp.message(), first+int64(i)*100, seq); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE seq_counter SET value = ? WHERE id = 1`, seq); err != nil {
		return err
	}
	return tx.Commit()
}

func int64s(ctx context.Context, db *sql.DB, q string) ([]int64, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// seedPosts is the seeding for a daemon this program did not start and so
// may not stop: n messages through the API, from 64 senders at once. It is
// bounded by n and by ctx.
func seedPosts(ctx context.Context, env *env, n int, corp *corpus) error {
	c := newAPI(env.d, 64)
	defer c.close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The corpus is not safe for concurrent use: one goroutine makes the
	// texts, the senders take them from a channel.
	texts := make(chan string, 4096)
	go func() {
		defer close(texts)
		for range n {
			select {
			case texts <- corp.message():
			case <-ctx.Done():
				return
			}
		}
	}()
	var (
		wg     sync.WaitGroup
		sent   atomic.Int64
		errMu  sync.Mutex
		first  error
		t0     = time.Now()
		report = time.Now()
	)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := env.senders[i%len(env.senders)]
			ch := env.channels[i%len(env.channels)].ID
			for text := range texts {
				if err := postText(ctx, c, a.Token, ch, text, ""); err != nil {
					errMu.Lock()
					if first == nil {
						first = err
					}
					errMu.Unlock()
					cancel()
					return
				}
				if v := sent.Add(1); v%100000 == 0 {
					errMu.Lock()
					if time.Since(report) > 5*time.Second {
						report = time.Now()
						env.logf("  posted %d of %d messages in %.0f s", v, n, time.Since(t0).Seconds())
					}
					errMu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
