package store

import (
	"context"
	"fmt"

	"github.com/minimost/minimost/pkg/chat"
)

// maxCachedChannels bounds the writer's readers cache; past it the cache
// starts over.
const maxCachedChannels = 1024

// readerSet is a channel's readers with the index that resolves @mentions
// among them.
type readerSet struct {
	members []Member
	byKey   map[string]string // username key → username
	idOf    map[string]int64  // username key → user id
	nameOf  map[int64]string  // user id → username
}

func newReaderSet(ms []Member) *readerSet {
	s := &readerSet{members: ms, byKey: make(map[string]string, len(ms)),
		idOf: make(map[string]int64, len(ms)), nameOf: make(map[int64]string, len(ms))}
	for _, m := range ms {
		k := chat.UsernameKey(m.Username)
		s.byKey[k], s.idOf[k], s.nameOf[m.UserID] = m.Username, m.UserID, m.Username
	}
	return s
}

// username returns a reader's username, "" for someone who is not one.
func (s *readerSet) username(userID int64) string {
	return s.nameOf[userID]
}

// mentions resolves the mentions of text among the readers: their ids and
// usernames in order, and whether @everyone is present.
func (s *readerSet) mentions(text string) ([]int64, []string, bool) {
	names, everyone := chat.Mentions(text, s.byKey)
	ids := make([]int64, len(names))
	for i, n := range names {
		ids[i] = s.idOf[chat.UsernameKey(n)]
	}
	return ids, names, everyone
}

// readerCache keeps channels' readers between writes. Without it every
// post into a public channel reads every account. It is valid while
// readers_version, which triggers bump on every change to accounts,
// memberships and channels' kind or listing, holds the value it was filled
// at. It is used by the writer's goroutine only.
type readerCache struct {
	version   int64 // -1 when nothing is cached
	byChannel map[int64]*readerSet
}

func (c *readerCache) clear() {
	c.version, c.byChannel = -1, nil
}

// readerSet returns a channel's readers as tx sees them.
func (tx *Tx) readerSet(ctx context.Context, channelID int64) (*readerSet, error) {
	c := &tx.w.readers
	var v int64
	if err := tx.QueryRowContext(ctx, `SELECT value FROM readers_version WHERE id = 1`).Scan(&v); err != nil {
		return nil, fmt.Errorf("store: readers version: %w", err)
	}
	if v != c.version || len(c.byChannel) >= maxCachedChannels {
		c.version, c.byChannel = v, make(map[int64]*readerSet)
	}
	if s := c.byChannel[channelID]; s != nil {
		return s, nil
	}
	ms, err := queryReaders(ctx, tx, channelID)
	if err != nil {
		return nil, err
	}
	s := newReaderSet(ms)
	c.byChannel[channelID] = s
	return s, nil
}
