package store

import (
	"testing"
	"time"

	"github.com/minimost/minimost/pkg/chat"
)

// TestHistoryPages walks 25 messages by pages of 10 both ways: every page
// oldest first, pages never overlap, has_more tells exactly whether more
// remain, and together they are the whole channel once.
func TestHistoryPages(t *testing.T) {
	f := newChatFx(t, "alice")
	var all []int64
	for i := range 25 {
		all = append(all, f.post("alice", f.general, "m"+string(rune('a'+i))).ID)
	}

	newest := f.history("alice", f.general, PageQuery{Limit: 10})
	sameIDs(t, "newest page", msgIDs(newest.Messages), all[15:])
	if !newest.HasMore {
		t.Error("newest page: has_more false with 15 older messages")
	}

	// Backwards with before=the oldest id seen.
	var back []int64
	page := newest
	wantMore := []bool{true, true, false}
	for i := 0; ; i++ {
		ids := msgIDs(page.Messages)
		for j := 1; j < len(ids); j++ {
			if ids[j] <= ids[j-1] {
				t.Fatalf("page %d not oldest first: %v", i, ids)
			}
		}
		back = append(ids, back...)
		if page.HasMore != wantMore[i] {
			t.Errorf("page %d: has_more %v, want %v", i, page.HasMore, wantMore[i])
		}
		if !page.HasMore {
			break
		}
		page = f.history("alice", f.general, PageQuery{Before: ids[0], Limit: 10})
	}
	sameIDs(t, "pages backwards", back, all)

	// Forwards with after=the newest id seen, from before the first.
	var fwd []int64
	after := int64(0)
	for i := 0; i < 4; i++ {
		p := f.history("alice", f.general, PageQuery{After: after, HasAfter: true, Limit: 10})
		fwd = append(fwd, msgIDs(p.Messages)...)
		if want := len(fwd) < 25; p.HasMore != want {
			t.Errorf("after page %d: has_more %v, want %v", i, p.HasMore, want)
		}
		if !p.HasMore {
			break
		}
		after = p.Messages[len(p.Messages)-1].ID
	}
	sameIDs(t, "pages forwards", fwd, all)

	// Ids that do not exist are fine as bounds.
	p := f.history("alice", f.general, PageQuery{Before: all[0], Limit: 10})
	if len(p.Messages) != 0 || p.HasMore {
		t.Errorf("before the first: %v, has_more %v", msgIDs(p.Messages), p.HasMore)
	}
	p = f.history("alice", f.general, PageQuery{Before: 1 << 40, Limit: 3})
	sameIDs(t, "before a huge id", msgIDs(p.Messages), all[22:])
	p = f.history("alice", f.general, PageQuery{After: all[24], HasAfter: true, Limit: 3})
	if len(p.Messages) != 0 || p.HasMore {
		t.Errorf("after the last: %v, has_more %v", msgIDs(p.Messages), p.HasMore)
	}
	// Another channel's messages never leak into this one's pages.
	f.post("alice", f.random, "elsewhere")
	p = f.history("alice", f.general, PageQuery{Limit: 200})
	sameIDs(t, "whole channel", msgIDs(p.Messages), all)
}

