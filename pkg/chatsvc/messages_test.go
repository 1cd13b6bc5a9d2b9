package chatsvc

import (
	"errors"
	"strings"
	"testing"

	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/config"
	"github.com/minimost/minimost/pkg/store"
)

// TestTextRules: length counts characters after trailing whitespace is
// cut, for posts and edits alike; NUL is refused; a refusal stores nothing.
func TestTextRules(t *testing.T) {
	const max = 12
	e := newSvcEnv(t, func(s *config.Settings) { s.MaxMessageLength = max }, "alice")
	alice := e.user("alice")
	target := e.post("alice", e.general, "to be edited")
	tests := []struct {
		name string
		text string
		code string
	}{
		{"exactly max é", strings.Repeat("é", max), ""},
		{"max é and trailing whitespace", strings.Repeat("é", max) + " \t\r\n", ""},
		{"max+1 é", strings.Repeat("é", max+1), chat.EBadRequest},
		{"max emoji", strings.Repeat("😀", max), ""},
		{"max+1 emoji", strings.Repeat("😀", max+1), chat.EBadRequest},
		{"leading spaces count", strings.Repeat(" ", 2) + strings.Repeat("x", max-1), chat.EBadRequest},
		{"NUL", "a\x00b", chat.EBadRequest},
		{"only whitespace", " \t\n", chat.EBadRequest},
		{"empty", "", chat.EBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := e.db.CurrentSeq(e.ctx)
			_, err := e.svc.Post(e.ctx, alice, PostInput{ChannelID: e.general, Text: tt.text})
			checkTextErr(t, "post", err, tt.code)
			_, err = e.svc.Edit(e.ctx, alice, target.ID, tt.text)
			checkTextErr(t, "edit", err, tt.code)
			if after, _ := e.db.CurrentSeq(e.ctx); tt.code != "" && after != before {
				t.Error("a refused text changed something")
			}
		})
	}
}

func checkTextErr(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := errCodeOf(err); got != code {
		t.Errorf("%s: %v, want code %q", what, err, code)
		return
	}
	var ce *chat.Error
	if err != nil && (!errors.As(err, &ce) || ce.Field != "text") {
		t.Errorf("%s: %v does not name the field text", what, err)
	}
}

func errCodeOf(err error) string {
	if err == nil {
		return ""
	}
	return chat.ErrorCode(err)
}

// TestTextRoundTrip: what is sent comes back byte for byte, through the
// answer, the event, history, a single read and search; only trailing
// whitespace goes.
func TestTextRoundTrip(t *testing.T) {
	e := newSvcEnv(t, nil, "alice", "bob")
	bob := e.connect("bob")
	bob.drain()
	texts := []string{
		"<script>alert(1)</script> <b>bold</b> &amp; &lt;",
		"'; DROP TABLE messages; -- \" OR 1=1",
		"{{.Secret}} ${HOME} %s %d %%",
		"tab\there\nnew line\r\nwindows line",
		"emoji 😀👍🏽 👨‍👩‍👧 🇫🇷 and zero\u200bwidth\u200d\ufeff",
		"  leading spaces kept",
		"\\ backslashes \\n \\u0000 are text",
		"right-to-left \u202e override",
	}
	for _, text := range texts {
		ms, err := e.svc.Post(e.ctx, e.user("alice"), PostInput{ChannelID: e.general, Text: text + " \n\t"})
		if err != nil {
			t.Fatalf("post %q: %v", text, err)
		}
		m := ms[0]
		got := map[string]string{"answer": m.Text}
		if one, err := e.svc.Message(e.ctx, e.user("bob"), m.ID); err == nil {
			got["read"] = one.Text
		}
		if p, err := e.svc.History(e.ctx, e.user("bob"), e.general, store.PageQuery{Limit: 1}); err == nil && len(p.Messages) == 1 {
			got["history"] = p.Messages[0].Text
		}
		for _, f := range ofType(bob.drain(), "message.created") {
			var em chat.Message
			f.decode(t, &em)
			got["event"] = em.Text
		}
		if rs, err := e.svc.Search(e.ctx, e.user("bob"), store.SearchQuery{Q: strings.TrimSpace(text)[:3], Limit: 200}); err == nil {
			for _, r := range rs {
				if r.Message.ID == m.ID {
					got["search"] = r.Message.Text
				}
			}
		}
		for _, where := range []string{"answer", "read", "history", "event", "search"} {
			if got[where] != text {
				t.Errorf("%s gave %q, want %q", where, got[where], text)
			}
		}
	}
}

