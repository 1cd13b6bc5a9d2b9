package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/minimost/minimost/pkg/chat"
)

// TestEditRules: author only, no edits of files-only or deleted messages,
// identical text is a no-op, and a real edit recomputes mentions.
func TestEditRules(t *testing.T) {
	f := newChatFx(t, "alice", "bob", "carol")
	pc := f.private("alice", "plans", "bob")
	msg := f.post("alice", f.general, "hi @bob")
	files, err := f.postE("alice", f.general, "", withFiles("a.png"))
	if err != nil {
		t.Fatal(err)
	}
	gone := f.post("alice", f.general, "oops")
	if _, err := f.db.Delete(f.ctx, f.id("alice"), gone.ID, nil); err != nil {
		t.Fatal(err)
	}
	secret := f.post("alice", pc, "secret")
	rename, err := f.db.RenamePrivate(f.ctx, f.id("alice"), "alice", pc, "plans 2", nil)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, user string
		id         int64
		text       string
		code       string
		changed    bool
	}{
		{"another user", "bob", msg.ID, "bob was here", chat.EForbidden, false},
		{"a non-reader", "carol", secret.ID, "x", chat.ENotFound, false},
		{"a system message, even by the one who caused it", "alice", rename.Notice.ID, "x", chat.EForbidden, false},
		{"files only", "alice", files.Messages[0].ID, "caption", chat.EConflict, false},
		{"deleted", "alice", gone.ID, "back", chat.EConflict, false},
		{"no such message", "alice", 1 << 40, "x", chat.ENotFound, false},
		{"identical text", "alice", msg.ID, "hi @bob", "", false},
		{"new text", "alice", msg.ID, "hi @carol and @everyone", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.seq()
			f.clock.Advance(time.Second)
			c, err := f.db.Edit(f.ctx, f.id(tt.user), tt.id, tt.text, nil)
			wantCode(t, "edit", err, tt.code)
			if err != nil {
				if f.seq() != before {
					t.Error("a refused edit took a seq")
				}
				return
			}
			if c.Changed != tt.changed {
				t.Errorf("changed %v, want %v", c.Changed, tt.changed)
			}
			m := c.Message
			if !tt.changed {
				if f.seq() != before || m.EditedAt != nil {
					t.Errorf("a no-op edit changed something: seq %d→%d, edited_at %v", before, f.seq(), m.EditedAt)
				}
				return
			}
			if m.Text != tt.text || m.EditedAt == nil || *m.EditedAt != f.clock.Now().UnixMilli() || m.Seq != before+1 {
				t.Errorf("edited message %+v", m)
			}
			if !reflect.DeepEqual(m.Mentions, []string{"carol"}) || !m.MentionsEveryone {
				t.Errorf("mentions not recomputed: %v everyone=%v", m.Mentions, m.MentionsEveryone)
			}
		})
	}
	// The edit is what everyone reads afterwards.
	if m := f.message("carol", msg.ID); m.Text != "hi @carol and @everyone" {
		t.Errorf("carol reads %q", m.Text)
	}
}

