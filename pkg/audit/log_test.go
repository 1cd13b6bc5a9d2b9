package audit

import (
	"bytes"
	"errors"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
)

type journalEntry struct {
	msg  string
	prio journal.Priority
	vars map[string]string
}

// captureLogger returns a journal-handler logger whose records land in the
// returned slice instead of journald.
func captureLogger(level slog.Level, w *bytes.Buffer) (*slog.Logger, *[]journalEntry) {
	var got []journalEntry
	send := func(msg string, prio journal.Priority, vars map[string]string) error {
		got = append(got, journalEntry{msg, prio, vars})
		return nil
	}
	return slog.New(newJournalHandler(send, w, level)), &got
}

func TestJournalHandlerLevels(t *testing.T) {
	logger, got := captureLogger(slog.LevelDebug, nil)
	logger.Debug("d")
	logger.Info("i")
	logger.Log(t.Context(), slog.LevelInfo+2, "between")
	logger.Warn("w")
	logger.Error("e")
	logger.Log(t.Context(), slog.LevelError+4, "beyond")
	want := []journal.Priority{7, 6, 6, 4, 3, 3}
	if len(*got) != len(want) {
		t.Fatalf("sent %d records, want %d", len(*got), len(want))
	}
	for i, e := range *got {
		if e.prio != want[i] {
			t.Errorf("%s: PRIORITY %d, want %d", e.msg, e.prio, want[i])
		}
	}

	logger, got = captureLogger(slog.LevelInfo, nil)
	logger.Debug("dropped")
	logger.Info("kept")
	if len(*got) != 1 || (*got)[0].msg != "kept" {
		t.Errorf("level Info sent %+v", *got)
	}
}

func TestJournalHandlerFields(t *testing.T) {
	logger, got := captureLogger(slog.LevelInfo, nil)
	at := time.Date(2026, 6, 29, 18, 4, 11, 0, time.UTC)
	logger.With("req-id", 7).WithGroup("http").Info("served",
		"status", 200,
		slog.Group("peer", "ip", "10.0.0.5"),
		slog.Time("at", at),
		slog.Any("err", errors.New("boom")),
		slog.Attr{}, // ignored, as slog requires
		slog.Group("empty"),
	)
	logger.Info("top", "message", "x", "Priority", 1, "_cursor", "c", "2fa", true, "größe", 3)
	if len(*got) != 2 {
		t.Fatalf("sent %d records, want 2", len(*got))
	}
	want := []journalEntry{
		{msg: "served", prio: 6, vars: map[string]string{
			"REQ_ID":       "7",
			"HTTP_STATUS":  "200",
			"HTTP_PEER_IP": "10.0.0.5",
			"HTTP_AT":      "2026-06-29T18:04:11Z",
			"HTTP_ERR":     "boom",
		}},
		{msg: "top", prio: 6, vars: map[string]string{
			"ATTR_MESSAGE":  "x",
			"ATTR_PRIORITY": "1",
			"ATTR__CURSOR":  "c",
			"ATTR_2FA":      "true",
			"GR__E":         "3",
		}},
	}
	for i, w := range want {
		g := (*got)[i]
		if g.msg != w.msg || g.prio != w.prio || !maps.Equal(g.vars, w.vars) {
			t.Errorf("got  %+v\nwant %+v", g, w)
		}
	}
}

func TestFieldName(t *testing.T) {
	tests := map[string]string{
		"user":                  "USER",
		"MINIMOST_EVENT":        "MINIMOST_EVENT",
		"remote.addr":           "REMOTE_ADDR",
		"a b-c":                 "A_B_C",
		"":                      "ATTR_",
		"_SYSTEMD_UNIT":         "ATTR__SYSTEMD_UNIT",
		"0x":                    "ATTR_0X",
		"message":               "ATTR_MESSAGE",
		"message_id":            "MESSAGE_ID",
		strings.Repeat("k", 70): strings.Repeat("K", 64),
	}
	for key, want := range tests {
		if got := fieldName(key); got != want {
			t.Errorf("fieldName(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestJournalHandlerFallback(t *testing.T) {
	var w bytes.Buffer
	send := func(string, journal.Priority, map[string]string) error {
		return errors.New("no journald")
	}
	logger := slog.New(newJournalHandler(send, &w, slog.LevelInfo))
	logger.With("a", 1).WithGroup("g").Warn("still here", "b", 2)
	if !strings.Contains(w.String(), `level=WARN msg="still here" a=1 g.b=2`) {
		t.Errorf("fallback wrote %q", w.String())
	}
}

func TestNewLoggerText(t *testing.T) {
	var w bytes.Buffer
	logger := NewLogger(&w, false, slog.LevelInfo)
	logger.Debug("hidden")
	logger.Info("shown", "k", "v")
	if out := w.String(); strings.Contains(out, "hidden") || !strings.Contains(out, "level=INFO msg=shown k=v") {
		t.Errorf("text logger wrote %q", out)
	}
	if _, ok := NewLogger(&w, true, slog.LevelInfo).Handler().(*journalHandler); !ok {
		t.Error("NewLogger(journal=true) does not use the journal handler")
	}
}

func TestJournalEnabledNeedsStream(t *testing.T) {
	if JournalEnabled(func(string) string { return "" }) {
		t.Error("enabled without JOURNAL_STREAM")
	}
}
