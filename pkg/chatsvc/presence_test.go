package chatsvc

import (
	"strings"
	"testing"
	"time"

	"github.com/minimost/minimost/pkg/chat"
)

type presenceData struct {
	Username string `json:"username"`
	State    string `json:"state"`
}

// presenceOf lists the states of user a stream was told about, in order.
func presenceOf(t *testing.T, fs []frame, user string) []string {
	t.Helper()
	out := []string{}
	for _, f := range ofType(fs, "presence") {
		var d presenceData
		f.decode(t, &d)
		if d.Username == user {
			out = append(out, d.State)
		}
	}
	return out
}

func equalStrings(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}

// waitOffline waits until the hub no longer counts the user's streams.
func (e *svcEnv) waitOffline(name string) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for e.hub.Online(e.user(name).ID) {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s still online", name)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPresenceFromStreams: a user is active when any stream says so, idle
// when all say idle (a reported hidden or offline counts as idle), a bad
// state is ignored, and closing the last stream shows offline only after
// the grace, so a quick reconnect is invisible.
func TestPresenceFromStreams(t *testing.T) {
	e := newSvcEnv(t, nil, "alice", "bob")
	// Long enough for a reconnect on a loaded machine, short for a test.
	e.svc.presence.graceFor = time.Second
	bob := e.connect("bob")
	bob.drain()
	a1 := e.connect("alice")
	a1.drain()

	steps := []struct {
		name string
		do   func()
		want []string // what bob hears of alice
	}{
		{"connected", func() {}, []string{chat.PresenceActive}},
		{"idle", func() { a1.send("presence", map[string]string{"state": "idle"}) }, []string{chat.PresenceIdle}},
		{"a backgrounded tab's hidden is idle", func() { a1.send("presence", map[string]string{"state": "hidden"}) }, nil},
		{"active", func() { a1.send("presence", map[string]string{"state": "active"}) }, []string{chat.PresenceActive}},
		{"offline from a tab is idle", func() { a1.send("presence", map[string]string{"state": "offline"}) }, []string{chat.PresenceIdle}},
		{"active again", func() { a1.send("presence", map[string]string{"state": "active"}) }, []string{chat.PresenceActive}},
		// Bad fields are ignored (behavior.md §10.3), not taken as idle.
		{"an unknown state is ignored", func() { a1.send("presence", map[string]string{"state": "asleep"}) }, nil},
		{"an empty state is ignored", func() { a1.send("presence", map[string]string{"state": ""}) }, nil},
		{"a non-string state is ignored", func() { a1.send("presence", map[string]any{"state": 1}) }, nil},
		{"idle", func() { a1.send("presence", map[string]string{"state": "idle"}) }, []string{chat.PresenceIdle}},
	}
	seen := []frame{}
	for i, st := range steps {
		if i > 0 {
			st.do()
			a1.drain()
		}
		fs := bob.drain()
		seen = append(seen, fs...)
		if got := presenceOf(t, fs, "alice"); !equalStrings(got, st.want) {
			t.Errorf("%s: bob heard %v, want %v", st.name, got, st.want)
		}
	}
	pm, err := e.svc.PresenceMap(e.ctx, e.user("bob").ID)
	if err != nil || pm["alice"] != chat.PresenceIdle || pm["bob"] != chat.PresenceActive {
		t.Errorf("presence map %v %v", pm, err)
	}

	// A second stream starts active: any active stream makes the user
	// active, all idle make her idle.
	a2 := e.connect("alice")
	a2.drain()
	if got := presenceOf(t, bob.drain(), "alice"); !equalStrings(got, []string{chat.PresenceActive}) {
		t.Errorf("second stream: bob heard %v", got)
	}
	a2.send("presence", map[string]string{"state": "idle"})
	a2.drain()
	if got := presenceOf(t, bob.drain(), "alice"); !equalStrings(got, []string{chat.PresenceIdle}) {
		t.Errorf("both idle: bob heard %v", got)
	}

	// Closing one stream changes nothing; closing the last waits the grace.
	a2.ws.Close()
	a1.ws.Close()
	e.waitOffline("alice")
	fs := bob.drain()
	if got := presenceOf(t, fs, "alice"); len(got) != 0 {
		t.Errorf("within the grace bob heard %v", got)
	}
	if st := e.svc.StateFor(e.user("bob").ID, e.user("alice").ID); st == chat.PresenceOffline {
		t.Error("alice shown offline within the grace")
	}
	if f := bob.read(); f.Type != "presence" || !equalStrings(presenceOf(t, []frame{f}, "alice"), []string{chat.PresenceOffline}) {
		t.Errorf("after the grace bob got %s %s, want alice offline", f.Type, f.Data)
	}

	// A reconnect within the grace is invisible to others.
	a3 := e.connect("alice")
	a3.drain()
	if got := presenceOf(t, bob.drain(), "alice"); !equalStrings(got, []string{chat.PresenceActive}) {
		t.Errorf("back online: bob heard %v", got)
	}
	a3.ws.Close()
	e.waitOffline("alice")
	a4 := e.connect("alice")
	a4.drain()
	time.Sleep(e.svc.presence.graceFor + 200*time.Millisecond)
	fs = bob.drain()
	if got := presenceOf(t, fs, "alice"); len(got) != 0 {
		t.Errorf("a reconnect within the grace was heard: %v", got)
	}
	for _, f := range append(seen, fs...) {
		if strings.Contains(string(f.Data), chat.PresenceHidden) {
			t.Errorf("bob was told %s", f.Data)
		}
	}
}

// TestPresenceOverride: the override replaces the real state while the
// user has a stream; hidden is offline to everyone else and hidden to the
// user; null returns to automatic; with no stream the user is offline.
func TestPresenceOverride(t *testing.T) {
	e := newSvcEnv(t, nil, "alice", "bob", "carol")
	e.svc.presence.graceFor = 50 * time.Millisecond
	bob := e.connect("bob")
	alice := e.connect("alice")
	bob.drain()
	alice.drain()
	override := func(st string) func() {
		return func() {
			if err := e.svc.SetOverride(e.ctx, e.user("alice"), st); err != nil {
				t.Fatalf("override %q: %v", st, err)
			}
		}
	}
	steps := []struct {
		name            string
		do              func()
		toBob, toAlice  []string
		mapBob, mapSelf string
	}{
		{"override idle", override("idle"), []string{"idle"}, []string{"idle"}, "idle", "idle"},
		{"override hidden", override("hidden"), []string{"offline"}, []string{"hidden"}, "offline", "hidden"},
		{"hidden again", override("hidden"), nil, nil, "offline", "hidden"},
		{"her tab goes idle under the override", func() {
			alice.send("presence", map[string]string{"state": "idle"})
			alice.drain()
		}, nil, nil, "offline", "hidden"},
		{"override cleared", override(""), []string{"idle"}, []string{"idle"}, "idle", "idle"},
		{"override active", override("active"), []string{"active"}, []string{"active"}, "active", "active"},
	}
	for _, st := range steps {
		st.do()
		if got := presenceOf(t, bob.drain(), "alice"); !equalStrings(got, st.toBob) {
			t.Errorf("%s: bob heard %v, want %v", st.name, got, st.toBob)
		}
		if got := presenceOf(t, alice.drain(), "alice"); !equalStrings(got, st.toAlice) {
			t.Errorf("%s: alice heard %v, want %v", st.name, got, st.toAlice)
		}
		mb, _ := e.svc.PresenceMap(e.ctx, e.user("bob").ID)
		ma, _ := e.svc.PresenceMap(e.ctx, e.user("alice").ID)
		if mb["alice"] != st.mapBob || ma["alice"] != st.mapSelf {
			t.Errorf("%s: maps say %q to bob and %q to alice, want %q and %q", st.name, mb["alice"], ma["alice"], st.mapBob, st.mapSelf)
		}
	}
	if err := e.svc.SetOverride(e.ctx, e.user("alice"), "away"); chat.ErrorCode(err) != chat.EBadRequest {
		t.Errorf("override away: %v", err)
	}

	// Hello carries the same views: hidden to herself, offline to others.
	override("hidden")()
	alice.drain()
	bob.drain()
	for _, tt := range []struct{ viewer, self, alice string }{{"alice", "hidden", "hidden"}, {"carol", "active", "offline"}} {
		c, hello := e.connectHello(tt.viewer)
		var d struct {
			User     chat.User         `json:"user"`
			Seq      int64             `json:"seq"`
			Presence map[string]string `json:"presence"`
		}
		hello.decode(t, &d)
		if d.User.Username != tt.viewer || d.User.Presence != tt.self || d.Presence["alice"] != tt.alice {
			t.Errorf("hello of %s: %s", tt.viewer, hello.Data)
		}
		c.ws.Close()
	}

	// No stream: offline whatever the override, to everyone.
	alice.ws.Close()
	e.waitOffline("alice")
	time.Sleep(3 * e.svc.presence.graceFor)
	override("active")()
	for _, viewer := range []string{"alice", "bob"} {
		if st := e.svc.StateFor(e.user(viewer).ID, e.user("alice").ID); st != chat.PresenceOffline {
			t.Errorf("without a stream %s sees alice %q", viewer, st)
		}
	}
}
