package store

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestBackgroundCheckpoint: no commit checkpoints the WAL itself; the
// checkpointer copies committed pages into the database file soon after.
func TestBackgroundCheckpoint(t *testing.T) {
	f := newChatFx(t, "alice")
	var auto int
	if err := f.db.w.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("wal_autocheckpoint %d (%v), want 0", auto, err)
	}
	file := filepath.Join(f.dir, FileName)
	size := func() int64 {
		st, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	// Let a checkpoint of what opening wrote pass first.
	time.Sleep(2 * checkpointEvery)
	before := size()
	f.postMany("alice", f.general, 5000, "filler %d with enough text to take some pages")
	deadline := time.Now().Add(10 * time.Second)
	for size() <= before {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes: nothing was checkpointed", before)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
