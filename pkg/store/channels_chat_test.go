package store

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/minimost/minimost/pkg/chat"
)

// TestPrivateChannel: members only; a member added later sees nothing from
// before their arrival (history, pins, files, search, mentions, since_seq,
// replies); rename, add and leave post notices; the last one out takes the
// channel with everything in it.
func TestPrivateChannel(t *testing.T) {
	f := newChatFx(t, "alice", "bob", "carol", "dave")
	before := f.count(`SELECT count(*) FROM channels`)
	_, err := f.db.CreatePrivate(f.ctx, f.id("alice"), "x", []string{"bob", "nobody"})
	wantCode(t, "create with an unknown member", err, chat.EBadRequest)
	if n := f.count(`SELECT count(*) FROM channels`); n != before {
		t.Errorf("a refused create left %d channels", n-before)
	}

	pc := f.private("alice", "plans", "Bob", "bob", "ALICE")
	c := f.channel("bob", pc)
	if c.Kind != chat.KindPrivate || c.Name != "plans" || !reflect.DeepEqual(c.Members, []string{"alice", "bob"}) ||
		c.CreatedBy == nil || *c.CreatedBy != "alice" {
		t.Errorf("new private channel: %+v", c)
	}

	m1 := f.post("alice", pc, "secret one @everyone")
	files, err := f.postE("alice", pc, "", withFiles("plan.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	m2 := files.Messages[0]
	if _, err := f.db.Pin(f.ctx, f.id("bob"), m1.ID, true, nil); err != nil {
		t.Fatal(err)
	}

	// Outsiders see nothing and learn nothing.
	outsider := func(user string) {
		t.Helper()
		cs, err := f.db.ChannelsFor(f.ctx, f.id(user), user)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.ID == pc {
				t.Errorf("%s lists the private channel", user)
			}
		}
		_, err = f.db.ChannelFor(f.ctx, f.id(user), user, pc)
		wantCode(t, user+" GET channel", err, chat.ENotFound)
		_, err = f.db.History(f.ctx, f.id(user), pc, PageQuery{Limit: 50})
		wantCode(t, user+" history", err, chat.ENotFound)
		_, err = f.db.MessageFor(f.ctx, f.id(user), m1.ID)
		wantCode(t, user+" message", err, chat.ENotFound)
		_, err = f.postE(user, pc, "let me in")
		wantCode(t, user+" post", err, chat.ENotFound)
		_, err = f.db.Pins(f.ctx, f.id(user), pc)
		wantCode(t, user+" pins", err, chat.ENotFound)
		_, err = f.db.ReadReceipts(f.ctx, f.id(user), pc)
		wantCode(t, user+" receipts", err, chat.ENotFound)
		_, err = f.db.File(f.ctx, f.id(user), m2.Attachments[0].ID)
		wantCode(t, user+" file", err, chat.ENotFound)
		_, err = f.db.Search(f.ctx, f.id(user), SearchQuery{Q: "secret", ChannelID: pc, Limit: 50})
		wantCode(t, user+" search in channel", err, chat.ENotFound)
		if ms, err := f.db.Search(f.ctx, f.id(user), SearchQuery{Q: "secret", Limit: 50}); err != nil || len(ms) != 0 {
			t.Errorf("%s searches and finds %v (%v)", user, msgIDs(ms), err)
		}
		_, err = f.db.RenamePrivate(f.ctx, f.id(user), user, pc, "mine", nil)
		wantCode(t, user+" rename", err, chat.ENotFound)
		_, err = f.db.AddMember(f.ctx, f.id(user), user, pc, user, nil)
		wantCode(t, user+" adds self", err, chat.ENotFound)
		_, err = f.db.Leave(f.ctx, f.id(user), user, pc, nil)
		wantCode(t, user+" leaves", err, chat.ENotFound)
	}
	outsider("carol")

	// carol joins: her history starts now.
	add := f.addMember("bob", pc, "CAROL")
	if add.Added == nil || add.Added.Username != "carol" || add.Notice == nil || add.Notice.Text != "bob added carol" || !add.Notice.System {
		t.Fatalf("add: %+v", add)
	}
	if c := f.channel("carol", pc); c.Unread != 0 || c.Mentions != 0 {
		t.Errorf("joining created unread messages for carol: unread %d, mentions %d", c.Unread, c.Mentions)
	}
	if c := f.channel("alice", pc); c.Unread != 1 {
		t.Errorf("alice does not see the join notice as unread (%d)", c.Unread)
	}
	p := f.history("carol", pc, PageQuery{Limit: 50})
	if sameIDs(t, "carol's history", msgIDs(p.Messages), []int64{add.Notice.ID}); p.HasMore {
		t.Error("carol's history: has_more with nothing visible before")
	}
	_, err = f.db.MessageFor(f.ctx, f.id("carol"), m1.ID)
	wantCode(t, "carol reads an older message", err, chat.ENotFound)
	_, err = f.db.File(f.ctx, f.id("carol"), m2.Attachments[0].ID)
	wantCode(t, "carol downloads an older file", err, chat.ENotFound)
	_, err = f.db.History(f.ctx, f.id("carol"), pc, PageQuery{Around: m1.ID, Limit: 5})
	wantCode(t, "carol jumps to an older message", err, chat.ENotFound)
	if pins, err := f.db.Pins(f.ctx, f.id("carol"), pc); err != nil || len(pins) != 0 {
		t.Errorf("carol's pins: %v %v", msgIDs(pins), err)
	}
	if ms, err := f.db.Search(f.ctx, f.id("carol"), SearchQuery{Q: "secret", Limit: 50}); err != nil || len(ms) != 0 {
		t.Errorf("carol's search: %v %v", msgIDs(ms), err)
	}
	if ms, err := f.db.Mentions(f.ctx, f.id("carol")); err != nil || len(ms) != 0 {
		t.Errorf("carol's mentions: %v %v", msgIDs(ms), err)
	}
	_, err = f.postE("carol", pc, "re", replyTo(m1.ID))
	wantCode(t, "carol replies to an older message", err, chat.EBadRequest)
	// An old message that changes after she joined stays invisible.
	if _, err := f.db.Edit(f.ctx, f.id("alice"), m1.ID, "secret one, edited", nil); err != nil {
		t.Fatal(err)
	}
	reply := f.post("alice", pc, "answering the secret", replyTo(m1.ID))
	p = f.history("carol", pc, PageQuery{HasSinceSeq: true})
	sameIDs(t, "carol's since_seq", msgIDs(p.Messages), []int64{add.Notice.ID, reply.ID})
	// The reply is hers to see, the message it answers is not.
	if r := f.message("carol", reply.ID).ReplyTo; r == nil || r.ID != m1.ID || r.Excerpt != "" || !r.Deleted {
		t.Errorf("carol sees the reply's reference as %+v", r)
	}
	for _, ms := range [][]chat.Message{f.history("carol", pc, PageQuery{Limit: 5}).Messages, p.Messages} {
		for _, m := range ms {
			if m.ReplyTo != nil && m.ReplyTo.Excerpt != "" {
				t.Errorf("carol's history shows an excerpt from before her arrival: %+v", m.ReplyTo)
			}
		}
	}
	if r := f.message("bob", reply.ID).ReplyTo; r == nil || r.Excerpt != "secret one, edited" || r.Deleted {
		t.Errorf("bob sees the reply's reference as %+v", r)
	}

	// Rename by any member.
	rn, err := f.db.RenamePrivate(f.ctx, f.id("carol"), "carol", pc, "new plans", nil)
	if err != nil {
		t.Fatal(err)
	}
	if rn.Notice.Text != `carol renamed the channel to "new plans"` || f.channel("alice", pc).Name != "new plans" {
		t.Errorf("rename notice %q, name %q", rn.Notice.Text, f.channel("alice", pc).Name)
	}
	dm := f.dm("alice", "bob")
	for _, ch := range []int64{f.general, dm} {
		_, err := f.db.RenamePrivate(f.ctx, f.id("alice"), "alice", ch, "x", nil)
		wantCode(t, fmt.Sprintf("rename channel %d", ch), err, chat.EBadRequest)
	}

	// Adding: unknown → not_found, a member → conflict, not in a public
	// channel or a DM.
	for _, tt := range []struct {
		name string
		ch   int64
		who  string
		code string
	}{
		{"unknown", pc, "nobody", chat.ENotFound},
		{"already a member", pc, "Alice", chat.EConflict},
		{"into a public channel", f.general, "dave", chat.EBadRequest},
		{"into a DM", dm, "dave", chat.EBadRequest},
	} {
		_, err := f.db.AddMember(f.ctx, f.id("alice"), "alice", tt.ch, tt.who, nil)
		wantCode(t, "add "+tt.name, err, tt.code)
	}

	// Leaving.
	lv, err := f.db.Leave(f.ctx, f.id("bob"), "bob", pc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lv.Deleted || lv.Left == nil || lv.Left.Username != "bob" || lv.Notice.Text != "bob left the channel" {
		t.Errorf("leave: %+v", lv)
	}
	outsider("bob")
	rs, err := f.db.Readers(f.ctx, pc)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Username != "alice" || rs[1].Username != "carol" {
		t.Errorf("readers after bob left: %+v", rs)
	}
	_, err = f.db.Leave(f.ctx, f.id("alice"), "alice", f.general, nil)
	wantCode(t, "leave a public channel", err, chat.EBadRequest)

	// The last one out deletes the channel, its messages and files.
	if _, err := f.db.Leave(f.ctx, f.id("alice"), "alice", pc, nil); err != nil {
		t.Fatal(err)
	}
	last, err := f.db.Leave(f.ctx, f.id("carol"), "carol", pc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !last.Deleted || last.Notice != nil || !reflect.DeepEqual(last.Files, []string{"ab/ab000000000000000000000000000000"}) {
		t.Errorf("last leave: %+v", last)
	}
	for q, want := range map[string]int{
		fmt.Sprintf(`SELECT count(*) FROM channels WHERE id = %d`, pc):                                                   0,
		fmt.Sprintf(`SELECT count(*) FROM messages WHERE channel_id = %d`, pc):                                           0,
		fmt.Sprintf(`SELECT count(*) FROM attachments WHERE message_id = %d`, m2.ID):                                     0,
		`SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '"secret"'`:                                          0,
		fmt.Sprintf(`SELECT count(*) FROM read_state WHERE channel_id = %d`, pc):                                         0,
		fmt.Sprintf(`SELECT count(*) FROM reactions r JOIN messages m ON m.id = r.message_id AND m.channel_id = %d`, pc): 0,
	} {
		if n := f.count(q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
}

// TestDMs: one channel per member set whatever the spelling and order, 2
// to 9 members, names from the viewer's side, hiding per user.
func TestDMs(t *testing.T) {
	f := newChatFx(t, "alice", "Bob", "carol", "dave", "a_c", "abc")
	var eight []string
	for i := range 8 {
		n := fmt.Sprintf("u%d", i)
		f.addUser(n)
		eight = append(eight, n)
	}
	type res struct {
		id      int64
		created bool
	}
	open := func(caller string, names ...string) (res, error) {
		id, created, err := f.db.FindOrCreateDM(f.ctx, f.id(caller), names)
		return res{id, created}, err
	}
	pair, err := open("alice", "bob")
	if err != nil || !pair.created {
		t.Fatalf("first DM: %+v %v", pair, err)
	}
	group, err := open("alice", "Bob", "carol")
	if err != nil || !group.created || group.id == pair.id {
		t.Fatalf("group DM: %+v %v (pair %d)", group, err, pair.id)
	}
	tests := []struct {
		name   string
		caller string
		names  []string
		want   int64 // 0: a new channel
		code   string
	}{
		{"the other side, other case", "Bob", []string{"ALICE"}, pair.id, ""},
		{"repeats and self collapse", "alice", []string{"bob", "BOB", "alice"}, pair.id, ""},
		{"group in another order", "carol", []string{"bob", "alice"}, group.id, ""},
		{"group with self listed", "Bob", []string{"carol", "alice", "bob"}, group.id, ""},
		{"nobody", "alice", nil, 0, chat.EBadRequest},
		{"only oneself", "alice", []string{"Alice"}, 0, chat.EBadRequest},
		{"unknown member", "alice", []string{"bob", "nobody"}, 0, chat.EBadRequest},
		{"nine members", "alice", eight, 0, ""},
		{"ten members", "alice", append([]string{"dave"}, eight...), 0, chat.EBadRequest},
		{"underscore is not a wildcard", "alice", []string{"a_c"}, 0, ""},
		{"the name the underscore would match", "alice", []string{"abc"}, 0, ""},
	}
	seen := map[int64]string{pair.id: "pair", group.id: "group"}
	for _, tt := range tests {
		before := f.count(`SELECT count(*) FROM channels`)
		r, err := open(tt.caller, tt.names...)
		wantCode(t, tt.name, err, tt.code)
		if err != nil {
			if n := f.count(`SELECT count(*) FROM channels`); n != before {
				t.Errorf("%s: a refused DM created a channel", tt.name)
			}
			continue
		}
		if tt.want != 0 && (r.id != tt.want || r.created) {
			t.Errorf("%s: %+v, want the existing %d", tt.name, r, tt.want)
		}
		if tt.want == 0 {
			if !r.created || seen[r.id] != "" {
				t.Errorf("%s: %+v is not a new channel (already %q)", tt.name, r, seen[r.id])
			}
			seen[r.id] = tt.name
		}
	}

	// Names and members from each viewer's side.
	for viewer, want := range map[string]string{"alice": "Bob, carol", "Bob": "alice, carol", "carol": "alice, Bob"} {
		c := f.channel(viewer, group.id)
		if c.Name != want || c.Kind != chat.KindDM || !reflect.DeepEqual(c.Members, []string{"alice", "Bob", "carol"}) ||
			c.CreatedBy == nil || *c.CreatedBy != "alice" {
			t.Errorf("group DM for %s: %+v", viewer, c)
		}
	}
	_, err = f.db.ChannelFor(f.ctx, f.id("dave"), "dave", pair.id)
	wantCode(t, "outsider reads a DM", err, chat.ENotFound)
	_, err = f.postE("dave", pair.id, "hi")
	wantCode(t, "outsider posts into a DM", err, chat.ENotFound)

	// Hiding is per user and undone by the next message.
	for range 2 {
		if err := f.db.HideDM(f.ctx, f.id("alice"), pair.id); err != nil {
			t.Fatal(err)
		}
	}
	if !f.channel("alice", pair.id).Hidden || f.channel("Bob", pair.id).Hidden {
		t.Error("hide is not per user")
	}
	cs, _ := f.db.ChannelsFor(f.ctx, f.id("alice"), "alice")
	listed := false
	for _, c := range cs {
		listed = listed || c.ID == pair.id && c.Hidden
	}
	if !listed {
		t.Error("a hidden DM is not listed (flagged)")
	}
	pr, err := f.postE("Bob", pair.id, "ping")
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "unhidden", pr.Unhidden, []int64{f.id("alice")})
	if f.channel("alice", pair.id).Hidden {
		t.Error("a new message did not unhide the DM")
	}
	if pr, _ := f.postE("Bob", pair.id, "again"); len(pr.Unhidden) != 0 {
		t.Errorf("unhidden again: %v", pr.Unhidden)
	}
	pc := f.private("alice", "p")
	for _, tt := range []struct {
		name string
		ch   int64
		user string
		code string
	}{
		{"public", f.general, "alice", chat.EBadRequest},
		{"private", pc, "alice", chat.EBadRequest},
		{"someone else's DM", pair.id, "dave", chat.ENotFound},
	} {
		wantCode(t, "hide "+tt.name, f.db.HideDM(f.ctx, f.id(tt.user), tt.ch), tt.code)
	}
}

// TestDMOrder: public channels in settings order, private by id, DMs by
// newest activity.
func TestDMOrder(t *testing.T) {
	f := newChatFx(t, "alice", "bob", "carol")
	p2 := f.private("alice", "second")
	d1 := f.dm("alice", "bob")
	f.clock.Advance(time.Second)
	d2 := f.dm("alice", "carol")
	p1 := f.private("alice", "first")
	cs, err := f.db.ChannelsFor(f.ctx, f.id("alice"), "alice")
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "order", chanIDs(cs), []int64{f.general, f.random, p2, p1, d2, d1})
	f.clock.Advance(time.Second)
	f.post("bob", d1, "news")
	cs, _ = f.db.ChannelsFor(f.ctx, f.id("alice"), "alice")
	sameIDs(t, "order after a DM message", chanIDs(cs), []int64{f.general, f.random, p2, p1, d1, d2})
}

// TestSystemDMAndDeletedPeers: the server's DM is readable, hideable and
// markable but not postable; a DM whose other members are all deleted
// stays readable and refuses posts.
func TestSystemDMAndDeletedPeers(t *testing.T) {
	f := newChatFx(t, "alice", "bob", "carol", "dave")
	var got []*Notice
	note := func(n *Notice) { got = append(got, n) }
	for _, text := range []string{"first notice", "second notice"} {
		if err := f.db.NotifyUser(f.ctx, f.id("alice"), text, note); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 2 || !got[0].NewChannel || got[1].NewChannel || got[0].Message.ChannelID != got[1].Message.ChannelID {
		t.Fatalf("notices: %+v", got)
	}
	sys := got[0].Message.ChannelID
	c := f.channel("alice", sys)
	if c.Name != chat.SystemAuthor || c.Kind != chat.KindDM || !reflect.DeepEqual(c.Members, []string{"alice"}) || c.Unread != 2 {
		t.Errorf("system DM: %+v", c)
	}
	if m := got[0].Message; m.Author != chat.SystemAuthor || !m.System {
		t.Errorf("notice: %+v", m)
	}
	_, err := f.postE("alice", sys, "thanks")
	wantCode(t, "post into the system DM", err, chat.EForbidden)
	if err := f.db.HideDM(f.ctx, f.id("alice"), sys); err != nil {
		t.Errorf("hide the system DM: %v", err)
	}
	if err := f.db.MarkRead(f.ctx, f.id("alice"), sys, 0, nil); err != nil || f.channel("alice", sys).Unread != 0 {
		t.Errorf("mark the system DM read: %v", err)
	}
	_, err = f.db.ChannelFor(f.ctx, f.id("bob"), "bob", sys)
	wantCode(t, "another user reads alice's system DM", err, chat.ENotFound)

	pair := f.dm("alice", "bob")
	group := f.dm("alice", "bob", "carol")
	hardPair := f.dm("carol", "dave")
	old := f.post("bob", pair, "before")
	f.deleteAccount("bob", false)
	f.deleteAccount("dave", true)
	_, err = f.postE("alice", pair, "anyone?")
	wantCode(t, "post to a DM whose other member is soft-deleted", err, chat.EBadRequest)
	_, err = f.postE("carol", hardPair, "anyone?")
	wantCode(t, "post to a DM whose other member is hard-deleted", err, chat.EBadRequest)
	if _, err := f.postE("alice", group, "still carol here"); err != nil {
		t.Errorf("post to a group DM with one live peer: %v", err)
	}
	if m := f.message("alice", old.ID); m.Author != chat.DeletedAuthor || !m.AuthorDeleted || m.Text != "before" {
		t.Errorf("a soft-deleted peer's message: %+v", m)
	}
	_, _, err = f.db.FindOrCreateDM(f.ctx, f.id("alice"), []string{"bob"})
	wantCode(t, "open a DM with a deleted account", err, chat.EBadRequest)
}

// TestPublicChannelSync: settings decide which public channels exist and
// their order; a dropped one is unlisted and unreadable with its data
// kept, and comes back whole when re-added.
func TestPublicChannelSync(t *testing.T) {
	f := newChatFx(t, "alice", "bob")
	msg := f.post("alice", f.random, "in random @bob")
	sync := func(names ...string) PublicChange {
		t.Helper()
		ch, err := f.db.SyncPublicChannels(f.ctx, names)
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	list := func() []int64 {
		t.Helper()
		cs, err := f.db.ChannelsFor(f.ctx, f.id("bob"), "bob")
		if err != nil {
			t.Fatal(err)
		}
		return chanIDs(cs)
	}

	ch := sync("random", "general", "news")
	if len(ch.Added) != 1 || len(ch.Removed) != 0 {
		t.Fatalf("adding news: %+v", ch)
	}
	news := ch.Added[0]
	sameIDs(t, "order", list(), []int64{f.random, f.general, news})

	ch = sync("general", "news")
	sameIDs(t, "removed", ch.Removed, []int64{f.random})
	sameIDs(t, "listed after removal", list(), []int64{f.general, news})
	_, err := f.db.Access(f.ctx, f.id("bob"), f.random)
	wantCode(t, "access to a dropped channel", err, chat.ENotFound)
	_, err = f.db.History(f.ctx, f.id("bob"), f.random, PageQuery{Limit: 10})
	wantCode(t, "history of a dropped channel", err, chat.ENotFound)
	_, err = f.db.MessageFor(f.ctx, f.id("bob"), msg.ID)
	wantCode(t, "message of a dropped channel", err, chat.ENotFound)
	_, err = f.postE("bob", f.random, "hello?")
	wantCode(t, "post to a dropped channel", err, chat.ENotFound)
	if ms, _ := f.db.Search(f.ctx, f.id("bob"), SearchQuery{Q: "random", Limit: 10}); len(ms) != 0 {
		t.Errorf("search finds %v in a dropped channel", msgIDs(ms))
	}
	if rs, _ := f.db.Readers(f.ctx, f.random); len(rs) != 0 {
		t.Errorf("a dropped channel still has readers %+v", rs)
	}

	ch = sync("general", "news", "random")
	sameIDs(t, "re-added", ch.Added, []int64{f.random})
	sameIDs(t, "listed after re-adding", list(), []int64{f.general, news, f.random})
	if m := f.message("bob", msg.ID); m.Text != "in random @bob" || !reflect.DeepEqual(m.Mentions, []string{"bob"}) {
		t.Errorf("restored message: %+v", m)
	}

	ch = sync("General", "news", "random")
	if len(ch.Added)+len(ch.Removed) != 0 || f.channel("bob", f.general).Name != "General" {
		t.Errorf("case-only rename: %+v, name %q", ch, f.channel("bob", f.general).Name)
	}
	if ch := sync("General", "news", "random"); len(ch.Added)+len(ch.Removed) != 0 {
		t.Errorf("same list again: %+v", ch)
	}
}

// TestAccountDeletionEffects: a soft deletion keeps messages under
// "Deleted User"; a hard one tombstones them and removes the account's
// reactions, each touched message once with a new seq, and search forgets
// the text. Either way the account leaves its private channels, and a
// channel it was the last member of goes.
func TestAccountDeletionEffects(t *testing.T) {
	f := newChatFx(t, "alice", "bob", "carol")
	soft := f.post("carol", f.general, "carol's words")
	hard := f.post("bob", f.general, "bob's searchable words")
	other := f.post("alice", f.general, "alice's message")
	for _, e := range []string{"👍", "🎉"} {
		if _, err := f.db.React(f.ctx, f.id("bob"), other.ID, e, true, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.db.React(f.ctx, f.id("alice"), other.ID, "👍", true, nil); err != nil {
		t.Fatal(err)
	}
	shared := f.private("alice", "shared", "bob")
	alone := f.private("bob", "alone")

	f.deleteAccount("carol", false)
	if m := f.message("alice", soft.ID); m.Text != "carol's words" || m.Author != chat.DeletedAuthor || !m.AuthorDeleted || m.Seq != soft.Seq {
		t.Errorf("soft-deleted author's message: %+v", m)
	}

	before := f.seq()
	r := f.deleteAccount("bob", true)
	sameIDs(t, "tombstoned", r.Tombstoned, []int64{hard.ID})
	sameIDs(t, "left", r.Left, []int64{shared})
	sameIDs(t, "gone", r.Gone, []int64{alone})
	if f.seq() != before+2 {
		t.Errorf("seq moved by %d, want 2 (one tombstone, one message losing reactions)", f.seq()-before)
	}
	m := f.message("alice", hard.ID)
	if !m.Deleted || m.Text != "" || m.Author != chat.DeletedAuthor || !m.AuthorDeleted || m.Seq <= hard.Seq {
		t.Errorf("hard-deleted author's message: %+v", m)
	}
	if m := f.message("alice", other.ID); len(m.Reactions) != 1 || !reflect.DeepEqual(m.Reactions[0].Users, []string{"alice"}) || m.Seq <= other.Seq {
		t.Errorf("reactions after a hard delete: %+v seq %d", m.Reactions, m.Seq)
	}
	if ms, _ := f.db.Search(f.ctx, f.id("alice"), SearchQuery{Q: "searchable", Limit: 10}); len(ms) != 0 {
		t.Errorf("search still finds %v", msgIDs(ms))
	}
	if c := f.channel("alice", shared); !reflect.DeepEqual(c.Members, []string{"alice"}) {
		t.Errorf("members after bob's deletion: %v", c.Members)
	}
	if n := f.count(`SELECT count(*) FROM channels WHERE id = ?`, alone); n != 0 {
		t.Error("bob's channel of one outlived him")
	}
}

// TestDMCreationLimit: the creation check is asked only when a DM is
// created; its refusal creates nothing, and an existing DM still opens.
func TestDMCreationLimit(t *testing.T) {
	f := newChatFx(t, "alice", "bob", "carol")
	asked := 0
	refuse := func() error { asked++; return chat.Errorf(chat.ERateLimited, "slow down") }
	allow := func() error { asked++; return nil }
	id, created, err := f.db.FindOrCreateDMLimited(f.ctx, f.id("alice"), []string{"bob"}, allow)
	if err != nil || !created || asked != 1 {
		t.Fatalf("first DM: %d %v %v, asked %d", id, created, err, asked)
	}
	again, created, err := f.db.FindOrCreateDMLimited(f.ctx, f.id("bob"), []string{"alice"}, refuse)
	if err != nil || created || again != id || asked != 1 {
		t.Errorf("existing DM under a refusing limit: %d %v %v, asked %d", again, created, err, asked)
	}
	before := f.count(`SELECT count(*) FROM channels`)
	_, _, err = f.db.FindOrCreateDMLimited(f.ctx, f.id("alice"), []string{"carol"}, refuse)
	wantCode(t, "refused creation", err, chat.ERateLimited)
	if n := f.count(`SELECT count(*) FROM channels`); n != before || asked != 2 {
		t.Errorf("a refused creation left %d channels, asked %d", n-before, asked)
	}
}
