package audit

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
)

// JournalEnabled reports whether logs should go to the journal natively:
// systemd connected the output to the journal (JOURNAL_STREAM is set) and
// journald's socket accepts datagrams.
func JournalEnabled(getenv func(string) string) bool {
	return getenv("JOURNAL_STREAM") != "" && journal.Enabled()
}

// NewLogger returns the daemon's logger: a handler that sends each record to
// the journal with its attributes as fields when useJournal is true, else a
// text handler on w. Records below level are dropped.
func NewLogger(w io.Writer, useJournal bool, level slog.Level) *slog.Logger {
	if useJournal {
		return slog.New(newJournalHandler(journal.Send, w, level))
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// journalHandler is a slog.Handler speaking journald's native protocol, so
// that attributes become fields one can filter on with journalctl.
type journalHandler struct {
	send   sender
	level  slog.Level
	fields map[string]string // from WithAttrs; never modified once shared
	prefix string            // open groups, as "GROUP_"
	// fallback gets the record when journald cannot be reached (restarted,
	// queue full), so nothing is lost; under systemd w is still logged.
	fallback slog.Handler
}

func newJournalHandler(send sender, w io.Writer, level slog.Level) *journalHandler {
	return &journalHandler{
		send:     send,
		level:    level,
		fallback: slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}),
	}
}

func (h *journalHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level
}

func (h *journalHandler) Handle(ctx context.Context, r slog.Record) error {
	vars := make(map[string]string, len(h.fields)+r.NumAttrs())
	maps.Copy(vars, h.fields)
	r.Attrs(func(a slog.Attr) bool {
		addField(vars, h.prefix, a)
		return true
	})
	if err := h.send(r.Message, priority(r.Level), vars); err != nil {
		return h.fallback.Handle(ctx, r)
	}
	return nil
}

func (h *journalHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.fields = maps.Clone(h.fields)
	if c.fields == nil {
		c.fields = make(map[string]string, len(attrs))
	}
	for _, a := range attrs {
		addField(c.fields, h.prefix, a)
	}
	c.fallback = h.fallback.WithAttrs(attrs)
	return &c
}

func (h *journalHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix = h.prefix + name + "_"
	c.fallback = h.fallback.WithGroup(name)
	return &c
}

// priority maps slog levels to syslog priorities; levels between the named
// ones go to the lower neighbour, as slog's own handlers print them.
func priority(level slog.Level) journal.Priority {
	switch {
	case level < slog.LevelInfo:
		return journal.PriDebug
	case level < slog.LevelWarn:
		return journal.PriInfo
	case level < slog.LevelError:
		return journal.PriWarning
	default:
		return journal.PriErr
	}
}

// addField stores a as a journal field, flattening groups into
// GROUP_KEY names.
func addField(vars map[string]string, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return // slog's rule: an empty attribute is ignored
	}
	if a.Value.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "_"
		}
		for _, g := range a.Value.Group() {
			addField(vars, prefix, g)
		}
		return
	}
	value := a.Value.String()
	if a.Value.Kind() == slog.KindTime {
		value = a.Value.Time().Format(time.RFC3339Nano)
	}
	vars[fieldName(prefix+a.Key)] = value
}

// fieldName turns an attribute key into a valid journal field name:
// upper-case letters, digits and '_', at most 64 bytes, not starting with
// a digit or '_' (journald reserves those for fields it adds itself).
// MESSAGE and PRIORITY are set from the record itself, so attributes that
// would land there, like every name that is unusable as is, get an ATTR_
// prefix instead of being dropped.
func fieldName(key string) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			return r
		default:
			return '_'
		}
	}, key)
	if name == "" || name[0] == '_' || (name[0] >= '0' && name[0] <= '9') ||
		name == "MESSAGE" || name == "PRIORITY" {
		name = "ATTR_" + name
	}
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}
