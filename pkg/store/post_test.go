package store

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/minimost/minimost/pkg/chat"
)

// TestPostShape: text first, then one message per file, sharing
// created_at and reply_to, consecutive ids; mentions on the text only.
func TestPostShape(t *testing.T) {
	f := newChatFx(t, "alice", "bob")
	orig := f.post("bob", f.general, "question")
	res, err := f.postE("alice", f.general, "see @bob", withFiles("a.txt", "b.txt"), replyTo(orig.ID))
	if err != nil {
		t.Fatal(err)
	}
	ms := res.Messages
	if len(ms) != 3 {
		t.Fatalf("%d messages, want 3", len(ms))
	}
	for i, m := range ms {
		if m.CreatedAt != ms[0].CreatedAt || m.ID != ms[0].ID+int64(i) || m.ReplyTo == nil || m.ReplyTo.ID != orig.ID {
			t.Errorf("message %d: %+v", i, m)
		}
	}
	if ms[0].Text != "see @bob" || len(ms[0].Attachments) != 0 || !reflect.DeepEqual(ms[0].Mentions, []string{"bob"}) {
		t.Errorf("text message: %+v", ms[0])
	}
	for i, name := range []string{"a.txt", "b.txt"} {
		m := ms[i+1]
		if m.Text != "" || len(m.Attachments) != 1 || m.Attachments[0].Name != name || len(m.Mentions) != 0 ||
			m.Attachments[0].URL == nil || *m.Attachments[0].URL != FileURL(m.Attachments[0].ID, name) {
			t.Errorf("file message %d: %+v", i, m)
		}
	}
	// The sender has read what she sent.
	if c := f.channel("alice", f.general); c.LastReadID == nil || *c.LastReadID != ms[2].ID {
		t.Errorf("sender's watermark %v, want %d", c.LastReadID, ms[2].ID)
	}
	// Nothing to post is refused by the store too, with nothing stored.
	before := f.count(`SELECT count(*) FROM messages`)
	_, err = f.postE("alice", f.general, "")
	wantCode(t, "empty post", err, chat.EBadRequest)
	if f.count(`SELECT count(*) FROM messages`) != before {
		t.Error("an empty post stored something")
	}
}

// TestReplyTo: the reference must be a visible, live message of the same
// channel; the excerpt is computed when read.
func TestReplyTo(t *testing.T) {
	f := newChatFx(t, "alice", "bob")
	short := f.post("bob", f.general, "short one")
	exact := f.post("bob", f.general, strings.Repeat("é", chat.ExcerptMax))
	long := f.post("bob", f.general, strings.Repeat("é", chat.ExcerptMax)+"ü and more")
	fileRes, err := f.postE("bob", f.general, "", withFiles("diagram.png"))
	if err != nil {
		t.Fatal(err)
	}
	file := fileRes.Messages[0]
	gone := f.post("bob", f.general, "soon gone")
	if _, err := f.db.Delete(f.ctx, f.id("bob"), gone.ID, nil); err != nil {
		t.Fatal(err)
	}
	elsewhere := f.post("bob", f.random, "other channel")
	pc := f.private("bob", "bob only")
	hidden := f.post("bob", pc, "private")

	for _, tt := range []struct {
		name    string
		target  int64
		excerpt string
		code    string
	}{
		{"short text", short.ID, "short one", ""},
		{"exactly 200 characters", exact.ID, strings.Repeat("é", chat.ExcerptMax), ""},
		{"longer than 200", long.ID, strings.Repeat("é", chat.ExcerptMax) + "…", ""},
		{"attachment only", file.ID, "diagram.png", ""},
		{"deleted", gone.ID, "", chat.EBadRequest},
		{"another channel", elsewhere.ID, "", chat.EBadRequest},
		{"an unreadable channel", hidden.ID, "", chat.EBadRequest},
		{"no such message", 1 << 40, "", chat.EBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := f.seq()
			res, err := f.postE("alice", f.general, "re: "+tt.name, replyTo(tt.target))
			wantCode(t, "reply", err, tt.code)
			if err != nil {
				var ce *chat.Error
				if !errors.As(err, &ce) || ce.Field != "reply_to" {
					t.Errorf("error %v does not name reply_to", err)
				}
				if f.seq() != before {
					t.Error("a refused reply took a seq")
				}
				return
			}
			r := res.Messages[0].ReplyTo
			if r == nil || r.ID != tt.target || r.Author != "bob" || r.Excerpt != tt.excerpt || r.Deleted {
				t.Errorf("reply_to %+v, want excerpt %q", r, tt.excerpt)
			}
		})
	}

	// Computed when read: an edit shows, a deletion empties it.
	re := f.post("alice", f.general, "re", replyTo(short.ID))
	if _, err := f.db.Edit(f.ctx, f.id("bob"), short.ID, "short one, edited", nil); err != nil {
		t.Fatal(err)
	}
	if r := f.message("alice", re.ID).ReplyTo; r.Excerpt != "short one, edited" {
		t.Errorf("after an edit the excerpt is %q", r.Excerpt)
	}
	if _, err := f.db.Delete(f.ctx, f.id("bob"), short.ID, nil); err != nil {
		t.Fatal(err)
	}
	for _, m := range []chat.Message{f.message("alice", re.ID), f.history("alice", f.general, PageQuery{Limit: 1}).Messages[0]} {
		if r := m.ReplyTo; r == nil || r.ID != short.ID || !r.Deleted || r.Excerpt != "" || r.Author != "bob" {
			t.Errorf("after a delete the reference is %+v", r)
		}
	}
	if m := f.message("alice", re.ID); m.Deleted {
		t.Error("deleting the original deleted the reply")
	}
}

