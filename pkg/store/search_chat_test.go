package store

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/minimost/minimost/pkg/chat"
)

// searchCorpus is a small chat with text that looks like SQL, FTS5 query
// syntax and LIKE patterns, in channels alice can and cannot read.
type searchCorpus struct {
	*chatFx
	pc, dm int64
	// id names messages by a short key; at their creation times.
	id map[string]int64
	at map[string]int64
}

func newSearchCorpus(t testing.TB) *searchCorpus {
	f := newChatFx(t, "alice", "bob", "carol")
	c := &searchCorpus{chatFx: f, id: map[string]int64{}, at: map[string]int64{}}
	c.pc = f.private("bob", "bob and carol", "carol")
	c.dm = f.dm("bob", "carol")
	for _, m := range []struct{ key, user, ch, text string }{
		{"deploy", "alice", "general", "Deploy the Firmware today"},
		{"update", "bob", "general", "firmware update is out"},
		{"chatter", "bob", "random", "unrelated chatter"},
		{"secret", "bob", "pc", "firmware secret"},
		{"dm", "bob", "dm", "firmware in DM"},
		{"quote", "alice", "random", `say "hi" to a*b`},
		{"syntax", "alice", "general", "x AND y NEAR(a b) col:umn -minus ^caret {braces}"},
		{"like", "bob", "general", "100% of snake_case names"},
		{"sql", "bob", "general", "'; DROP TABLE messages; --"},
		{"accents", "bob", "general", "café CAFÉ Über straße"},
		{"edited", "alice", "general", "old text"},
		{"doomed", "bob", "general", "doomed firmware"},
	} {
		f.clock.Advance(time.Second)
		ch := map[string]int64{"general": f.general, "random": f.random, "pc": c.pc, "dm": c.dm}[m.ch]
		msg := f.post(m.user, ch, m.text)
		c.id[m.key], c.at[m.key] = msg.ID, msg.CreatedAt
	}
	if _, err := f.db.Edit(f.ctx, f.ids["alice"], c.id["edited"], "brand new text", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Delete(f.ctx, f.ids["bob"], c.id["doomed"], nil); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *searchCorpus) keys(ids []int64) []string {
	byID := map[int64]string{}
	for k, id := range c.id {
		byID[id] = k
	}
	out := []string{}
	for _, id := range ids {
		out = append(out, byID[id])
	}
	return out
}

// TestSearch checks matching (case-insensitive, mid-word, literal), order,
// filters and scope for a reader of the public channels only.
func TestSearch(t *testing.T) {
	c := newSearchCorpus(t)
	tests := []struct {
		name string
		user string
		sq   SearchQuery
		want string // keys, newest first, space-separated
		code string
	}{
		{name: "case-insensitive", sq: SearchQuery{Q: "FIRMWARE"}, want: "update deploy"},
		{name: "mid-word", sq: SearchQuery{Q: "irmwa"}, want: "update deploy"},
		{name: "a member of the private channel and the DM", user: "carol", sq: SearchQuery{Q: "firmware"}, want: "dm secret update deploy"},
		{name: "channel filter", sq: SearchQuery{Q: "firmware", ChannelID: -1}, want: "update deploy"},
		{name: "channel filter elsewhere", sq: SearchQuery{Q: "firmware", ChannelID: -2}, want: ""},
		{name: "unreadable private channel", sq: SearchQuery{Q: "firmware", ChannelID: -3}, code: chat.ENotFound},
		{name: "unreadable DM", sq: SearchQuery{Q: "firmware", ChannelID: -4}, code: chat.ENotFound},
		{name: "no such channel", sq: SearchQuery{Q: "firmware", ChannelID: 1 << 40}, code: chat.ENotFound},
		{name: "from, any case", sq: SearchQuery{Q: "firmware", From: "BOB", HasFrom: true}, want: "update"},
		{name: "from nobody", sq: SearchQuery{Q: "firmware", From: "nobody", HasFrom: true}, want: ""},
		{name: "empty q with from lists newest", sq: SearchQuery{From: "alice", HasFrom: true}, want: "edited syntax quote deploy"},
		{name: "after is exclusive", sq: SearchQuery{Q: "firmware", After: -1}, want: "update"},
		{name: "before is exclusive", sq: SearchQuery{Q: "firmware", Before: -2}, want: "deploy"},
		{name: "between two messages", sq: SearchQuery{Q: "firmware", After: -1, Before: -2}, want: ""},
		{name: "limit keeps the newest", sq: SearchQuery{Q: "e", Limit: 2}, want: "edited accents"},
		{name: "deleted text", sq: SearchQuery{Q: "doomed"}, want: ""},
		{name: "old text of an edit", sq: SearchQuery{Q: "old text"}, want: ""},
		{name: "new text of an edit", sq: SearchQuery{Q: "new text"}, want: "edited"},
		{name: "double quotes", sq: SearchQuery{Q: `"hi"`}, want: "quote"},
		{name: "one double quote", sq: SearchQuery{Q: `"`}, want: "quote"},
		{name: "unbalanced quote", sq: SearchQuery{Q: `say "hi`}, want: "quote"},
		{name: "star", sq: SearchQuery{Q: "a*b"}, want: "quote"},
		{name: "star alone", sq: SearchQuery{Q: "*"}, want: "quote"},
		{name: "AND", sq: SearchQuery{Q: "AND"}, want: "edited syntax"},
		{name: "x AND y", sq: SearchQuery{Q: "x AND y"}, want: "syntax"},
		{name: "NEAR(", sq: SearchQuery{Q: "NEAR("}, want: "syntax"},
		{name: "column filter syntax", sq: SearchQuery{Q: "col:umn"}, want: "syntax"},
		{name: "leading minus", sq: SearchQuery{Q: "-minus"}, want: "syntax"},
		{name: "caret", sq: SearchQuery{Q: "^caret"}, want: "syntax"},
		{name: "braces", sq: SearchQuery{Q: "{braces}"}, want: "syntax"},
		{name: "percent", sq: SearchQuery{Q: "100%"}, want: "like"},
		{name: "percent alone", sq: SearchQuery{Q: "%"}, want: "like"},
		{name: "underscore alone", sq: SearchQuery{Q: "_"}, want: "like"},
		{name: "underscore mid-word", sq: SearchQuery{Q: "e_c"}, want: "like"},
		{name: "SQL", sq: SearchQuery{Q: "'; DROP TABLE"}, want: "sql"},
		{name: "SQL comment", sq: SearchQuery{Q: "--"}, want: "sql"},
		{name: "accented, other case", sq: SearchQuery{Q: "CAFÉ"}, want: "accents"},
		{name: "non-ASCII upper case", sq: SearchQuery{Q: "ÜBER"}, want: "accents"},
		{name: "two characters, scanned", sq: SearchQuery{Q: "üB"}, want: "accents"},
		{name: "one character, scanned", sq: SearchQuery{Q: "É"}, want: "accents"},
		{name: "a NUL byte matches nothing", sq: SearchQuery{Q: "firm\x00ware"}, want: ""},
		{name: "a short NUL", sq: SearchQuery{Q: "\x00"}, want: ""},
		{name: "invalid UTF-8", sq: SearchQuery{Q: "\xff\xfefirm"}, want: ""},
	}
	chans := map[int64]int64{-1: c.general, -2: c.random, -3: c.pc, -4: c.dm}
	times := map[int64]int64{-1: c.at["deploy"], -2: c.at["update"]}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sq := tt.sq
			if sq.Limit == 0 {
				sq.Limit = 50
			}
			if ch, ok := chans[sq.ChannelID]; ok {
				sq.ChannelID = ch
			}
			if at, ok := times[sq.After]; ok {
				sq.After = at
			}
			if at, ok := times[sq.Before]; ok {
				sq.Before = at
			}
			user := tt.user
			if user == "" {
				user = "alice"
			}
			ms, err := c.db.Search(c.ctx, c.ids[user], sq)
			wantCode(t, "search", err, tt.code)
			if err != nil {
				return
			}
			if got := strings.Join(c.keys(msgIDs(ms)), " "); got != tt.want {
				t.Errorf("found %q, want %q", got, tt.want)
			}
		})
	}
}

