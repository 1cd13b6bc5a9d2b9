package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/minimost/minimost/pkg/chat"
)

// TestReadState: the watermark only moves forward, read without an id is
// the newest message, and unread/mention counts follow §7: own messages
// never count, system messages do, deleted ones do not.
func TestReadState(t *testing.T) {
	f := newChatFx(t, "alice", "bob", "carol")
	if c := f.channel("bob", f.general); c.Unread != 0 || c.LastReadID != nil || c.LastMessageAt != nil {
		t.Errorf("empty channel: %+v", c)
	}
	// Reading an empty channel changes nothing and is no error.
	if err := f.db.MarkRead(f.ctx, f.id("bob"), f.general, 0, func(*ReadChange) { t.Error("read of an empty channel announced") }); err != nil {
		t.Fatal(err)
	}

	var a []chat.Message
	for _, s := range []string{"one", "two", "three"} {
		f.clock.Advance(time.Second)
		a = append(a, f.post("alice", f.general, s))
	}
	c := f.channel("bob", f.general)
	if c.Unread != 3 || c.Mentions != 0 || c.LastReadID != nil || c.LastMessageAt == nil || *c.LastMessageAt != a[2].CreatedAt {
		t.Errorf("bob before reading: %+v", c)
	}
	// The author has read her own messages.
	if c := f.channel("alice", f.general); c.Unread != 0 || c.LastReadID == nil || *c.LastReadID != a[2].ID {
		t.Errorf("alice after posting: %+v", c)
	}

	var announced []int64
	read := func(user string, ch, id int64) error {
		return f.db.MarkRead(f.ctx, f.id(user), ch, id, func(rc *ReadChange) { announced = append(announced, rc.MessageID) })
	}
	if err := read("bob", f.general, a[1].ID); err != nil {
		t.Fatal(err)
	}
	if c := f.channel("bob", f.general); c.Unread != 1 || *c.LastReadID != a[1].ID {
		t.Errorf("bob after reading two: %+v", c)
	}
	if err := read("bob", f.general, 0); err != nil {
		t.Fatal(err)
	}
	if c := f.channel("bob", f.general); c.Unread != 0 || *c.LastReadID != a[2].ID {
		t.Errorf("bob after reading all: %+v", c)
	}
	// Back is refused silently, also the same id again.
	for _, id := range []int64{a[0].ID, a[2].ID, 0} {
		if err := read("bob", f.general, id); err != nil {
			t.Fatal(err)
		}
	}
	sameIDs(t, "announced watermarks", announced, []int64{a[1].ID, a[2].ID})
	if c := f.channel("bob", f.general); *c.LastReadID != a[2].ID {
		t.Errorf("watermark moved back to %d", *c.LastReadID)
	}

	other := f.post("alice", f.random, "elsewhere")
	pc := f.private("alice", "p")
	for _, tt := range []struct {
		name string
		ch   int64
		id   int64
		code string
	}{
		{"another channel's message", f.general, other.ID, chat.EBadRequest},
		{"no such message", f.general, 1 << 40, chat.EBadRequest},
		{"an unreadable channel", pc, 0, chat.ENotFound},
	} {
		wantCode(t, tt.name, read("bob", tt.ch, tt.id), tt.code)
	}

	// Own messages never count, even when the watermark is behind them
	// (messages written without the posting path's advance).
	f.postMany("bob", f.general, 2, "bob %d")
	if c := f.channel("bob", f.general); c.Unread != 0 {
		t.Errorf("own messages count as unread: %+v", c)
	}
	if c := f.channel("carol", f.general); c.Unread != 5 {
		t.Errorf("carol unread %d, want 5", c.Unread)
	}

	// System messages count, for everyone.
	if err := f.db.Write(f.ctx, func(tx *Tx) error {
		_, _, err := postSystem(f.ctx, tx, f.general, "server notice", f.clock.Now().UnixMilli())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if c := f.channel("bob", f.general); c.Unread != 1 {
		t.Errorf("bob unread after a system message: %d, want 1", c.Unread)
	}

	// Mentions: explicit and @everyone; deleted messages leave both counts.
	f.clock.Advance(time.Second)
	direct := f.post("alice", f.general, "@bob look")
	f.clock.Advance(time.Second)
	every := f.post("alice", f.general, "@everyone look")
	if c := f.channel("bob", f.general); c.Unread != 3 || c.Mentions != 2 {
		t.Errorf("bob: unread %d mentions %d, want 3 and 2", c.Unread, c.Mentions)
	}
	if c := f.channel("carol", f.general); c.Mentions != 1 {
		t.Errorf("carol mentions %d, want 1 (@everyone)", c.Mentions)
	}
	if _, err := f.db.Delete(f.ctx, f.id("alice"), direct.ID, nil); err != nil {
		t.Fatal(err)
	}
	if c := f.channel("bob", f.general); c.Unread != 2 || c.Mentions != 1 || *c.LastMessageAt != every.CreatedAt {
		t.Errorf("bob after a delete: %+v", c)
	}
	// last_message_at falls back to the newest live message.
	if _, err := f.db.Delete(f.ctx, f.id("alice"), every.ID, nil); err != nil {
		t.Fatal(err)
	}
	if c := f.channel("bob", f.general); c.LastMessageAt == nil || *c.LastMessageAt != direct.CreatedAt-1000 {
		t.Errorf("last_message_at %v after deleting the two newest, want %d", c.LastMessageAt, direct.CreatedAt-1000)
	}

	// Receipts: every reader with a watermark, the caller included.
	rr, err := f.db.ReadReceipts(f.ctx, f.id("carol"), f.general)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{"alice": every.ID, "bob": a[2].ID}; !reflect.DeepEqual(rr, want) {
		t.Errorf("read receipts %v, want %v", rr, want)
	}
}

// TestMentionsList: unread mentions only, newest first, from readable
// channels only, never one's own, @everyone included; viewing does not
// mark them read.
func TestMentionsList(t *testing.T) {
	f := newChatFx(t, "alice", "bob", "carol")
	pc := f.private("bob", "with alice", "alice")
	bobOnly := f.private("bob", "bob alone")

	// Her own posts come first: posting marks what came before as read.
	f.post("alice", f.general, "@alice talking to myself")
	own := f.post("alice", f.general, "@everyone from alice")
	m1 := f.post("bob", f.general, "@alice one")
	m2 := f.post("bob", f.random, "@everyone two")
	m3 := f.post("bob", pc, "@ALICE three")
	f.post("bob", bobOnly, "@alice not a reader here")
	f.post("bob", f.general, "no mention")
	f.post("bob", f.general, "mail alice@example.com")
	gone := f.post("bob", f.general, "@alice deleted")
	if _, err := f.db.Delete(f.ctx, f.id("bob"), gone.ID, nil); err != nil {
		t.Fatal(err)
	}

	list := func(user string) []int64 {
		t.Helper()
		ms, err := f.db.Mentions(f.ctx, f.id(user))
		if err != nil {
			t.Fatal(err)
		}
		return msgIDs(ms)
	}
	sameIDs(t, "alice's mentions", list("alice"), []int64{m3.ID, m2.ID, m1.ID})
	sameIDs(t, "viewing does not read", list("alice"), []int64{m3.ID, m2.ID, m1.ID})
	if m := f.message("alice", m3.ID); !reflect.DeepEqual(m.Mentions, []string{"alice"}) {
		t.Errorf("mentions of %q: %v", m.Text, m.Mentions)
	}

	// Reading a channel removes its mentions.
	if err := f.db.MarkRead(f.ctx, f.id("alice"), f.general, 0, nil); err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "after reading general", list("alice"), []int64{m3.ID, m2.ID})
	// Leaving a private channel takes its mentions away.
	if _, err := f.db.Leave(f.ctx, f.id("alice"), "alice", pc, nil); err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "after leaving", list("alice"), []int64{m2.ID})
	// So does dropping a public channel from settings, until re-added.
	if _, err := f.db.SyncPublicChannels(f.ctx, []string{"general"}); err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "random dropped", list("alice"), nil)
	if _, err := f.db.SyncPublicChannels(f.ctx, []string{"general", "random"}); err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "random back", list("alice"), []int64{m2.ID})

	// A member added later does not get mentions from before.
	f.post("bob", bobOnly, "@everyone before carol")
	f.addMember("bob", bobOnly, "carol")
	after := f.post("bob", bobOnly, "@everyone after carol")
	sameIDs(t, "carol's mentions", list("carol"), []int64{after.ID, m2.ID, own.ID})
}

// TestMentionsCap: at most 200, the newest.
func TestMentionsCap(t *testing.T) {
	f := newChatFx(t, "alice", "bob")
	var ids []int64
	err := f.db.Write(f.ctx, func(tx *Tx) error {
		for range 205 {
			id, _, err := insertMessage(f.ctx, tx, f.general, f.id("bob"), false, "@everyone", 0, nil, true, f.clock.Now().UnixMilli())
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := f.db.Mentions(f.ctx, f.id("alice"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 200 || ms[0].ID != ids[204] || ms[199].ID != ids[5] {
		t.Errorf("%d mentions from %d to %d", len(ms), ms[0].ID, ms[len(ms)-1].ID)
	}
}
