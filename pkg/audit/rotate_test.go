package audit

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const day = 24 * time.Hour

// archives lists the archive names in dir, oldest first.
func archives(t *testing.T, dir string) []string {
	t.Helper()
	list, err := listArchives(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range list {
		names = append(names, a.name)
	}
	return names
}

func touch(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRotateBySize(t *testing.T) {
	dir := t.TempDir()
	c := newClock("2026-06-29T18:04:11.5Z")
	l, out := openLog(t, dir, c, Limits{MaxSizeMB: 1})
	e := Event{Kind: AccessDenied, User: "alice", Src: "10.0.0.5", Detail: strings.Repeat("d", 200)}
	lineLen := int64(len(formatLine(c.Now(), e)))
	const limit = 1 << 20

	records := 0
	for len(archives(t, dir)) == 0 {
		if records > 2*limit/int(lineLen) {
			t.Fatal("no rotation after twice the limit")
		}
		l.Record(e)
		records++
	}
	got := archives(t, dir)
	if want := []string{"audit.log.20260629T180411.500Z"}; !slices.Equal(got, want) {
		t.Fatalf("archives = %v, want %v", got, want)
	}
	info, err := os.Stat(filepath.Join(dir, got[0]))
	if err != nil {
		t.Fatal(err)
	}
	// The write that made the file exceed the limit is the last one in it.
	if size := info.Size(); size <= limit || size > limit+lineLen {
		t.Errorf("archive size %d, want just over %d", size, limit)
	}
	checkMode(t, filepath.Join(dir, got[0]))

	l.Record(e)
	records++
	if n := len(readLines(t, filepath.Join(dir, got[0]))) + len(readLines(t, filepath.Join(dir, fileName))); n != records {
		t.Errorf("%d lines in all files, want %d", n, records)
	}
	checkMode(t, filepath.Join(dir, fileName))
	if strings.Contains(out.String(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", out.String())
	}
}

func TestRotateByAge(t *testing.T) {
	dir := t.TempDir()
	c := newClock("2026-06-29T18:04:11Z")
	l, _ := openLog(t, dir, c, Limits{MaxAgeDays: 1})
	path := filepath.Join(dir, fileName)

	l.Record(Event{Kind: Login, Success: true, User: "a"})
	c.Advance(day) // exactly one day is not older than one day
	l.Record(Event{Kind: Login, Success: true, User: "b"})
	if got := archives(t, dir); len(got) != 0 {
		t.Fatalf("rotated too early: %v", got)
	}
	c.Advance(time.Millisecond)
	l.Record(Event{Kind: Login, Success: true, User: "c"})
	want := []string{"audit.log.20260630T180411.001Z"}
	if got := archives(t, dir); !slices.Equal(got, want) {
		t.Fatalf("archives = %v, want %v", got, want)
	}
	if got := readLines(t, filepath.Join(dir, want[0])); len(got) != 3 {
		t.Errorf("archive holds %q, want the 3 records", got)
	}
	if got := readLines(t, path); len(got) != 0 {
		t.Errorf("new audit.log holds %q", got)
	}

	// The clock restarts at the rotation.
	c.Advance(day)
	l.Record(Event{Kind: Login, Success: true, User: "d"})
	if got := archives(t, dir); len(got) != 1 {
		t.Errorf("rotated again too early: %v", got)
	}
	if got := readLines(t, path); len(got) != 1 {
		t.Errorf("audit.log holds %q", got)
	}
}

func TestSetLimits(t *testing.T) {
	dir := t.TempDir()
	c := newClock("2026-06-29T18:04:11Z")
	l, _ := openLog(t, dir, c, Limits{})
	l.Record(Event{Kind: Login, Success: true, User: "a"})
	c.Advance(100 * day)
	l.Record(Event{Kind: Login, Success: true, User: "b"})
	if got := archives(t, dir); len(got) != 0 {
		t.Fatalf("rotated with no limits: %v", got)
	}
	l.SetLimits(Limits{MaxAgeDays: 30})
	l.Record(Event{Kind: SettingsReload, Success: true, Detail: "audit_log_max_age_days"})
	if got := archives(t, dir); len(got) != 1 {
		t.Errorf("archives after SetLimits = %v, want one", got)
	}
}

func TestBackups(t *testing.T) {
	// Older siblings an adopted installation may hold: two archives in the
	// Python MiniMost's naming, its marker and lock files, and names that
	// only look like archives.
	legacy := []string{"audit.log.20250101T000000Z", "audit.log.20250101T000000Z.1"}
	others := []string{"audit.log.rotated_at", "audit.log.lock", "audit.log.20251399T000000Z", "audit.log.old"}
	for _, tt := range []struct {
		backups int
		keep    int // of legacy followed by our four
	}{
		{backups: 2, keep: 2},
		{backups: 5, keep: 5},
		{backups: 0, keep: 6},
	} {
		t.Run("keep "+strconv.Itoa(tt.backups), func(t *testing.T) {
			dir := t.TempDir()
			touch(t, dir, legacy...)
			touch(t, dir, others...)
			c := newClock("2026-06-29T18:04:11Z")
			l, out := openLog(t, dir, c, Limits{MaxAgeDays: 1, Backups: tt.backups})
			all := slices.Clone(legacy)
			// The legacy archives date the last rotation, so the first
			// record already rotates.
			for range 4 {
				all = append(all, "audit.log."+c.Now().Format(archiveLayout))
				l.Record(Event{Kind: Login, Success: true})
				c.Advance(day + time.Second)
			}
			want := all[len(all)-tt.keep:]
			if got := archives(t, dir); !slices.Equal(got, want) {
				t.Errorf("archives = %v\nwant %v", got, want)
			}
			for _, name := range others {
				if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
			if strings.Contains(out.String(), "level=ERROR") {
				t.Errorf("errors logged:\n%s", out.String())
			}
		})
	}
}

func TestRotateNameCollision(t *testing.T) {
	dir := t.TempDir()
	c := newClock("2026-06-29T18:04:11Z")
	l, _ := openLog(t, dir, c, Limits{MaxAgeDays: 1})
	l.Record(Event{Kind: Login, Success: true})
	c.Advance(day + time.Millisecond)
	taken := "audit.log." + c.Now().Format(archiveLayout)
	touch(t, dir, taken)
	l.Record(Event{Kind: Login, Success: true})
	want := []string{taken, taken + ".1"}
	if got := archives(t, dir); !slices.Equal(got, want) {
		t.Errorf("archives = %v, want %v", got, want)
	}
	if got := readLines(t, filepath.Join(dir, taken)); !slices.Equal(got, []string{"x"}) {
		t.Errorf("existing archive overwritten: %q", got)
	}
}

func TestRotationTimeSurvivesRestart(t *testing.T) {
	t.Run("from the newest archive", func(t *testing.T) {
		dir := t.TempDir()
		c := newClock("2026-06-29T18:04:11Z")
		l, _ := openLog(t, dir, c, Limits{MaxAgeDays: 1})
		l.Record(Event{Kind: Login, Success: true})
		c.Advance(day + time.Hour)
		l.Record(Event{Kind: Login, Success: true}) // rotates at T1
		l.Close()

		// Restarted 23 h after the rotation: not due yet, and the first
		// line written now must not become the reference either.
		c.Advance(23 * time.Hour)
		l, _ = openLog(t, dir, c, Limits{MaxAgeDays: 1})
		l.Record(Event{Kind: Login, Success: true})
		l.Close()
		if got := archives(t, dir); len(got) != 1 {
			t.Fatalf("rotated early after restart: %v", got)
		}

		// Restarted again just past a day after the rotation: due.
		c.Advance(time.Hour + time.Millisecond)
		l, _ = openLog(t, dir, c, Limits{MaxAgeDays: 1})
		l.Record(Event{Kind: Login, Success: true})
		if got := archives(t, dir); len(got) != 2 {
			t.Errorf("no rotation a day after the last one: %v", got)
		}
	})
	t.Run("from a legacy archive", func(t *testing.T) {
		dir := t.TempDir()
		touch(t, dir, "audit.log.20260628T180411Z")
		c := newClock("2026-06-29T18:04:12Z")
		l, _ := openLog(t, dir, c, Limits{MaxAgeDays: 1})
		l.Record(Event{Kind: Login, Success: true})
		if got := archives(t, dir); len(got) != 2 {
			t.Errorf("archives = %v, want a rotation", got)
		}
	})
	t.Run("from the first line before any rotation", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, fileName),
			[]byte("2026-06-28T18:04:11Z event=login outcome=success user=bob src=-\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c := newClock("2026-06-29T18:04:12Z")
		l, _ := openLog(t, dir, c, Limits{MaxAgeDays: 1})
		l.Record(Event{Kind: Login, Success: true})
		if got := archives(t, dir); len(got) != 1 {
			t.Errorf("archives = %v, want a rotation", got)
		}
	})
	t.Run("unreadable first line counts from now", func(t *testing.T) {
		dir := t.TempDir()
		touch(t, dir, fileName)
		c := newClock("2026-06-29T18:04:12Z")
		l, _ := openLog(t, dir, c, Limits{MaxAgeDays: 1})
		l.Record(Event{Kind: Login, Success: true})
		c.Advance(day)
		l.Record(Event{Kind: Login, Success: true})
		if got := archives(t, dir); len(got) != 0 {
			t.Errorf("archives = %v, want none", got)
		}
	})
	t.Run("archive from the future counts from now", func(t *testing.T) {
		dir := t.TempDir()
		touch(t, dir, "audit.log.20300101T000000.000Z")
		c := newClock("2026-06-29T18:04:12Z")
		l, _ := openLog(t, dir, c, Limits{MaxAgeDays: 1})
		c.Advance(day + time.Second)
		l.Record(Event{Kind: Login, Success: true})
		if got := archives(t, dir); len(got) != 2 {
			t.Errorf("archives = %v, want a rotation", got)
		}
	})
}

func TestListArchivesOrder(t *testing.T) {
	dir := t.TempDir()
	names := []string{
		"audit.log.20260629T180411.123Z.10",
		"audit.log.20260629T180411.123Z.2",
		"audit.log.20260629T180411.123Z",
		"audit.log.20260629T180411Z",
		"audit.log.20260629T180412Z",
		"audit.log.20250101T000000.000Z",
	}
	touch(t, dir, names...)
	if err := os.Mkdir(filepath.Join(dir, "audit.log.20200101T000000Z"), 0o700); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"audit.log.20250101T000000.000Z",
		"audit.log.20260629T180411Z",
		"audit.log.20260629T180411.123Z",
		"audit.log.20260629T180411.123Z.2",
		"audit.log.20260629T180411.123Z.10",
		"audit.log.20260629T180412Z",
	}
	if got := archives(t, dir); !slices.Equal(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}