// TestSearchShortScan: one- and two-character queries scan only the
// newest 20 000 visible messages, while longer ones use the index and
// reach everything.
func TestSearchShortScan(t *testing.T) {
	f := newChatFx(t, "alice", "bob")
	old := f.post("alice", f.general, "qz marker")
	f.postMany("bob", f.general, chat.SearchShortScan, "filler %d")
	// Messages alice cannot see do not use up her scan.
	pc := f.private("bob", "bob's")
	f.postMany("bob", pc, 100, "qz hidden %d")
	recent := f.post("alice", f.random, "recent qz item")
	search := func(q string) []int64 {
		t.Helper()
		ms, err := f.db.Search(f.ctx, f.id("alice"), SearchQuery{Q: q, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		return msgIDs(ms)
	}
	sameIDs(t, "two characters", search("qz"), []int64{recent.ID})
	sameIDs(t, "three characters", search("qz "), []int64{recent.ID, old.ID})
}

// FuzzSearchQuery feeds arbitrary queries and filters to the search of a
// small chat: it never fails with a query syntax error, and every hit is
// a live message of a channel the caller can read, within the filters.
func FuzzSearchQuery(f *testing.F) {
	for _, q := range []string{"firmware", "FIRM", `"`, `""`, `a"b`, "*", "a*b", "AND", "x OR y", "NOT z", "NEAR(a b)", "col:umn",
		"-x", "^a", "{a b}", "(", ")", "%", "_", "100%", "'; DROP TABLE messages; --", "\x00", "a\x00b", "\xff\xfe\xfd",
		"é", "ÜBER", "ß", "ẞ", "K", "\u212a", "ς", "Σ", "  ", strings.Repeat("a", 200), "😀😀", "\u200b\u200b\u200b"} {
		f.Add(q, uint8(0), "", int64(0), int64(0), uint8(50))
	}
	f.Add("firmware", uint8(1), "bob", int64(1), int64(0), uint8(1))
	f.Add("", uint8(3), "BOB", int64(0), int64(1<<62), uint8(200))
	c := newSearchCorpus(f)
	alice := c.ids["alice"]
	readable := map[int64]bool{c.general: true, c.random: true}
	chans := []int64{0, c.general, c.random, c.pc, c.dm, 1 << 40}
	f.Fuzz(func(t *testing.T, q string, chSel uint8, from string, after, before int64, limit uint8) {
		sq := SearchQuery{Q: q, ChannelID: chans[int(chSel)%len(chans)], From: from, HasFrom: from != "",
			After: after, Before: before, Limit: 1 + int(limit)%200}
		ms, err := c.db.Search(c.ctx, alice, sq)
		if err != nil {
			if chat.ErrorCode(err) == chat.ENotFound && sq.ChannelID != 0 && !readable[sq.ChannelID] {
				return
			}
			t.Fatalf("Search(%+v): %v", sq, err)
		}
		if len(ms) > sq.Limit {
			t.Fatalf("%d results over the limit %d", len(ms), sq.Limit)
		}
		for i, m := range ms {
			if !readable[m.ChannelID] || m.Deleted {
				t.Fatalf("result %d from channel %d (deleted %v)", m.ID, m.ChannelID, m.Deleted)
			}
			if sq.ChannelID != 0 && m.ChannelID != sq.ChannelID {
				t.Fatalf("result %d outside the channel filter", m.ID)
			}
			if i > 0 && m.ID >= ms[i-1].ID {
				t.Fatalf("results not newest first: %d after %d", m.ID, ms[i-1].ID)
			}
			if sq.After > 0 && m.CreatedAt <= sq.After || sq.Before > 0 && m.CreatedAt >= sq.Before {
				t.Fatalf("result %d at %d outside (%d, %d)", m.ID, m.CreatedAt, sq.After, sq.Before)
			}
			if sq.HasFrom && !strings.EqualFold(m.Author, from) {
				t.Fatalf("result by %s for from=%q", m.Author, from)
			}
			if utf8.ValidString(q) && !chat.ContainsFold(m.Text, q) {
				t.Fatalf("result %q does not contain %q", m.Text, q)
			}
		}
	})
}
