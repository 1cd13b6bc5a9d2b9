package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minimost/minimost/pkg/testdeps"
)

func openTest(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenSetsUpFile(t *testing.T) {
	dir := t.TempDir()
	db := openTest(t, dir)
	ctx := context.Background()
	checks := map[string]string{
		"PRAGMA journal_mode": "wal",
		"PRAGMA foreign_keys": "1",
		"PRAGMA auto_vacuum":  "2",
	}
	for q, want := range checks {
		var got string
		if err := db.w.QueryRowContext(ctx, q).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s = %s, want %s", q, got, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Fatal(err)
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if v != len(ms) {
		t.Errorf("schema version %d, want %d", v, len(ms))
	}
	// Readers really are read-only.
	err = db.Read(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('x', 'y')`)
		return err
	})
	if err == nil {
		t.Error("a write through the read pool succeeded")
	}
}

func TestMigrationsApplyOnce(t *testing.T) {
	dir := t.TempDir()
	db := openTest(t, dir)
	if err := db.SetMeta(context.Background(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db2 := openTest(t, dir)
	got, ok, err := db2.Meta(context.Background(), "k")
	if err != nil || !ok || got != "v" {
		t.Fatalf("Meta after reopen = %q, %v, %v; want v", got, ok, err)
	}
	var n int
	if err := db2.w.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	ms, _ := migrations()
	if n != len(ms) {
		t.Errorf("schema_migrations has %d rows, want %d", n, len(ms))
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	db := openTest(t, dir)
	if _, err := db.w.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := Open(context.Background(), dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "schema version 999") {
		t.Fatalf("Open = %v, want a refusal naming schema version 999", err)
	}
}

func TestGroupCommit(t *testing.T) {
	db := openTest(t, t.TempDir())
	ctx := context.Background()
	const n = 300
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- db.SetMeta(ctx, fmt.Sprint("k", i), "v")
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Each acknowledged write is visible to a separate connection at once.
	other, err := sql.Open("sqlite3", dsn(db.Path(), "mode=ro"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var count int
	if err := other.QueryRow(`SELECT count(*) FROM meta`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Errorf("rows = %d, want %d", count, n)
	}
	if c := db.writer.commits.Load(); c >= n {
		t.Errorf("%d commits for %d concurrent writes: no batching", c, n)
	}
}

func TestFailedWriteRollsBackOnlyItself(t *testing.T) {
	db := openTest(t, t.TempDir())
	ctx := context.Background()
	boom := errors.New("boom")
	var ran []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	results := make([]error, 40)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = db.Write(ctx, func(tx *Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, 'v')`, fmt.Sprint("k", i)); err != nil {
					return err
				}
				seq, err := NextSeq(ctx, tx)
				if err != nil {
					return err
				}
				tx.AfterCommit(func() {
					mu.Lock()
					ran = append(ran, fmt.Sprint(i, ":", seq))
					mu.Unlock()
				})
				switch i % 4 {
				case 1:
					return boom
				case 2:
					panic("write bug")
				}
				return nil
			})
		}(i)
	}
	wg.Wait()
	var seqs []int
	for i, err := range results {
		v, ok, merr := db.Meta(ctx, fmt.Sprint("k", i))
		if merr != nil {
			t.Fatal(merr)
		}
		switch i % 4 {
		case 1:
			if !errors.Is(err, boom) || ok {
				t.Errorf("write %d: err %v, stored %v; want boom and nothing stored", i, err, ok)
			}
		case 2:
			if err == nil || !strings.Contains(err.Error(), "panicked") || ok {
				t.Errorf("write %d: err %v, stored %v; want a panic error and nothing stored", i, err, ok)
			}
		default:
			if err != nil || !ok || v != "v" {
				t.Errorf("write %d: err %v, stored %v", i, err, ok)
			}
		}
	}
	for _, r := range ran {
		var i, seq int
		fmt.Sscanf(r, "%d:%d", &i, &seq)
		if i%4 == 1 || i%4 == 2 {
			t.Errorf("AfterCommit ran for failed write %d", i)
		}
		seqs = append(seqs, seq)
	}
	if len(ran) != 20 {
		t.Fatalf("AfterCommit ran %d times, want 20", len(ran))
	}
	// Rolled-back writes give their seq back: the survivors hold 1..20.
	sort.Ints(seqs)
	for i, s := range seqs {
		if s != i+1 {
			t.Fatalf("seqs %v are not 1..20 without gaps", seqs)
		}
	}
	cur, err := db.CurrentSeq(ctx)
	if err != nil || cur != 20 {
		t.Fatalf("CurrentSeq = %d, %v; want 20", cur, err)
	}
}

func TestWriteAfterCloseAndCancelled(t *testing.T) {
	db := openTest(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.Write(ctx, func(*Tx) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Write with cancelled ctx = %v", err)
	}
	db.Close()
	if err := db.SetMeta(context.Background(), "k", "v"); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
}

func TestCloseLeavesNoWAL(t *testing.T) {
	dir := t.TempDir()
	db := openTest(t, dir)
	if err := db.SetMeta(context.Background(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, FileName+"-wal")); err == nil && fi.Size() > 0 {
		t.Errorf("WAL holds %d bytes after Close", fi.Size())
	}
}

func TestBackupWhileWriting(t *testing.T) {
	sqlite := testdeps.Need(t, "sqlite3", "sqlite3")
	dir := t.TempDir()
	db := openTest(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var written sync.Map
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && i < 5000; i++ {
				k := fmt.Sprintf("w%d-%d", w, i)
				if err := db.SetMeta(context.Background(), k, strings.Repeat("x", 200)); err != nil {
					t.Error(err)
					return
				}
				written.Store(k, true)
			}
		}(w)
	}
	time.Sleep(50 * time.Millisecond)
	dest := filepath.Join(t.TempDir(), "backup.db")
	err := db.Backup(context.Background(), dest)
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sqlite, dest, "PRAGMA integrity_check; PRAGMA journal_mode; SELECT count(*) > 0 FROM meta;").CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3: %v\n%s", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), "ok\ndelete\n1"; got != want {
		t.Fatalf("sqlite3 on the backup printed %q, want %q", got, want)
	}
	if _, err := os.Stat(dest + "-wal"); err == nil {
		t.Error("backup left a -wal file beside it")
	}
	if err := db.Backup(context.Background(), dest); err == nil {
		t.Error("Backup over an existing file succeeded")
	}
}

func TestLockDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	l, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("state directory mode %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	_, err = LockDir(dir)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second LockDir = %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) || !strings.Contains(err.Error(), LockName) {
		t.Errorf("refusal %q names neither the holder pid nor the lock file", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := LockDir(dir)
	if err != nil {
		t.Fatalf("LockDir after Release = %v", err)
	}
	l2.Release()
}

func TestSize(t *testing.T) {
	db := openTest(t, t.TempDir())
	n, err := db.Size(context.Background())
	if err != nil || n <= 0 {
		t.Fatalf("Size = %d, %v", n, err)
	}
}