// TestReactions: idempotent per (message, emoji, user), ordered by first
// add and by reacting user, empty emojis vanish, 30 distinct at most, none
// on tombstones.
func TestReactions(t *testing.T) {
	f := newChatFx(t, "alice", "bob", "carol")
	m := f.post("alice", f.general, "react to me")
	type step struct {
		user  string
		emoji string
		add   bool
		code  string
		// want is the reactions afterwards as emoji → users, in order.
		want    []chat.Reaction
		changed bool
	}
	r := func(pairs ...any) []chat.Reaction {
		out := []chat.Reaction{}
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, chat.Reaction{Emoji: pairs[i].(string), Users: pairs[i+1].([]string)})
		}
		return out
	}
	steps := []step{
		{"bob", "👍", true, "", r("👍", []string{"bob"}), true},
		{"alice", "👍", true, "", r("👍", []string{"bob", "alice"}), true},
		{"carol", "🎉", true, "", r("👍", []string{"bob", "alice"}, "🎉", []string{"carol"}), true},
		{"bob", "👍", true, "", r("👍", []string{"bob", "alice"}, "🎉", []string{"carol"}), false},
		{"bob", "👍", false, "", r("👍", []string{"alice"}, "🎉", []string{"carol"}), true},
		{"bob", "👍", false, "", r("👍", []string{"alice"}, "🎉", []string{"carol"}), false},
		{"carol", "🎉", false, "", r("👍", []string{"alice"}), true},
		{"carol", "🎉", false, "", r("👍", []string{"alice"}), false},
		{"carol", "🎉", true, "", r("👍", []string{"alice"}, "🎉", []string{"carol"}), true},
		{"alice", "👍", false, "", r("🎉", []string{"carol"}), true},
		// Re-added after vanishing: it is first added again now, so last.
		{"bob", "👍", true, "", r("🎉", []string{"carol"}, "👍", []string{"bob"}), true},
	}
	for i, st := range steps {
		before := f.seq()
		c, err := f.db.React(f.ctx, f.id(st.user), m.ID, st.emoji, st.add, nil)
		wantCode(t, "react", err, st.code)
		if err != nil {
			continue
		}
		if !reflect.DeepEqual(c.Message.Reactions, st.want) {
			t.Errorf("step %d (%s %s add=%v): reactions %+v, want %+v", i, st.user, st.emoji, st.add, c.Message.Reactions, st.want)
		}
		if c.Changed != st.changed || (f.seq() != before) != st.changed {
			t.Errorf("step %d: changed %v, seq %d→%d; want changed %v", i, c.Changed, before, f.seq(), st.changed)
		}
	}

	// 30 distinct emojis at most; existing ones may still gain users.
	n := f.post("alice", f.general, "many")
	for i := range chat.MaxReactionEmojis {
		if _, err := f.db.React(f.ctx, f.id("alice"), n.ID, string(rune(0x1F600+i)), true, nil); err != nil {
			t.Fatalf("emoji %d: %v", i, err)
		}
	}
	before := f.seq()
	_, err := f.db.React(f.ctx, f.id("bob"), n.ID, "🦄", true, nil)
	wantCode(t, "31st emoji", err, chat.EConflict)
	if f.seq() != before {
		t.Error("a refused reaction took a seq")
	}
	c, err := f.db.React(f.ctx, f.id("bob"), n.ID, string(rune(0x1F600)), true, nil)
	if err != nil || len(c.Message.Reactions) != chat.MaxReactionEmojis || len(c.Message.Reactions[0].Users) != 2 {
		t.Errorf("joining an existing emoji at the cap: %v %+v", err, c)
	}
	// Once one emoji is gone, a new one fits again.
	if _, err := f.db.React(f.ctx, f.id("alice"), n.ID, string(rune(0x1F601)), false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.React(f.ctx, f.id("bob"), n.ID, "🦄", true, nil); err != nil {
		t.Errorf("new emoji after one vanished: %v", err)
	}

	// Tombstones take no reactions; non-readers get not_found.
	if _, err := f.db.Delete(f.ctx, f.id("alice"), m.ID, nil); err != nil {
		t.Fatal(err)
	}
	_, err = f.db.React(f.ctx, f.id("bob"), m.ID, "👍", true, nil)
	wantCode(t, "react to a deleted message", err, chat.EConflict)
	pc := f.private("alice", "p")
	pm := f.post("alice", pc, "private")
	_, err = f.db.React(f.ctx, f.id("carol"), pm.ID, "👍", true, nil)
	wantCode(t, "react as a non-reader", err, chat.ENotFound)
}