// TestHistoryAround checks the anchor, the split ⌊(limit−1)/2⌋ older and
// the rest newer, filling from the other side, and both flags.
func TestHistoryAround(t *testing.T) {
	f := newChatFx(t, "alice", "bob")
	var m []int64
	for range 25 {
		m = append(m, f.post("alice", f.general, "x").ID)
	}
	other := f.post("alice", f.random, "other channel").ID
	pc := f.private("bob", "secret")
	hidden := f.post("bob", pc, "not for alice").ID

	tests := []struct {
		name           string
		around         int64
		limit          int
		want           []int64
		more, newer    bool
		code           string
		caller         string
		channelForCall int64
	}{
		{name: "middle", around: m[12], limit: 5, want: m[10:15], more: true, newer: true},
		{name: "even limit puts the extra one newer", around: m[12], limit: 4, want: m[11:15], more: true, newer: true},
		{name: "limit 1 is the anchor alone", around: m[12], limit: 1, want: m[12:13], more: true, newer: true},
		{name: "near the start fills from newer", around: m[1], limit: 5, want: m[0:5], more: false, newer: true},
		{name: "first message", around: m[0], limit: 3, want: m[0:3], more: false, newer: true},
		{name: "near the end fills from older", around: m[23], limit: 5, want: m[20:25], more: true, newer: false},
		{name: "last message", around: m[24], limit: 3, want: m[22:25], more: true, newer: false},
		{name: "everything", around: m[5], limit: 200, want: m, more: false, newer: false},
		{name: "another channel's message", around: other, limit: 5, code: chat.ENotFound},
		{name: "no such message", around: 1 << 40, limit: 5, code: chat.ENotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := f.db.History(f.ctx, f.id("alice"), f.general, PageQuery{Around: tt.around, Limit: tt.limit})
			wantCode(t, "around", err, tt.code)
			if err != nil {
				return
			}
			sameIDs(t, "around", msgIDs(p.Messages), tt.want)
			if p.HasMore != tt.more || p.HasNewer == nil || *p.HasNewer != tt.newer {
				t.Errorf("has_more %v has_newer %v, want %v %v", p.HasMore, p.HasNewer, tt.more, tt.newer)
			}
		})
	}
	// A message of a channel the caller cannot read is as unknown as a
	// missing one, through the channel she can read or the one she cannot.
	_, err := f.db.History(f.ctx, f.id("alice"), f.general, PageQuery{Around: hidden, Limit: 5})
	wantCode(t, "around a private message via general", err, chat.ENotFound)
	_, err = f.db.History(f.ctx, f.id("alice"), pc, PageQuery{Around: hidden, Limit: 5})
	wantCode(t, "around in a private channel", err, chat.ENotFound)
}

