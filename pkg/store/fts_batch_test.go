package store

import (
	"database/sql"
	"errors"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

// TestSearchIndexOfABatch: the search index is written once per batch,
// after every write's savepoint. Messages inserted, edited, deleted or
// rolled back within one batch are found exactly as they stand when it
// commits, and the index agrees with the messages.
func TestSearchIndexOfABatch(t *testing.T) {
	f := newChatFx(t, "alice")
	old := f.post("alice", f.general, "oldneedle")
	alice := f.id("alice")
	now := f.clock.Now().UnixMilli()
	boom := errors.New("boom")

	// The first write holds the writer until the others wait for it, so
	// they share the next batch.
	release := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- f.db.Write(f.ctx, func(*Tx) error { <-release; return nil })
	}()
	writes := []func(tx *Tx) error{
		func(tx *Tx) error {
			id, _, err := insertMessage(f.ctx, tx, f.general, alice, false, "firstneedle", 0, nil, false, now)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(f.ctx, `UPDATE messages SET text = 'editedneedle' WHERE id = ?`, id); err != nil {
				return err
			}
			if id, _, err = insertMessage(f.ctx, tx, f.general, alice, false, "softneedle", 0, nil, false, now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(f.ctx, `UPDATE messages SET deleted = 1 WHERE id = ?`, id); err != nil {
				return err
			}
			if id, _, err = insertMessage(f.ctx, tx, f.general, alice, false, "hardneedle", 0, nil, false, now); err != nil {
				return err
			}
			_, err = tx.ExecContext(f.ctx, `DELETE FROM messages WHERE id = ?`, id)
			return err
		},
		func(tx *Tx) error {
			if _, _, err := insertMessage(f.ctx, tx, f.general, alice, false, "rolledneedle", 0, nil, false, now); err != nil {
				return err
			}
			return boom
		},
		func(tx *Tx) error {
			_, err := tx.ExecContext(f.ctx, `UPDATE messages SET text = 'renewedneedle' WHERE id = ?`, old.ID)
			return err
		},
		func(tx *Tx) error {
			_, _, err := insertMessage(f.ctx, tx, f.general, alice, false, "lastneedle", 0, nil, false, now)
			return err
		},
	}
	commitsBefore := f.db.writer.commits.Load()
	var wg sync.WaitGroup
	errs := make([]error, len(writes))
	for i, fn := range writes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f.db.Write(f.ctx, fn)
		}()
	}
	// Waiting writes are gathered into the next batch. The pause only
	// makes it likely that all of them wait by then; what is checked
	// below holds however they were batched.
	time.Sleep(200 * time.Millisecond)
	close(release)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if want := i == 1; (err != nil) != want || want && !errors.Is(err, boom) {
			t.Errorf("write %d: %v", i, err)
		}
	}
	t.Logf("the holding write and %d others in %d commits", len(writes), f.db.writer.commits.Load()-commitsBefore)

	found := func(q string) []string {
		t.Helper()
		ms, err := f.db.Search(f.ctx, alice, SearchQuery{Q: q, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.Text)
		}
		sort.Strings(out)
		return out
	}
	got := strings.Join(found("needle"), " ")
	if want := "editedneedle lastneedle renewedneedle"; got != want {
		t.Errorf("needle finds %q, want %q", got, want)
	}
	for _, gone := range []string{"firstneedle", "softneedle", "hardneedle", "rolledneedle", "oldneedle"} {
		if got := found(gone); len(got) != 0 {
			t.Errorf("%s finds %v", gone, got)
		}
		// The index itself, whatever the search filters after it.
		if n := f.count(`SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?`, `"`+gone+`"`); n != 0 {
			t.Errorf("the index holds %d entries for %s", n, gone)
		}
	}
	if err := f.db.Write(f.ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(f.ctx, `INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')`)
		return err
	}); err != nil {
		t.Errorf("search index integrity: %v", err)
	}

	// Another connection's insert is indexed at once: nothing defers it.
	other, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: f.db.path}).EscapedPath()+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec(`INSERT INTO messages (channel_id, author_id, text, created_at, seq) VALUES (?, ?, 'outsideneedle', 0, 0)`, f.general, alice); err != nil {
		t.Fatal(err)
	}
	if got := found("outsideneedle"); len(got) != 1 {
		t.Errorf("a message inserted by another connection: found %v", got)
	}
}
