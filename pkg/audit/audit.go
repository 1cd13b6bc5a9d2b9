// Package audit writes MiniMost's security audit records and builds the
// daemon's logger.
//
// Every record goes to two places: the journal (or, without one, the slog
// logger on stderr) with fixed MINIMOST_* fields and a MESSAGE_ID per event
// kind, and the file audit.log in the state directory, which rotates by size
// and by age. The file survives journal vacuuming and is what auditors copy.
//
// Event deliberately has no free-form field: everything in it is written.
// Callers must never put passwords, hashes, session ids, tokens or message
// text into User, Src or Detail.
package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/coreos/go-systemd/v22/journal"
)

// Event kinds, as written in the MINIMOST_EVENT field and the event= column.
const (
	Login               = "login"
	Logout              = "logout"
	SessionTimeout      = "session_timeout"
	AccountCreate       = "account_create"
	AccountDelete       = "account_delete"
	AccountLockout      = "account_lockout"
	AccountLock         = "account_lock"
	AccountUnlock       = "account_unlock"
	PasswordChange      = "password_change"
	PasswordReset       = "password_reset"
	PasswordResetIssued = "password_reset_issued"
	PasswordExpired     = "password_expired"
	AccessDenied        = "access_denied"
	SessionsRevoked     = "sessions_revoked"
	TokenCreate         = "token_create"
	TokenDelete         = "token_delete"
	HookCreate          = "hook_create"
	HookDelete          = "hook_delete"
	SettingsReload      = "settings_reload"
	AdminBackup         = "admin_backup"
	AdminRetention      = "admin_retention"
	TLSGenerated        = "tls_generated"
)

// messageIDs were drawn once from a random source. Operators build journal
// queries and alert rules on them, so an id must never change and a new
// kind gets a new random id (systemd-id128 new), listed in docs/audit.md.
var messageIDs = map[string]string{
	Login:               "214ed0bd6df240eba5f9ee548d1a0452",
	Logout:              "40f2c162237d4f08be06c0232cce5980",
	SessionTimeout:      "d8f886f54ea2419c8bb16c96619c88ae",
	AccountCreate:       "57e55db30dc34569937bf49c986bf7fd",
	AccountDelete:       "7dc8f426bf484a539abc63534517e31d",
	AccountLockout:      "d4b113bd14144ab58baa4ea6fd386819",
	AccountLock:         "570e070c44f4435281959d9b300c1495",
	AccountUnlock:       "1599aa8ef71147788e48479bcaaac7ae",
	PasswordChange:      "023c05eee7424bcd8cb6a57c58dc2cac",
	PasswordReset:       "38fc1d20c5a249919b340f6814b10d1a",
	PasswordResetIssued: "6ee451471039483c91a8348eff489c66",
	PasswordExpired:     "f9a8666d87644929b0430e796b5ab407",
	AccessDenied:        "ed74c2ea2f3f43ccbb975fe8cb00cd7c",
	SessionsRevoked:     "48d53ada0a704787b54da44126baf4ea",
	TokenCreate:         "c10c5072b5a84c95bafbe4a7c5e0079d",
	TokenDelete:         "8e868f83ddf54153ad5eedb4ebf49cc8",
	HookCreate:          "34bd50af0100447b9f3dfeceaa17ade3",
	HookDelete:          "3f74249d326a405082cac69ea96c5df8",
	SettingsReload:      "a947fcf0ad1c4025afc735107264bcf1",
	AdminBackup:         "ebd1cce47e6f490892082911ceb2e9c9",
	AdminRetention:      "e95a2936c00341ddb6a0e652a47261f6",
	TLSGenerated:        "7693669ca0644b509873254262ea916f",
}

// MessageID returns the fixed journal MESSAGE_ID of an event kind, or ""
// for a kind this package does not know.
func MessageID(kind string) string {
	return messageIDs[kind]
}

// maxValueLen bounds every written value, in characters, so that a hostile
// user name or path cannot bloat the audit trail.
const maxValueLen = 256

// Event is one security-relevant action. Every field is written to the
// journal and to audit.log; see the package comment about secrets.
type Event struct {
	// Kind is one of the event kind constants.
	Kind string
	// Success selects the outcome: success or failure.
	Success bool
	// User is the canonical user name, or the name as typed when no such
	// account exists.
	User string
	// Src is the client IP address, or admin:uid=<n> for the admin socket.
	Src string
	// Detail is a short, non-secret explanation such as "bad password".
	Detail string
}

func (e Event) outcome() string {
	if e.Success {
		return "success"
	}
	return "failure"
}

// clean applies the value rules to every field, so the journal, stderr and
// audit.log all show the same, safe text.
func (e Event) clean() Event {
	e.Kind = cleanValue(e.Kind)
	e.User = cleanValue(e.User)
	e.Src = cleanValue(e.Src)
	e.Detail = cleanValue(e.Detail)
	return e
}

