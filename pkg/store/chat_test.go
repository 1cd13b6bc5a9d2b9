package store

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/minimost/minimost/pkg/chat"
)

// testClock is the pinned clock of the chat tests: time moves only when a
// test says so, so rules with a time in them (client_id windows, pin order,
// search date filters) are checked at their exact edges.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.UnixMilli(1_764_000_000_000)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// chatFx is a store on a real SQLite file in the test's temporary
// directory, with the public channels general and random and the accounts
// the test asked for.
type chatFx struct {
	t       testing.TB
	ctx     context.Context
	dir     string
	db      *DB
	clock   *testClock
	ids     map[string]int64
	general int64
	random  int64
}

func newChatFx(t testing.TB, users ...string) *chatFx {
	t.Helper()
	f := &chatFx{t: t, ctx: context.Background(), dir: t.TempDir(), clock: newTestClock(), ids: map[string]int64{}}
	f.open()
	ch, err := f.db.SyncPublicChannels(f.ctx, []string{"general", "random"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Added) != 2 {
		t.Fatalf("first sync added %v, want two channels", ch.Added)
	}
	f.general, f.random = ch.Added[0], ch.Added[1]
	for _, u := range users {
		f.addUser(u)
	}
	return f
}

// open (re)opens the store on the fixture's directory.
func (f *chatFx) open() {
	f.t.Helper()
	db, err := Open(f.ctx, f.dir, Options{Now: f.clock.Now})
	if err != nil {
		f.t.Fatal(err)
	}
	f.db = db
	f.t.Cleanup(func() { db.Close() })
}

func (f *chatFx) addUser(name string) int64 {
	f.t.Helper()
	a, err := f.db.CreateAccount(f.ctx, name, "not-a-real-hash", nil)
	if err != nil {
		f.t.Fatal(err)
	}
	f.ids[name] = a.ID
	return a.ID
}

func (f *chatFx) id(user string) int64 {
	f.t.Helper()
	id, ok := f.ids[user]
	if !ok {
		f.t.Fatalf("no test user %q", user)
	}
	return id
}

// postE posts text (and files) as user and returns the store's answer.
func (f *chatFx) postE(user string, ch int64, text string, mod ...func(*PostRequest)) (*PostResult, error) {
	req := PostRequest{UserID: f.id(user), ChannelID: ch, Text: text}
	for _, m := range mod {
		m(&req)
	}
	return f.db.Post(f.ctx, req, nil)
}

// post posts and fails the test on error; it returns the first message.
func (f *chatFx) post(user string, ch int64, text string, mod ...func(*PostRequest)) chat.Message {
	f.t.Helper()
	res, err := f.postE(user, ch, text, mod...)
	if err != nil {
		f.t.Fatalf("post %q by %s: %v", text, user, err)
	}
	return res.Messages[0]
}

func withFiles(names ...string) func(*PostRequest) {
	return func(r *PostRequest) {
		for i, n := range names {
			r.Files = append(r.Files, NewFile{Name: n, ContentType: "text/plain; charset=utf-8", Size: int64(10 + i),
				Path: fmt.Sprintf("ab/ab%030d", i), SHA256: "00"})
		}
	}
}

func replyTo(id int64) func(*PostRequest) { return func(r *PostRequest) { r.ReplyTo = id } }

func withClientID(cid string) func(*PostRequest) { return func(r *PostRequest) { r.ClientID = cid } }

// postMany writes n messages by user with one statement, as the posting
// path would (each with the next seq); big volumes would otherwise cost
// one transaction, or thousands of statements, each.
func (f *chatFx) postMany(user string, ch int64, n int, format string) []int64 {
	f.t.Helper()
	var ids []int64
	now := f.clock.Now().UnixMilli()
	err := f.db.Write(f.ctx, func(tx *Tx) error {
		var seq int64
		if err := tx.QueryRowContext(f.ctx, `SELECT value FROM seq_counter WHERE id = 1`).Scan(&seq); err != nil {
			return err
		}
		if _, err := tx.ExecContext(f.ctx, `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
			INSERT INTO messages (channel_id, author_id, text, created_at, seq)
			SELECT ?, ?, printf(?, i), ?, ? + 1 + i FROM n ORDER BY i`, n, ch, f.id(user), format, now, seq); err != nil {
			return err
		}
		if _, err := tx.ExecContext(f.ctx, `UPDATE seq_counter SET value = value + ? WHERE id = 1`, n); err != nil {
			return err
		}
		var err error
		ids, err = idsOf(f.ctx, tx, `SELECT id FROM messages WHERE seq > ? ORDER BY id`, seq)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return ids
}

func (f *chatFx) history(user string, ch int64, pq PageQuery) *Page {
	f.t.Helper()
	p, err := f.db.History(f.ctx, f.id(user), ch, pq)
	if err != nil {
		f.t.Fatalf("history of %d for %s (%+v): %v", ch, user, pq, err)
	}
	return p
}

func (f *chatFx) message(user string, id int64) chat.Message {
	f.t.Helper()
	m, err := f.db.MessageFor(f.ctx, f.id(user), id)
	if err != nil {
		f.t.Fatalf("message %d for %s: %v", id, user, err)
	}
	return *m
}

func (f *chatFx) channel(user string, ch int64) chat.Channel {
	f.t.Helper()
	c, err := f.db.ChannelFor(f.ctx, f.id(user), user, ch)
	if err != nil {
		f.t.Fatalf("channel %d for %s: %v", ch, user, err)
	}
	return *c
}

func (f *chatFx) seq() int64 {
	f.t.Helper()
	s, err := f.db.CurrentSeq(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *chatFx) private(creator, name string, members ...string) int64 {
	f.t.Helper()
	id, err := f.db.CreatePrivate(f.ctx, f.id(creator), name, members)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *chatFx) dm(caller string, others ...string) int64 {
	f.t.Helper()
	id, _, err := f.db.FindOrCreateDM(f.ctx, f.id(caller), others)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *chatFx) addMember(by string, ch int64, who string) *ChannelChange {
	f.t.Helper()
	c, err := f.db.AddMember(f.ctx, f.id(by), by, ch, who, nil)
	if err != nil {
		f.t.Fatalf("%s adds %s: %v", by, who, err)
	}
	return c
}

// count runs a count query straight on the file, for effects no API shows.
func (f *chatFx) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.Read(f.ctx, func(tx *sql.Tx) error { return tx.QueryRowContext(f.ctx, query, args...).Scan(&n) }); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// deleteAccount runs an account deletion with the chat's part, as the
// accounts service does.
func (f *chatFx) deleteAccount(user string, hard bool) *Removal {
	f.t.Helper()
	var r *Removal
	_, _, err := f.db.DeleteAccount(f.ctx, f.id(user), hard, func(tx *Tx) (err error) {
		r, err = RemoveFromChat(f.ctx, tx, f.id(user), hard)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func msgIDs(ms []chat.Message) []int64 {
	out := []int64{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func chanIDs(cs []chat.Channel) []int64 {
	out := []int64{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// errCode is the API code of err, "" for success.
func errCode(err error) string {
	if err == nil {
		return ""
	}
	return chat.ErrorCode(err)
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := errCode(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

func sameIDs(t *testing.T, what string, got, want []int64) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: ids %v, want %v", what, got, want)
	}
}
