package audit

import (
	"bytes"
	"errors"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coreos/go-systemd/v22/journal"
)

var allKinds = []string{
	Login, Logout, SessionTimeout, AccountCreate, AccountDelete,
	AccountLockout, AccountLock, AccountUnlock, PasswordChange,
	PasswordReset, PasswordResetIssued, PasswordExpired, AccessDenied,
	SessionsRevoked, TokenCreate, TokenDelete, HookCreate, HookDelete,
	SettingsReload, AdminBackup, AdminRetention, TLSGenerated,
}

// clock is a pinned clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(s string) *clock {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return &clock{t: t}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer lets the logger write from many goroutines while a test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// openLog opens a Log in dir whose logger writes text to the returned buffer.
func openLog(t *testing.T, dir string, c *clock, lim Limits) (*Log, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	l, err := New(Options{
		Dir:    dir,
		Limits: lim,
		Logger: slog.New(slog.NewTextHandler(out, nil)),
		Now:    c.Now,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l, out
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		return nil
	}
	if data[len(data)-1] != '\n' {
		t.Fatalf("%s does not end with a newline", filepath.Base(path))
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func TestLineFormat(t *testing.T) {
	long := strings.Repeat("é", 300)
	tests := []struct {
		name string
		e    Event
		want string
	}{
		{"spec example", Event{Kind: Login, User: "alice", Src: "10.0.0.5", Detail: "bad password"},
			`event=login outcome=failure user=alice src=10.0.0.5 detail="bad password"`},
		{"empty fields omitted", Event{Kind: Logout, Success: true, User: "alice", Src: "::1"},
			`event=logout outcome=success user=alice src=::1`},
		{"only detail", Event{Kind: TLSGenerated, Success: true, Detail: "leaf"},
			`event=tls_generated outcome=success detail=leaf`},
		{"quote and equals", Event{Kind: Login, User: `a"b`, Detail: "k=v"},
			`event=login outcome=failure user="a\"b" detail="k=v"`},
		{"backslash alone stays bare", Event{Kind: AccessDenied, Detail: `GET /a\b`},
			`event=access_denied outcome=failure detail="GET /a\\b"`},
		{"control characters stripped", Event{Kind: Login, User: "ali\nce\x00\x1b[31m", Detail: "one\r\ntwo\u0085"},
			`event=login outcome=failure user=alice[31m detail=onetwo`},
		{"line separators and bidi controls stripped", Event{Kind: Login, User: "\u202eevil\u2028"},
			`event=login outcome=failure user=evil`},
		{"invisible characters escaped", Event{Kind: Login, User: "bob\u200b"},
			`event=login outcome=failure user="bob\u200b"`},
		{"unicode space quoted", Event{Kind: Login, User: "a\u00a0b"},
			`event=login outcome=failure user="a\u00a0b"`},
		{"cut to 256 characters", Event{Kind: AccessDenied, Detail: long},
			`event=access_denied outcome=failure detail=` + strings.Repeat("é", 256)},
		{"cut counts after stripping", Event{Kind: AccessDenied, Detail: strings.Repeat("\n", 50) + strings.Repeat("x", 300)},
			`event=access_denied outcome=failure detail=` + strings.Repeat("x", 256)},
		{"empty kind", Event{Success: true},
			`event="" outcome=success`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			// A non-UTC zone and sub-millisecond digits check the conversion
			// and the truncation to milliseconds.
			c := newClock("2026-06-29T20:04:11.123987654+02:00")
			l, _ := openLog(t, dir, c, Limits{})
			l.Record(tt.e)
			got := readLines(t, filepath.Join(dir, fileName))
			want := []string{"2026-06-29T18:04:11.123Z " + tt.want}
			if !slices.Equal(got, want) {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
}

func TestCleanValueCutsOnCharacters(t *testing.T) {
	got := cleanValue(strings.Repeat("日本", 200))
	if n := utf8.RuneCountInString(got); n != maxValueLen {
		t.Errorf("got %d characters, want %d", n, maxValueLen)
	}
	if !utf8.ValidString(got) {
		t.Error("cut produced invalid UTF-8")
	}
	if got := cleanValue("a\xffb"); got != "a\uFFFDb" {
		t.Errorf("invalid UTF-8: got %q", got)
	}
}

// TestEventFieldsAreAllWritten pins the design that keeps secrets out of
// the trail: Event has no field that is carried but not written, so a
// caller has no place to hand over a password or token "for context".
// Adding a field means deciding how it is written, here and in
// docs/audit.md.
func TestEventFieldsAreAllWritten(t *testing.T) {
	typ := reflect.TypeFor[Event]()
	var names []string
	for i := range typ.NumField() {
		names = append(names, typ.Field(i).Name)
	}
	want := []string{"Kind", "Success", "User", "Src", "Detail"}
	if !slices.Equal(names, want) {
		t.Fatalf("Event fields = %v, want %v", names, want)
	}
}

func TestFileMode(t *testing.T) {
	t.Run("new file", func(t *testing.T) {
		dir := t.TempDir()
		l, _ := openLog(t, dir, newClock("2026-06-29T18:04:11Z"), Limits{})
		l.Record(Event{Kind: Login, Success: true, User: "alice"})
		checkMode(t, filepath.Join(dir, fileName))
	})
	t.Run("adopted file is tightened", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, fileName)
		if err := os.WriteFile(path, []byte("2026-01-01T00:00:00Z event=login outcome=success user=bob src=-\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		l, _ := openLog(t, dir, newClock("2026-06-29T18:04:11Z"), Limits{})
		checkMode(t, path)
		l.Record(Event{Kind: Logout, Success: true, User: "bob"})
		if got := readLines(t, path); len(got) != 2 {
			t.Errorf("old lines not kept: %q", got)
		}
	})
	t.Run("recreated after removal", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, fileName)
		l, _ := openLog(t, dir, newClock("2026-06-29T18:04:11Z"), Limits{})
		l.Record(Event{Kind: Login, Success: true, User: "alice"})
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		l.Record(Event{Kind: Logout, Success: true, User: "alice"})
		checkMode(t, path)
		want := []string{"2026-06-29T18:04:11.000Z event=logout outcome=success user=alice"}
		if got := readLines(t, path); !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

func checkMode(t *testing.T, path string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("mode = %v, want 0600", got)
	}
}

func TestJournalFields(t *testing.T) {
	type sent struct {
		msg  string
		prio journal.Priority
		vars map[string]string
	}
	tests := []struct {
		name string
		e    Event
		want sent
	}{
		{"failure", Event{Kind: Login, User: "alice", Src: "10.0.0.5", Detail: "bad password"}, sent{
			msg:  `audit: event=login outcome=failure user=alice src=10.0.0.5 detail="bad password"`,
			prio: 4,
			vars: map[string]string{
				"MINIMOST_EVENT":   "login",
				"MINIMOST_OUTCOME": "failure",
				"MINIMOST_USER":    "alice",
				"MINIMOST_SRC":     "10.0.0.5",
				"MINIMOST_DETAIL":  "bad password",
				"MESSAGE_ID":       "214ed0bd6df240eba5f9ee548d1a0452",
			},
		}},
		{"success without detail", Event{Kind: AccountUnlock, Success: true, User: "bob", Src: "admin:uid=0"}, sent{
			msg:  `audit: event=account_unlock outcome=success user=bob src="admin:uid=0"`,
			prio: 5,
			vars: map[string]string{
				"MINIMOST_EVENT":   "account_unlock",
				"MINIMOST_OUTCOME": "success",
				"MINIMOST_USER":    "bob",
				"MINIMOST_SRC":     "admin:uid=0",
				"MESSAGE_ID":       "1599aa8ef71147788e48479bcaaac7ae",
			},
		}},
		{"values cleaned", Event{Kind: Login, User: "eve\nMESSAGE=forged"}, sent{
			msg:  `audit: event=login outcome=failure user="eveMESSAGE=forged"`,
			prio: 4,
			vars: map[string]string{
				"MINIMOST_EVENT":   "login",
				"MINIMOST_OUTCOME": "failure",
				"MINIMOST_USER":    "eveMESSAGE=forged",
				"MESSAGE_ID":       "214ed0bd6df240eba5f9ee548d1a0452",
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			l, out := openLog(t, dir, newClock("2026-06-29T18:04:11Z"), Limits{})
			var got []sent
			l.send = func(msg string, prio journal.Priority, vars map[string]string) error {
				got = append(got, sent{msg, prio, vars})
				return nil
			}
			l.Record(tt.e)
			if len(got) != 1 {
				t.Fatalf("sent %d records, want 1", len(got))
			}
			if got[0].msg != tt.want.msg || got[0].prio != tt.want.prio || !maps.Equal(got[0].vars, tt.want.vars) {
				t.Errorf("got  %+v\nwant %+v", got[0], tt.want)
			}
			if out.String() != "" {
				t.Errorf("journal record also logged: %q", out.String())
			}
			if lines := readLines(t, filepath.Join(dir, fileName)); len(lines) != 1 {
				t.Errorf("audit.log has %d lines, want 1", len(lines))
			}
		})
	}
}

func TestJournalSendFailureFallsBackToLogger(t *testing.T) {
	l, out := openLog(t, t.TempDir(), newClock("2026-06-29T18:04:11Z"), Limits{})
	l.send = func(string, journal.Priority, map[string]string) error {
		return errors.New("connection refused")
	}
	l.Record(Event{Kind: Login, User: "alice", Src: "10.0.0.5"})
	for _, want := range []string{
		`msg="audit: cannot send record to the journal" err="connection refused"`,
		`level=WARN msg=audit event=login outcome=failure user=alice src=10.0.0.5`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRecordWithoutJournal(t *testing.T) {
	l, out := openLog(t, t.TempDir(), newClock("2026-06-29T18:04:11Z"), Limits{})
	l.Record(Event{Kind: Login, User: "alice", Src: "10.0.0.5", Detail: "bad password"})
	l.Record(Event{Kind: Logout, Success: true, User: "alice"})
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		`level=WARN msg=audit event=login outcome=failure user=alice src=10.0.0.5 detail="bad password"`,
		`level=INFO msg=audit event=logout outcome=success user=alice`,
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d log lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i := range want {
		_, rest, _ := strings.Cut(lines[i], " ") // drop time=
		if rest != want[i] {
			t.Errorf("line %d:\ngot  %s\nwant %s", i, rest, want[i])
		}
	}
}

func TestMessageIDs(t *testing.T) {
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	seen := map[string]string{}
	for _, kind := range allKinds {
		id := MessageID(kind)
		if !hex32.MatchString(id) {
			t.Errorf("%s: MESSAGE_ID %q is not 32 lowercase hex digits", kind, id)
		}
		if other, ok := seen[id]; ok {
			t.Errorf("%s and %s share MESSAGE_ID %s", kind, other, id)
		}
		seen[id] = kind
	}
	if len(messageIDs) != len(allKinds) {
		t.Errorf("%d MESSAGE_IDs for %d kinds", len(messageIDs), len(allKinds))
	}
	if id := MessageID("no_such_event"); id != "" {
		t.Errorf("unknown kind has MESSAGE_ID %q", id)
	}
}

// TestMessageIDsDocumented keeps docs/audit.md, which operators build
// journal queries from, in step with the code.
func TestMessageIDsDocumented(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "audit.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|.*\\| `([0-9a-f]{32})` \\|$")
	for _, m := range row.FindAllStringSubmatch(string(data), -1) {
		rows[m[1]] = m[2]
	}
	if !maps.Equal(rows, messageIDs) {
		t.Errorf("docs/audit.md table %v\ndiffers from code %v", rows, messageIDs)
	}
}

func TestConcurrentRecords(t *testing.T) {
	dir := t.TempDir()
	// About 1.7 MB of records against a 1 MiB limit: a rotation happens
	// while goroutines are writing.
	l, out := openLog(t, dir, newClock("2026-06-29T18:04:11Z"), Limits{MaxSizeMB: 1})
	const goroutines, each = 20, 250
	pad := strings.Repeat("p", 300)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				l.Record(Event{Kind: AccessDenied, User: "u", Src: "10.0.0.1",
					Detail: "id-" + strconv.Itoa(g) + "-" + strconv.Itoa(i) + "-" + pad})
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^2026-06-29T18:04:11\.000Z event=access_denied outcome=failure user=u src=10\.0\.0\.1 detail=(id-\d+-\d+)-(p+)$`)
	ids := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(dir, fileName+"*"))
	if len(files) < 2 {
		t.Errorf("no rotation happened: %v", files)
	}
	for _, f := range files {
		for _, s := range readLines(t, f) {
			m := line.FindStringSubmatch(s)
			if m == nil {
				t.Fatalf("torn or malformed line in %s: %q", filepath.Base(f), s)
			}
			if n := len(m[1]) + 1 + len(m[2]); n != maxValueLen {
				t.Errorf("detail of %s has %d characters, want %d", m[1], n, maxValueLen)
			}
			if ids[m[1]] {
				t.Errorf("duplicate record %s", m[1])
			}
			ids[m[1]] = true
		}
	}
	if len(ids) != goroutines*each {
		t.Errorf("found %d records, want %d", len(ids), goroutines*each)
	}
	if strings.Contains(out.String(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", out.String())
	}
}

func TestUnwritable(t *testing.T) {
	t.Run("New fails when the directory cannot exist", func(t *testing.T) {
		parent := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(parent, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := New(Options{Dir: filepath.Join(parent, "state"), Logger: slog.New(slog.DiscardHandler)})
		if err == nil {
			t.Fatal("New succeeded under a regular file")
		}
	})
	t.Run("Record logs and carries on", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "state")
		l, out := openLog(t, dir, newClock("2026-06-29T18:04:11Z"), Limits{})
		var sent int
		l.send = func(string, journal.Priority, map[string]string) error {
			sent++
			return nil
		}
		// Tests run as root, so permissions cannot stop the write; a regular
		// file where the directory was makes every open fail instead.
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dir, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		l.Record(Event{Kind: Login, User: "alice"})
		l.Record(Event{Kind: Login, User: "alice"})
		if sent != 2 {
			t.Errorf("journal got %d records, want 2", sent)
		}
		if n := strings.Count(out.String(), `level=ERROR msg="audit: cannot write audit.log"`); n != 2 {
			t.Errorf("logged %d write errors, want 2:\n%s", n, out.String())
		}

		// Once the directory is back, records reach the file again.
		if err := os.Remove(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		l.Record(Event{Kind: Login, Success: true, User: "alice"})
		if got := readLines(t, filepath.Join(dir, fileName)); len(got) != 1 {
			t.Errorf("after recovery: %q", got)
		}
	})
}

func TestClose(t *testing.T) {
	dir := t.TempDir()
	l, out := openLog(t, dir, newClock("2026-06-29T18:04:11Z"), Limits{})
	l.Record(Event{Kind: Login, Success: true, User: "alice"})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	l.Record(Event{Kind: Logout, Success: true, User: "alice"})
	if got := readLines(t, filepath.Join(dir, fileName)); len(got) != 1 {
		t.Errorf("record written after Close: %q", got)
	}
	if !strings.Contains(out.String(), "audit: log is closed") {
		t.Errorf("write after Close not reported:\n%s", out.String())
	}
}