// cleanValue drops control characters, which could forge a second line in
// audit.log or a terminal, and cuts the result to maxValueLen characters.
// Line and paragraph separators and bidirectional controls go too: they
// break or visually reorder a line just as well in a log viewer. Invalid
// UTF-8 becomes U+FFFD.
func cleanValue(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Bidi_Control) {
			continue
		}
		if n == maxValueLen {
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// fields renders "event=... outcome=..." and the non-empty optional fields;
// the same text is the audit.log line after its timestamp and the journal
// MESSAGE after its prefix.
func (e Event) fields() string {
	var b strings.Builder
	b.WriteString("event=")
	b.WriteString(quote(e.Kind))
	b.WriteString(" outcome=")
	b.WriteString(e.outcome())
	for _, f := range [...]struct{ key, value string }{
		{"user", e.User},
		{"src", e.Src},
		{"detail", e.Detail},
	} {
		if f.value == "" {
			continue
		}
		b.WriteByte(' ')
		b.WriteString(f.key)
		b.WriteByte('=')
		b.WriteString(quote(f.value))
	}
	return b.String()
}

// quote leaves plain tokens bare for easy grepping and quotes, Go style,
// anything a reader splitting on spaces and '=' would misparse.
func quote(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if unicode.IsSpace(r) || r == '"' || r == '=' || !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// stampLayout is UTC with milliseconds: records of one request burst stay
// ordered, and a fixed width keeps the columns aligned.
const stampLayout = "2006-01-02T15:04:05.000Z"

func formatLine(t time.Time, e Event) string {
	return t.UTC().Format(stampLayout) + " " + e.fields() + "\n"
}

// Limits are the rotation settings audit_log_max_size_mb,
// audit_log_max_age_days and audit_log_backups; zero disables each.
type Limits struct {
	MaxSizeMB  int
	MaxAgeDays int
	Backups    int
}

// Options configure New.
type Options struct {
	// Dir is the state directory that holds audit.log and its archives.
	Dir string
	// Limits are the initial rotation settings.
	Limits Limits
	// Journal sends records to journald natively instead of through Logger.
	Journal bool
	// Logger receives records when Journal is false, and any error met
	// while writing audit.log; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// sender is the shape of journal.Send, so tests can capture the fields.
type sender func(msg string, prio journal.Priority, vars map[string]string) error

var errClosed = errors.New("audit: log is closed")

// Log is the audit trail of one daemon. It is safe for concurrent use.
type Log struct {
	dir    string
	path   string
	logger *slog.Logger
	now    func() time.Time
	send   sender // nil without the journal

	mu      sync.Mutex
	f       *os.File // nil when the last open failed or after Close
	closed  bool
	limits  Limits
	rotated time.Time // when the current audit.log was started
}

// New opens Dir/audit.log for appending, creating Dir and the file (mode
// 0600) when missing, and recovers the time of the last rotation.
func New(opts Options) (*Log, error) {
	if opts.Dir == "" {
		return nil, errors.New("audit: no state directory")
	}
	l := &Log{
		dir:    opts.Dir,
		path:   filepath.Join(opts.Dir, fileName),
		logger: opts.Logger,
		now:    opts.Now,
		limits: opts.Limits,
	}
	if l.logger == nil {
		l.logger = slog.Default()
	}
	if l.now == nil {
		l.now = time.Now
	}
	if opts.Journal {
		l.send = journal.Send
	}
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	rotated, err := lastRotation(l.dir, l.now())
	if err != nil {
		return nil, err
	}
	l.rotated = rotated
	if l.f, err = openFile(l.path); err != nil {
		return nil, err
	}
	return l, nil
}

// Record writes e to the journal (or the logger) and appends it to
// audit.log before returning. A failure to write audit.log is logged, not
// returned: the request being audited must still complete.
func (l *Log) Record(e Event) {
	e = e.clean()
	now := l.now()
	l.emit(e)
	if err := l.writeLine(now, formatLine(now, e)); err != nil {
		l.logger.Error("audit: cannot write audit.log", "err", err)
	}
}

func (l *Log) emit(e Event) {
	if l.send != nil {
		vars := map[string]string{
			"MINIMOST_EVENT":   e.Kind,
			"MINIMOST_OUTCOME": e.outcome(),
		}
		for _, f := range [...]struct{ key, value string }{
			{"MINIMOST_USER", e.User},
			{"MINIMOST_SRC", e.Src},
			{"MINIMOST_DETAIL", e.Detail},
			{"MESSAGE_ID", MessageID(e.Kind)},
		} {
			if f.value != "" {
				vars[f.key] = f.value
			}
		}
		prio := journal.PriNotice
		if !e.Success {
			prio = journal.PriWarning
		}
		err := l.send("audit: "+e.fields(), prio, vars)
		if err == nil {
			return
		}
		// Fall through: the logger's own fallback keeps the record visible
		// on stderr while journald is unreachable.
		l.logger.Error("audit: cannot send record to the journal", "err", err)
	}
	level := slog.LevelInfo
	if !e.Success {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{slog.String("event", e.Kind), slog.String("outcome", e.outcome())}
	for _, a := range [...]slog.Attr{
		slog.String("user", e.User),
		slog.String("src", e.Src),
		slog.String("detail", e.Detail),
	} {
		if a.Value.String() != "" {
			attrs = append(attrs, a)
		}
	}
	l.logger.LogAttrs(context.Background(), level, "audit", attrs...)
}

// SetLimits replaces the rotation settings; they apply from the next
// record on, a lowered Backups at the next rotation.
func (l *Log) SetLimits(lim Limits) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.limits = lim
}

// Close flushes audit.log to disk and closes it. Records after Close still
// reach the journal but not the file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if l.f == nil {
		return nil
	}
	err := errors.Join(l.f.Sync(), l.f.Close())
	l.f = nil
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}