// TestClientIDEcho: client_id comes back on the created messages and
// their events, also on a repeat's answer (the same messages, so the
// client can match its optimistic copy after a retry), and is null on
// every other read; a repeat emits nothing.
func TestClientIDEcho(t *testing.T) {
	e := newSvcEnv(t, nil, "alice", "bob")
	bob := e.connect("bob")
	bob.drain()
	in := PostInput{ChannelID: e.general, Text: "hi", ClientID: "c-1"}
	first, err := e.svc.Post(e.ctx, e.user("alice"), in)
	if err != nil {
		t.Fatal(err)
	}
	created := ofType(bob.drain(), "message.created")
	if len(created) != 1 {
		t.Fatalf("%d message.created frames", len(created))
	}
	var ev chat.Message
	created[0].decode(t, &ev)
	again, err := e.svc.Post(e.ctx, e.user("alice"), PostInput{ChannelID: e.general, Text: "hi, retried", ClientID: "c-1"})
	if err != nil {
		t.Fatal(err)
	}
	for what, m := range map[string]chat.Message{"answer": first[0], "event": ev, "repeat": again[0]} {
		if m.ClientID == nil || *m.ClientID != "c-1" || m.ID != first[0].ID {
			t.Errorf("%s: id %d client_id %v", what, m.ID, m.ClientID)
		}
	}
	if fs := bob.drain(); len(fs) != 0 {
		t.Errorf("a repeat emitted %d frames (%s)", len(fs), fs[0].Type)
	}
	read, err := e.svc.Message(e.ctx, e.user("alice"), first[0].ID)
	if err != nil || read.ClientID != nil {
		t.Errorf("a later read shows client_id %v (%v)", read.ClientID, err)
	}
	for _, bad := range []string{strings.Repeat("x", 65), "tab\there", "é"} {
		_, err := e.svc.Post(e.ctx, e.user("alice"), PostInput{ChannelID: e.general, Text: "x", ClientID: bad})
		if errCodeOf(err) != chat.EBadRequest {
			t.Errorf("client_id %q: %v", bad, err)
		}
	}
}

// TestEventAudience: message events of a private channel reach its
// members only, each copy computed for its reader: a member added later
// sees a reply's reference to an older message without its text.
func TestEventAudience(t *testing.T) {
	e := newSvcEnv(t, nil, "alice", "bob", "carol", "dave")
	pc := e.private("alice", "plans", "bob")
	old := e.post("alice", pc, "the old secret")
	if err := e.svc.AddMember(e.ctx, e.user("alice"), pc, "carol"); err != nil {
		t.Fatal(err)
	}
	streams := map[string]*wsClient{}
	for _, n := range []string{"alice", "bob", "carol", "dave"} {
		streams[n] = e.connect(n)
		streams[n].drain()
	}
	reply, err := e.svc.Post(e.ctx, e.user("bob"), PostInput{ChannelID: pc, Text: "about that", ReplyTo: old.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.React(e.ctx, e.user("carol"), reply[0].ID, "👍", true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Edit(e.ctx, e.user("bob"), reply[0].ID, "about that, edited"); err != nil {
		t.Fatal(err)
	}
	for name, c := range streams {
		var got []chat.Message
		for _, f := range c.drain() {
			if strings.HasPrefix(f.Type, "message.") {
				var m chat.Message
				f.decode(t, &m)
				if f.Seq != m.Seq {
					t.Errorf("%s: frame seq %d, message seq %d", name, f.Seq, m.Seq)
				}
				got = append(got, m)
			}
		}
		if name == "dave" {
			if len(got) != 0 {
				t.Errorf("dave received %d message events of a private channel", len(got))
			}
			continue
		}
		if len(got) != 3 {
			t.Errorf("%s received %d message events, want 3", name, len(got))
			continue
		}
		for _, m := range got {
			r := m.ReplyTo
			hidden := r != nil && r.Deleted && r.Excerpt == ""
			if r == nil || r.ID != old.ID || hidden != (name == "carol") || !hidden && r.Excerpt != "the old secret" {
				t.Errorf("%s sees reply_to %+v", name, r)
			}
		}
	}
	// Her own answers are computed for her too.
	m, err := e.svc.React(e.ctx, e.user("carol"), reply[0].ID, "🎉", true)
	if err != nil || m.ReplyTo == nil || m.ReplyTo.Excerpt != "" {
		t.Errorf("carol's reaction answer shows %+v (%v)", m.ReplyTo, err)
	}
}
