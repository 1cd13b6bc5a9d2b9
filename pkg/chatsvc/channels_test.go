package chatsvc

import (
	"reflect"
	"sort"
	"testing"

	"github.com/minimost/minimost/pkg/chat"
)

// types lists the frame types a stream received, in order.
func types(fs []frame) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Type)
	}
	return out
}

// TestChannelEvents: creation, additions, renames, leaving, hiding and
// unhiding reach exactly the users behavior.md §10.2 names.
func TestChannelEvents(t *testing.T) {
	e := newSvcEnv(t, nil, "alice", "bob", "carol", "dave")
	s := map[string]*wsClient{}
	for _, n := range []string{"alice", "bob", "carol", "dave"} {
		s[n] = e.connect(n)
	}
	for _, c := range s {
		c.drain() // the others' presence as they connected
	}
	check := func(step string, want map[string][]string) {
		t.Helper()
		names := make([]string, 0, len(s))
		for n := range s {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			got := types(s[n].drain())
			w := want[n]
			if w == nil {
				w = []string{}
			}
			if !reflect.DeepEqual(got, w) {
				t.Errorf("%s: %s received %v, want %v", step, n, got, w)
			}
		}
	}

	pc := e.private("alice", "plans", "bob")
	check("create", map[string][]string{"alice": {"channel.created"}, "bob": {"channel.created"}})

	if err := e.svc.AddMember(e.ctx, e.user("bob"), pc, "carol"); err != nil {
		t.Fatal(err)
	}
	check("add carol", map[string][]string{
		"alice": {"message.created", "channel.updated"},
		"bob":   {"message.created", "channel.updated"},
		"carol": {"message.created", "channel.created"},
	})

	if _, err := e.svc.Rename(e.ctx, e.user("carol"), pc, "  new plans "); err != nil {
		t.Fatal(err)
	}
	upd := []string{"message.created", "channel.updated"}
	check("rename", map[string][]string{"alice": upd, "bob": upd, "carol": upd})
	if c, _ := e.svc.Channel(e.ctx, e.user("alice"), pc); c.Name != "new plans" {
		t.Errorf("renamed to %q", c.Name)
	}

	e.svc.Typing(e.ctx, e.user("bob"), pc)
	check("typing", map[string][]string{"alice": {"typing"}, "bob": {"typing"}, "carol": {"typing"}})
	if err := e.svc.Leave(e.ctx, e.user("bob"), pc); err != nil {
		t.Fatal(err)
	}
	check("bob leaves", map[string][]string{
		"alice": {"message.created", "channel.updated", "typing"},
		"bob":   {"channel.removed"},
		"carol": {"message.created", "channel.updated", "typing"},
	})
	e.post("alice", pc, "after bob")
	if err := e.svc.MarkRead(e.ctx, e.user("carol"), pc, 0); err != nil {
		t.Fatal(err)
	}
	check("after bob left", map[string][]string{
		"alice": {"message.created", "read.updated", "read.updated"},
		"carol": {"message.created", "read.updated", "read.updated"},
	})

	// DMs: created once, to its members; hide and unhide to the hider.
	dm, created, err := e.svc.OpenDM(e.ctx, e.user("alice"), []string{"dave"})
	if err != nil || !created {
		t.Fatalf("open DM: %v %v", created, err)
	}
	if _, created, _ := e.svc.OpenDM(e.ctx, e.user("dave"), []string{"ALICE"}); created {
		t.Error("the same DM created twice")
	}
	check("DM", map[string][]string{"alice": {"channel.created"}, "dave": {"channel.created"}})
	if err := e.svc.Hide(e.ctx, e.user("dave"), dm.ID); err != nil {
		t.Fatal(err)
	}
	check("hide", map[string][]string{"dave": {"channel.updated"}})
	e.post("alice", dm.ID, "hello dave")
	check("unhide", map[string][]string{
		"alice": {"message.created", "read.updated"},
		"dave":  {"message.created", "read.updated", "channel.updated"},
	})
	if c, _ := e.svc.Channel(e.ctx, e.user("dave"), dm.ID); c.Hidden {
		t.Error("still hidden after a new message")
	}

	// The creation limit is asked only when a DM is created.
	refuse := func() error { return chat.Errorf(chat.ERateLimited, "slow down") }
	if c, created, err := e.svc.OpenDMLimited(e.ctx, e.user("dave"), []string{"alice"}, refuse); err != nil || created || c.ID != dm.ID {
		t.Errorf("existing DM under the limit: %v %v", created, err)
	}
	if _, _, err := e.svc.OpenDMLimited(e.ctx, e.user("dave"), []string{"bob"}, refuse); chat.ErrorCode(err) != chat.ERateLimited {
		t.Errorf("new DM over the limit: %v", err)
	}
	check("refused DM", nil)
}