// TestPins: any reader pins and unpins any live message, idempotently, at
// most 50 a channel; listing is most recently pinned first without
// tombstones.
func TestPins(t *testing.T) {
	f := newChatFx(t, "alice", "bob", "carol")
	a := f.post("alice", f.general, "a")
	b := f.post("alice", f.general, "b")
	c := f.post("alice", f.general, "c")

	f.clock.Advance(time.Second)
	ch, err := f.db.Pin(f.ctx, f.id("bob"), a.ID, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	pinnedAt := f.clock.Now().UnixMilli()
	if m := ch.Message; !m.Pinned || m.PinnedBy == nil || *m.PinnedBy != "bob" || m.PinnedAt == nil || *m.PinnedAt != pinnedAt {
		t.Errorf("pinned message %+v", m)
	}
	// Pinning again is a no-op and keeps who pinned it.
	f.clock.Advance(time.Second)
	ch, err = f.db.Pin(f.ctx, f.id("carol"), a.ID, true, nil)
	if err != nil || ch.Changed || *ch.Message.PinnedBy != "bob" || *ch.Message.PinnedAt != pinnedAt {
		t.Errorf("re-pin: %v %+v", err, ch)
	}
	// Everyone sees it.
	if m := f.message("carol", a.ID); !m.Pinned || *m.PinnedBy != "bob" {
		t.Errorf("carol sees %+v", m)
	}
	f.clock.Advance(time.Second)
	if _, err := f.db.Pin(f.ctx, f.id("carol"), c.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Second)
	if _, err := f.db.Pin(f.ctx, f.id("alice"), b.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	pins, err := f.db.Pins(f.ctx, f.id("carol"), f.general)
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "pins most recent first", msgIDs(pins), []int64{b.ID, c.ID, a.ID})

	// Deleting unpins; the tombstone is never listed.
	if _, err := f.db.Delete(f.ctx, f.id("alice"), c.ID, nil); err != nil {
		t.Fatal(err)
	}
	pins, _ = f.db.Pins(f.ctx, f.id("carol"), f.general)
	sameIDs(t, "pins after a delete", msgIDs(pins), []int64{b.ID, a.ID})
	_, err = f.db.Pin(f.ctx, f.id("bob"), c.ID, true, nil)
	wantCode(t, "pin a tombstone", err, chat.EConflict)

	// Unpin by someone else than the pinner; twice is fine.
	for i := range 2 {
		ch, err := f.db.Pin(f.ctx, f.id("carol"), a.ID, false, nil)
		if err != nil || ch.Message.Pinned || ch.Message.PinnedBy != nil || ch.Message.PinnedAt != nil || ch.Changed != (i == 0) {
			t.Errorf("unpin %d: %v %+v", i, err, ch)
		}
	}

	// System messages can be pinned too.
	pc := f.private("alice", "p", "bob")
	rn, err := f.db.RenamePrivate(f.ctx, f.id("alice"), "alice", pc, "q", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Pin(f.ctx, f.id("bob"), rn.Notice.ID, true, nil); err != nil {
		t.Errorf("pin a system message: %v", err)
	}
	_, err = f.db.Pin(f.ctx, f.id("carol"), rn.Notice.ID, true, nil)
	wantCode(t, "pin as a non-reader", err, chat.ENotFound)
	_, err = f.db.Pins(f.ctx, f.id("carol"), pc)
	wantCode(t, "pins of an unreadable channel", err, chat.ENotFound)
}

// TestPinCap: the 51st pin of a channel is refused; unpinning always works
// and frees a place; other channels have their own 50.
func TestPinCap(t *testing.T) {
	f := newChatFx(t, "alice")
	ids := f.postMany("alice", f.general, chat.MaxPinsPerChannel+1, "m%d")
	for _, id := range ids[:chat.MaxPinsPerChannel] {
		if _, err := f.db.Pin(f.ctx, f.id("alice"), id, true, nil); err != nil {
			t.Fatal(err)
		}
	}
	before := f.seq()
	_, err := f.db.Pin(f.ctx, f.id("alice"), ids[chat.MaxPinsPerChannel], true, nil)
	wantCode(t, "51st pin", err, chat.EConflict)
	if f.seq() != before {
		t.Error("a refused pin took a seq")
	}
	other := f.post("alice", f.random, "elsewhere")
	if _, err := f.db.Pin(f.ctx, f.id("alice"), other.ID, true, nil); err != nil {
		t.Errorf("pin in another channel: %v", err)
	}
	if _, err := f.db.Pin(f.ctx, f.id("alice"), ids[0], false, nil); err != nil {
		t.Fatalf("unpin at the cap: %v", err)
	}
	if _, err := f.db.Pin(f.ctx, f.id("alice"), ids[chat.MaxPinsPerChannel], true, nil); err != nil {
		t.Errorf("pin after an unpin: %v", err)
	}
	pins, _ := f.db.Pins(f.ctx, f.id("alice"), f.general)
	if len(pins) != chat.MaxPinsPerChannel {
		t.Errorf("%d pins listed", len(pins))
	}
}

// TestPinOrderSameMillisecond: pins made within one clock tick still list
// in the order they were made, not by message id.
func TestPinOrderSameMillisecond(t *testing.T) {
	f := newChatFx(t, "alice")
	ids := f.postMany("alice", f.general, 3, "m%d")
	for _, i := range []int{0, 2, 1} {
		if _, err := f.db.Pin(f.ctx, f.id("alice"), ids[i], true, nil); err != nil {
			t.Fatal(err)
		}
	}
	pins, err := f.db.Pins(f.ctx, f.id("alice"), f.general)
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "pins of one millisecond", msgIDs(pins), []int64{ids[1], ids[2], ids[0]})
}
