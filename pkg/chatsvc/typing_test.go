package chatsvc

import (
	"reflect"
	"testing"
	"time"
)

type typingData struct {
	ChannelID int64    `json:"channel_id"`
	Users     []string `json:"users"`
}

// typingSets returns the typing sets a stream received, in order.
func typingSets(t *testing.T, fs []frame, ch int64) [][]string {
	t.Helper()
	out := [][]string{}
	for _, f := range ofType(fs, "typing") {
		var d typingData
		f.decode(t, &d)
		if d.Users == nil {
			t.Errorf("typing frame with users null: %s", f.Data)
		}
		if d.ChannelID == ch {
			out = append(out, d.Users)
		} else {
			t.Errorf("typing frame of channel %d, want only %d", d.ChannelID, ch)
		}
	}
	return out
}

// TestTyping walks the typing rules of behavior.md §9.2 with a pinned
// clock: a start emits, a refresh within 5 s does not, frames within a
// second are dropped (they do not extend the 5 s), expiry and posting
// emit, and only readers hear any of it.
func TestTyping(t *testing.T) {
	e := newSvcEnv(t, nil, "alice", "bob", "carol")
	pc := e.private("alice", "ab", "bob")
	alice, bob, carol := e.connect("alice"), e.connect("bob"), e.connect("carol")
	for _, c := range []*wsClient{alice, bob, carol} {
		c.drain()
	}
	type step struct {
		name    string
		do      func()
		advance time.Duration
		// want is what alice and bob receive; carol never receives anything.
		want [][]string
	}
	typing := func(user string) func() { return func() { e.svc.Typing(e.ctx, e.user(user), pc) } }
	expire := func() { e.svc.expireTyping(e.ctx) }
	steps := []step{
		{"bob starts", typing("bob"), 0, [][]string{{"bob"}}},
		{"bob again within a second is dropped", typing("bob"), 900 * time.Millisecond, nil},
		{"alice starts", typing("alice"), 50 * time.Millisecond, [][]string{{"alice", "bob"}}},
		{"bob not expired at exactly 5 s", expire, 4050 * time.Millisecond, nil},
		// The dropped frame at 0.9 s did not extend bob's 5 s.
		{"bob expires just after 5 s", expire, 2 * time.Millisecond, [][]string{{"alice"}}},
		{"bob starts again", typing("bob"), 100 * time.Millisecond, [][]string{{"alice", "bob"}}},
		{"alice refreshes: nothing", typing("alice"), 798 * time.Millisecond, nil},
		{"bob refreshes: nothing", typing("bob"), 700 * time.Millisecond, nil},
		// Both refreshes moved the expiries: bob's first would have been
		// at 10.102 s, alice's at 5.95 s.
		{"refreshes hold", expire, 4 * time.Second, nil},
		{"alice posts: she stops", func() { e.post("alice", pc, "done") }, 0, [][]string{{"bob"}}},
		{"bob expires", expire, 1100 * time.Millisecond, [][]string{{}}},
		{"expiry announces once", expire, time.Second, nil},
		{"carol cannot type where she cannot read", typing("carol"), time.Second, nil},
	}
	for _, st := range steps {
		e.clock.Advance(st.advance)
		st.do()
		for _, c := range []*wsClient{alice, bob} {
			if got := typingSets(t, c.drain(), pc); !reflect.DeepEqual(got, nonNil(st.want)) {
				t.Errorf("%s: %s received %v, want %v", st.name, c.name, got, st.want)
			}
		}
		if got := ofType(carol.drain(), "typing"); len(got) != 0 {
			t.Errorf("%s: carol received %d typing frames", st.name, len(got))
		}
	}
	now, err := e.svc.TypingNow(e.ctx, e.user("alice"), pc)
	if err != nil || len(now) != 0 {
		t.Errorf("typing now: %v %v", now, err)
	}
	if _, err := e.svc.TypingNow(e.ctx, e.user("carol"), pc); err == nil {
		t.Error("carol reads the typing set of a channel she cannot read")
	}
}

func nonNil(s [][]string) [][]string {
	if s == nil {
		return [][]string{}
	}
	return s
}

// TestTypingOverTheStream: the client frame is what starts typing; GET
// …/typing leaves out the caller; one frame per second and channel is
// processed, whatever arrives in between.
func TestTypingOverTheStream(t *testing.T) {
	e := newSvcEnv(t, nil, "alice", "bob")
	alice, bob := e.connect("alice"), e.connect("bob")
	alice.drain()
	bob.drain()
	for range 5 {
		alice.send("typing", map[string]int64{"channel_id": e.general})
	}
	alice.send("typing", map[string]int64{"channel_id": e.random})
	alice.drain()
	got := bob.drain()
	var chans []int64
	for _, f := range ofType(got, "typing") {
		var d typingData
		f.decode(t, &d)
		if !reflect.DeepEqual(d.Users, []string{"alice"}) {
			t.Errorf("typing users %v", d.Users)
		}
		chans = append(chans, d.ChannelID)
	}
	if !reflect.DeepEqual(chans, []int64{e.general, e.random}) {
		t.Errorf("bob got typing for channels %v, want one each for general and random", chans)
	}
	for user, want := range map[string][]string{"alice": {}, "bob": {"alice"}} {
		if now, err := e.svc.TypingNow(e.ctx, e.user(user), e.general); err != nil || !reflect.DeepEqual(now, want) {
			t.Errorf("typing now for %s: %v %v, want %v", user, now, err, want)
		}
	}
}

// TestTypingEndsWhenLeaving: a typist who leaves the channel loses access,
// so the remaining readers see the set without them (§9.2).
func TestTypingEndsWhenLeaving(t *testing.T) {
	e := newSvcEnv(t, nil, "alice", "bob")
	pc := e.private("alice", "ab", "bob")
	alice := e.connect("alice")
	e.svc.Typing(e.ctx, e.user("bob"), pc)
	alice.drain()
	if err := e.svc.Leave(e.ctx, e.user("bob"), pc); err != nil {
		t.Fatal(err)
	}
	if got := typingSets(t, alice.drain(), pc); !reflect.DeepEqual(got, [][]string{{}}) {
		t.Errorf("alice received typing sets %v after bob left, want [[]]", got)
	}
	if now, _ := e.svc.TypingNow(e.ctx, e.user("alice"), pc); len(now) != 0 {
		t.Errorf("bob still typing after leaving: %v", now)
	}
}