// TestClientID: the same user's same client_id within 10 minutes returns
// the first result and creates nothing; another user, or later, posts anew;
// the record survives a restart and a refused post records nothing.
func TestClientID(t *testing.T) {
	f := newChatFx(t, "alice", "bob")
	first, err := f.postE("alice", f.general, "hello", withClientID("cid-1"))
	if err != nil || first.Duplicate {
		t.Fatalf("first post: %+v %v", first, err)
	}
	msgs := func() int { return f.count(`SELECT count(*) FROM messages`) }
	n, s := msgs(), f.seq()

	dup := func(what string, user string, ch int64, text string, mod ...func(*PostRequest)) *PostResult {
		t.Helper()
		res, err := f.postE(user, ch, text, append(mod, withClientID("cid-1"))...)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return res
	}
	f.clock.Advance(10*time.Minute - time.Millisecond)
	for _, tt := range []struct {
		name string
		ch   int64
		text string
		mod  []func(*PostRequest)
	}{
		{"same text", f.general, "hello", nil},
		{"other text", f.general, "hello again", nil},
		{"other channel", f.random, "hi", nil},
		{"with files", f.general, "x", []func(*PostRequest){withFiles("f.txt")}},
	} {
		res := dup(tt.name, "alice", tt.ch, tt.text, tt.mod...)
		if !res.Duplicate || !reflect.DeepEqual(msgIDs(res.Messages), msgIDs(first.Messages)) || res.Messages[0].Text != "hello" {
			t.Errorf("%s: %+v, want the first result", tt.name, res)
		}
		if msgs() != n || f.seq() != s || f.count(`SELECT count(*) FROM attachments`) != 0 {
			t.Errorf("%s: a repeat created something", tt.name)
		}
	}
	// The record is durable: a retry after a restart is still caught.
	f.db.Close()
	f.open()
	if res := dup("after restart", "alice", f.general, "hello"); !res.Duplicate {
		t.Error("the client_id record did not survive a restart")
	}
	// Another user's identical client_id is theirs.
	if res := dup("bob", "bob", f.general, "hello"); res.Duplicate {
		t.Error("bob's client_id matched alice's post")
	}
	// Ten minutes after the first post it posts anew, and that post is
	// the one repeats return from then on.
	f.clock.Advance(time.Millisecond)
	again := dup("after 10 minutes", "alice", f.general, "hello later")
	if again.Duplicate || again.Messages[0].ID == first.Messages[0].ID {
		t.Errorf("after 10 minutes: %+v", again)
	}
	if res := dup("repeat of the new post", "alice", f.general, "x"); !res.Duplicate || res.Messages[0].ID != again.Messages[0].ID {
		t.Errorf("repeat of the new post: %+v", res)
	}

	// A refused post records nothing: the same client_id then posts.
	_, err = f.postE("alice", f.general, "bad reply", withClientID("cid-2"), replyTo(1<<40))
	wantCode(t, "refused post", err, chat.EBadRequest)
	if res, err := f.postE("alice", f.general, "good", withClientID("cid-2")); err != nil || res.Duplicate {
		t.Errorf("post after a refused one with the same client_id: %+v %v", res, err)
	}
}