// TestSinceSeq is what a reconnecting client relies on: exactly the
// messages of the channel that changed after S, in ascending seq, with
// tombstones, and nothing from other channels.
func TestSinceSeq(t *testing.T) {
	f := newChatFx(t, "alice", "bob")
	a := f.post("alice", f.general, "a")
	b := f.post("alice", f.general, "b")
	c := f.post("alice", f.general, "c")
	d := f.post("bob", f.general, "d")
	f.post("alice", f.random, "elsewhere")
	s := f.seq()

	if _, err := f.db.Edit(f.ctx, f.id("alice"), b.ID, "b edited", nil); err != nil {
		t.Fatal(err)
	}
	e := f.post("bob", f.general, "e")
	if _, err := f.db.Delete(f.ctx, f.id("alice"), c.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.React(f.ctx, f.id("alice"), d.ID, "👍", true, nil); err != nil {
		t.Fatal(err)
	}
	f.post("alice", f.random, "more elsewhere")
	if _, err := f.db.Edit(f.ctx, f.id("alice"), f.post("alice", f.random, "x").ID, "y", nil); err != nil {
		t.Fatal(err)
	}

	p := f.history("bob", f.general, PageQuery{SinceSeq: s, HasSinceSeq: true})
	sameIDs(t, "since_seq", msgIDs(p.Messages), []int64{b.ID, e.ID, c.ID, d.ID})
	if p.HasMore {
		t.Error("has_more with four changes")
	}
	for i := 1; i < len(p.Messages); i++ {
		if p.Messages[i].Seq <= p.Messages[i-1].Seq {
			t.Errorf("seqs not ascending: %d after %d", p.Messages[i].Seq, p.Messages[i-1].Seq)
		}
	}
	got := map[int64]chat.Message{}
	for _, m := range p.Messages {
		got[m.ID] = m
	}
	if got[b.ID].Text != "b edited" || got[b.ID].EditedAt == nil {
		t.Errorf("edited message came back as %+v", got[b.ID])
	}
	if !got[c.ID].Deleted || got[c.ID].Text != "" {
		t.Errorf("deleted message came back as %+v", got[c.ID])
	}
	if len(got[d.ID].Reactions) != 1 {
		t.Errorf("reacted message came back with reactions %+v", got[d.ID].Reactions)
	}

	all := f.history("bob", f.general, PageQuery{SinceSeq: 0, HasSinceSeq: true})
	if len(all.Messages) != 5 || all.Messages[0].ID != a.ID {
		t.Errorf("since_seq=0 gave %v, want the five messages from a", msgIDs(all.Messages))
	}
	last := p.Messages[len(p.Messages)-1].Seq
	if p := f.history("bob", f.general, PageQuery{SinceSeq: last, HasSinceSeq: true}); len(p.Messages) != 0 {
		t.Errorf("since the newest seq: %v", msgIDs(p.Messages))
	}
}

// TestSinceSeqCap: at most 500 per answer, has_more set, and asking again
// with the last seq returns the rest without a gap or a repeat.
func TestSinceSeqCap(t *testing.T) {
	f := newChatFx(t, "alice")
	ids := f.postMany("alice", f.general, MaxResync+7, "bulk %d")
	f.postMany("alice", f.random, 20, "noise %d")
	p := f.history("alice", f.general, PageQuery{HasSinceSeq: true})
	if len(p.Messages) != MaxResync || !p.HasMore {
		t.Fatalf("first resync: %d messages, has_more %v; want %d and true", len(p.Messages), p.HasMore, MaxResync)
	}
	rest := f.history("alice", f.general, PageQuery{SinceSeq: p.Messages[MaxResync-1].Seq, HasSinceSeq: true})
	if rest.HasMore {
		t.Error("second resync: has_more with nothing left")
	}
	sameIDs(t, "both resyncs", append(msgIDs(p.Messages), msgIDs(rest.Messages)...), ids)
}

// TestSeqGapless: every change takes exactly the next seq of one
// server-wide counter; no-ops and refusals take none.
func TestSeqGapless(t *testing.T) {
	f := newChatFx(t, "alice", "bob")
	start := f.seq()
	var mid int64
	steps := []struct {
		name    string
		do      func() (int64, error) // the changed message's seq
		advance int64
	}{
		{"create", func() (int64, error) {
			r, err := f.postE("alice", f.general, "hello")
			if err != nil {
				return 0, err
			}
			mid = r.Messages[0].ID
			return r.Messages[0].Seq, nil
		}, 1},
		{"create in another channel", func() (int64, error) {
			r, err := f.postE("bob", f.random, "hi")
			return seqOf(r, err)
		}, 1},
		{"text and two files", func() (int64, error) {
			r, err := f.postE("bob", f.general, "files", withFiles("a.txt", "b.txt"))
			if err != nil {
				return 0, err
			}
			for i := 1; i < 3; i++ {
				if r.Messages[i].Seq != r.Messages[i-1].Seq+1 || r.Messages[i].ID != r.Messages[i-1].ID+1 {
					t.Errorf("files: ids/seqs not consecutive: %+v", r.Messages)
				}
			}
			return r.Messages[2].Seq, nil
		}, 3},
		{"edit", func() (int64, error) { return changeSeq(f.db.Edit(f.ctx, f.id("alice"), mid, "hello!", nil)) }, 1},
		{"same text again", func() (int64, error) { return changeSeq(f.db.Edit(f.ctx, f.id("alice"), mid, "hello!", nil)) }, 0},
		{"edit by another (refused)", func() (int64, error) { return changeSeq(f.db.Edit(f.ctx, f.id("bob"), mid, "mine", nil)) }, 0},
		{"react", func() (int64, error) { return changeSeq(f.db.React(f.ctx, f.id("bob"), mid, "👍", true, nil)) }, 1},
		{"react again", func() (int64, error) { return changeSeq(f.db.React(f.ctx, f.id("bob"), mid, "👍", true, nil)) }, 0},
		{"unreact", func() (int64, error) { return changeSeq(f.db.React(f.ctx, f.id("bob"), mid, "👍", false, nil)) }, 1},
		{"pin", func() (int64, error) { return changeSeq(f.db.Pin(f.ctx, f.id("bob"), mid, true, nil)) }, 1},
		{"pin again", func() (int64, error) { return changeSeq(f.db.Pin(f.ctx, f.id("alice"), mid, true, nil)) }, 0},
		{"unpin", func() (int64, error) { return changeSeq(f.db.Pin(f.ctx, f.id("alice"), mid, false, nil)) }, 1},
		{"unpin again", func() (int64, error) { return changeSeq(f.db.Pin(f.ctx, f.id("alice"), mid, false, nil)) }, 0},
		{"delete", func() (int64, error) { return changeSeq(f.db.Delete(f.ctx, f.id("alice"), mid, nil)) }, 1},
		{"delete again", func() (int64, error) { return changeSeq(f.db.Delete(f.ctx, f.id("alice"), mid, nil)) }, 0},
		{"react to a tombstone (refused)", func() (int64, error) { return changeSeq(f.db.React(f.ctx, f.id("bob"), mid, "👍", true, nil)) }, 0},
	}
	want := start
	for _, st := range steps {
		got, err := st.do()
		want += st.advance
		if now := f.seq(); now != want {
			t.Fatalf("%s: counter at %d, want %d (err %v)", st.name, now, want, err)
		}
		if st.advance > 0 && (err != nil || got != want) {
			t.Errorf("%s: message seq %d (err %v), want %d", st.name, got, err, want)
		}
	}
	// The counter survives a restart and continues where it was.
	f.db.Close()
	f.open()
	if got := f.seq(); got != want {
		t.Fatalf("after reopening the counter is %d, want %d", got, want)
	}
	if m := f.post("alice", f.general, "after restart"); m.Seq != want+1 {
		t.Errorf("first seq after restart %d, want %d", m.Seq, want+1)
	}
}

func seqOf(r *PostResult, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return r.Messages[len(r.Messages)-1].Seq, nil
}

func changeSeq(c *Change, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return c.Message.Seq, nil
}

// TestTombstone: a deleted message keeps id, author and created_at, loses
// text, files, reactions, pin and mentions, and its file is gone.
func TestTombstone(t *testing.T) {
	f := newChatFx(t, "alice", "bob")
	text := f.post("alice", f.general, "look @bob")
	res, err := f.postE("alice", f.general, "", withFiles("plan.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	att := res.Messages[0]
	for _, id := range []int64{text.ID, att.ID} {
		if _, err := f.db.React(f.ctx, f.id("bob"), id, "🎉", true, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.Pin(f.ctx, f.id("bob"), id, true, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Deleted a minute later: created_at must stay the posting time.
	f.clock.Advance(time.Minute)
	for _, before := range []chat.Message{f.message("alice", text.ID), f.message("alice", att.ID)} {
		c, err := f.db.Delete(f.ctx, f.id("alice"), before.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []chat.Message{c.Message, f.message("bob", before.ID)} {
			if m.ID != before.ID || m.Author != "alice" || m.CreatedAt != before.CreatedAt || m.ChannelID != before.ChannelID {
				t.Errorf("tombstone lost its identity: %+v", m)
			}
			if !m.Deleted || m.Text != "" || m.Attachments == nil || len(m.Attachments) != 0 || m.Reactions == nil || len(m.Reactions) != 0 ||
				m.Mentions == nil || len(m.Mentions) != 0 || m.MentionsEveryone || m.Pinned || m.PinnedBy != nil || m.PinnedAt != nil {
				t.Errorf("tombstone kept content: %+v", m)
			}
			if m.Seq <= before.Seq {
				t.Errorf("tombstone seq %d not above %d", m.Seq, before.Seq)
			}
		}
		if len(before.Attachments) > 0 {
			if len(c.Files) != 1 || c.Files[0] != "ab/ab000000000000000000000000000000" {
				t.Errorf("files to remove: %v", c.Files)
			}
			_, err := f.db.File(f.ctx, f.id("alice"), before.Attachments[0].ID)
			wantCode(t, "download after delete", err, chat.ENotFound)
		}
	}
	if n := f.count(`SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '"look"'`); n != 0 {
		t.Errorf("deleted text still indexed (%d rows)", n)
	}
	// It stays in history where it was.
	p := f.history("bob", f.general, PageQuery{Limit: 10})
	sameIDs(t, "history with tombstones", msgIDs(p.Messages), []int64{text.ID, att.ID})
}
