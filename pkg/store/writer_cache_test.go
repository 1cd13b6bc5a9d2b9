package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
)

// TestPostAnswerMatchesStored: the message a post answers with is the one
// a later read returns, whether it was built from the post or read back.
func TestPostAnswerMatchesStored(t *testing.T) {
	f := newChatFx(t, "alice", "bob", "Carol")
	priv, err := f.db.CreatePrivate(f.ctx, f.id("alice"), "plans", []string{"bob"})
	if err != nil {
		t.Fatal(err)
	}
	first := f.post("Carol", f.general, "first")
	cases := []struct {
		user string
		ch   int64
		text string
		mod  []func(*PostRequest)
	}{
		{"alice", f.general, "plain words", nil},
		{"alice", f.general, "hi @bob and @CAROL, also @nobody and @everyone", nil},
		{"bob", f.random, "@alice @alice twice", nil},
		{"alice", priv, "only @bob here, not @carol", nil},
		{"bob", f.general, "an answer to @carol", []func(*PostRequest){replyTo(first.ID)}},
		{"alice", f.general, "with a file", []func(*PostRequest){withFiles("x.txt")}},
	}
	for _, c := range cases {
		res, err := f.postE(c.user, c.ch, c.text, c.mod...)
		if err != nil {
			t.Fatalf("post %q: %v", c.text, err)
		}
		ids := make([]int64, len(res.Messages))
		for i, m := range res.Messages {
			ids[i] = m.ID
		}
		stored, err := f.db.MessagesByID(f.ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res.Messages, stored) {
			t.Errorf("post %q answered\n%+v\nstored\n%+v", c.text, res.Messages, stored)
		}
	}
}

func readerNames(rs []Member) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Username)
	}
	sort.Strings(out)
	return out
}

// TestReadersCacheFollowsAccounts: the writer keeps channels' readers
// between posts; accounts created, deleted or rolled back change who a post
// reaches and whom it mentions at once.
func TestReadersCacheFollowsAccounts(t *testing.T) {
	f := newChatFx(t, "alice", "bob")
	check := func(what, text string, readers, mentions []string) {
		t.Helper()
		res, err := f.postE("alice", f.general, text)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := readerNames(res.Readers); !reflect.DeepEqual(got, readers) {
			t.Errorf("%s: readers %v, want %v", what, got, readers)
		}
		if got := res.Messages[0].Mentions; !reflect.DeepEqual(got, mentions) {
			t.Errorf("%s: mentions %v, want %v", what, got, mentions)
		}
	}
	check("before", "hi @dave", []string{"alice", "bob"}, []string{})
	check("cached", "hi @bob", []string{"alice", "bob"}, []string{"bob"})
	dave := f.addUser("dave")
	check("after signup", "hi @dave", []string{"alice", "bob", "dave"}, []string{"dave"})
	if _, _, err := f.db.DeleteAccount(f.ctx, dave, false, nil); err != nil {
		t.Fatal(err)
	}
	check("after soft deletion", "hi @dave", []string{"alice", "bob"}, []string{})

	// A write that adds an account, reads the readers with it and then
	// fails leaves no trace in them, even once another account brings the
	// version counter back to the value the failed write saw.
	boom := errors.New("boom")
	err := f.db.Write(f.ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(f.ctx, `INSERT INTO users (username, username_key, created_at) VALUES ('ghost', 'ghost', 0)`); err != nil {
			return err
		}
		rs, err := readers(f.ctx, tx, f.general)
		if err != nil {
			return err
		}
		if got := readerNames(rs); !reflect.DeepEqual(got, []string{"alice", "bob", "ghost"}) {
			t.Errorf("readers inside the failing write: %v", got)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("failing write: %v", err)
	}
	f.addUser("erin")
	check("after a rolled back signup and the next", "hi @ghost @erin", []string{"alice", "bob", "erin"}, []string{"erin"})

	// A member added to a private channel is among its readers at once.
	priv, err := f.db.CreatePrivate(f.ctx, f.id("alice"), "plans", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := f.postE("alice", priv, "@bob?"); err != nil || !reflect.DeepEqual(readerNames(res.Readers), []string{"alice"}) {
		t.Fatalf("private post before bob joined: %v %+v", err, res)
	}
	if err := f.db.Write(f.ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(f.ctx, `INSERT INTO channel_members (channel_id, user_id, position, joined_at) VALUES (?, ?, 1, 0)`, priv, f.id("bob"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	res, err := f.postE("alice", priv, "@bob!")
	if err != nil {
		t.Fatal(err)
	}
	if got := readerNames(res.Readers); !reflect.DeepEqual(got, []string{"alice", "bob"}) || !reflect.DeepEqual(res.Messages[0].Mentions, []string{"bob"}) {
		t.Errorf("after bob joined: readers %v, mentions %v", got, res.Messages[0].Mentions)
	}
}

// TestStatementCacheUnderConcurrency: posts from many goroutines share
// batches and cached statements while reads run beside them; every post
// gets its own message and seq, and nothing is lost.
func TestStatementCacheUnderConcurrency(t *testing.T) {
	f := newChatFx(t, "alice", "bob")
	const writers, posts = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, writers*posts+writers)
	seqs := make(chan int64, writers*posts)
	for w := range writers {
		user := []string{"alice", "bob"}[w%2]
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range posts {
				text := fmt.Sprintf("writer %d post %d @bob", w, i)
				res, err := f.postE(user, f.general, text)
				if err != nil {
					errs <- err
					continue
				}
				if m := res.Messages[0]; m.Text != text || m.Author != user || !reflect.DeepEqual(m.Mentions, []string{"bob"}) {
					errs <- fmt.Errorf("post %q answered %+v", text, m)
				}
				seqs <- res.Messages[0].Seq
			}
		}()
		go func() {
			defer wg.Done()
			for range posts / 4 {
				if _, err := f.db.History(f.ctx, f.id(user), f.general, PageQuery{Limit: 20}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	close(seqs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[int64]bool{}
	for s := range seqs {
		if seen[s] {
			t.Errorf("seq %d handed out twice", s)
		}
		seen[s] = true
	}
	if n := f.count(`SELECT count(*) FROM messages WHERE channel_id = ? AND text LIKE 'writer %'`, f.general); n != writers*posts {
		t.Errorf("%d messages stored, want %d", n, writers*posts)
	}
}

// TestStatementCacheRunsWholeTexts: a text of several statements is run
// whole every time, though only single statements are kept compiled.
func TestStatementCacheRunsWholeTexts(t *testing.T) {
	f := newChatFx(t, "alice")
	const both = `UPDATE users SET bio = bio || 'a' WHERE username = 'alice'; UPDATE users SET bio = bio || 'b' WHERE username = 'alice';`
	for range 3 {
		if err := f.db.Write(f.ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(f.ctx, both)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	var bio string
	if err := f.db.Read(f.ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(context.Background(), `SELECT bio FROM users WHERE username = 'alice'`).Scan(&bio)
	}); err != nil {
		t.Fatal(err)
	}
	if bio != "ababab" {
		t.Errorf("bio %q, want ababab", bio)
	}
	if len(f.db.writer.stmts.prepared) == 0 {
		t.Error("no statement was kept compiled")
	}
}
