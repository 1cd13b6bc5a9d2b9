package chatsvc

import (
	"context"
	"sort"
	"time"

	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/store"
)

// Typing rules of behavior.md §9.2.
const (
	typingFor   = 5 * time.Second
	typingEvery = time.Second
)

// Typing marks the caller as typing in a channel they can read. Repeats
// within a second are ignored; a refresh within 5 s emits nothing.
func (s *Service) Typing(ctx context.Context, u User, channelID int64) {
	a, err := s.db.Access(ctx, u.ID, channelID)
	if err != nil || a.SystemDM {
		return
	}
	now := s.now()
	s.typingMu.Lock()
	set := s.typing[channelID]
	if set == nil {
		set = map[int64]typist{}
		s.typing[channelID] = set
	}
	t, was := set[u.ID]
	if was && now.Sub(t.last) < typingEvery {
		s.typingMu.Unlock()
		return
	}
	fresh := !was || now.After(t.expires)
	set[u.ID] = typist{name: u.Username, expires: now.Add(typingFor), last: now}
	s.typingMu.Unlock()
	if fresh {
		s.publishTyping(ctx, channelID, nil)
	}
}

// typers lists a channel's live typists' names, sorted, dropping expired
// ones; it reports whether any expired.
func (s *Service) typers(channelID int64, except int64) (names []string, expired bool) {
	now := s.now()
	s.typingMu.Lock()
	defer s.typingMu.Unlock()
	for id, t := range s.typing[channelID] {
		if now.After(t.expires) {
			delete(s.typing[channelID], id)
			expired = true
			continue
		}
		if id != except {
			names = append(names, t.name)
		}
	}
	if len(s.typing[channelID]) == 0 {
		delete(s.typing, channelID)
	}
	chat.SortNames(names)
	if names == nil {
		names = []string{}
	}
	return names, expired
}

// TypingNow is GET /channels/{id}/typing: the set without the caller.
func (s *Service) TypingNow(ctx context.Context, u User, channelID int64) ([]string, error) {
	if _, err := s.db.Access(ctx, u.ID, channelID); err != nil {
		return nil, err
	}
	names, _ := s.typers(channelID, u.ID)
	return names, nil
}

func (s *Service) publishTyping(ctx context.Context, channelID int64, rs []store.Member) {
	if rs == nil {
		var err error
		if rs, err = s.db.Readers(ctx, channelID); err != nil {
			return
		}
	}
	names, _ := s.typers(channelID, 0)
	s.events.Publish(Event{Type: "typing", Data: map[string]any{"channel_id": channelID, "users": names}}, allIDs(rs))
}

// stopTyping clears the author from a channel's typing set after a post.
func (s *Service) stopTyping(channelID, userID int64, rs []store.Member) {
	s.typingMu.Lock()
	_, was := s.typing[channelID][userID]
	delete(s.typing[channelID], userID)
	s.typingMu.Unlock()
	if was {
		s.publishTyping(context.Background(), channelID, rs)
	}
}

// dropTyping forgets the typing set of a channel that is gone.
func (s *Service) dropTyping(channelID int64) {
	s.typingMu.Lock()
	delete(s.typing, channelID)
	s.typingMu.Unlock()
}

// stopTypingEverywhere clears a deleted account from every typing set,
// telling each channel's readers.
func (s *Service) stopTypingEverywhere(userID int64) {
	s.typingMu.Lock()
	var chans []int64
	for ch, set := range s.typing {
		if _, ok := set[userID]; ok {
			chans = append(chans, ch)
		}
	}
	s.typingMu.Unlock()
	sort.Slice(chans, func(i, j int) bool { return chans[i] < chans[j] })
	for _, ch := range chans {
		s.stopTyping(ch, userID, nil)
	}
}

// ExpireTyping runs until ctx ends, announcing typists who went quiet.
func (s *Service) ExpireTyping(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.expireTyping(ctx)
		}
	}
}

// expireTyping announces, once, every channel whose typing set lost
// someone to the 5-second expiry since the last call.
func (s *Service) expireTyping(ctx context.Context) {
	s.typingMu.Lock()
	chans := make([]int64, 0, len(s.typing))
	for id := range s.typing {
		chans = append(chans, id)
	}
	s.typingMu.Unlock()
	sort.Slice(chans, func(i, j int) bool { return chans[i] < chans[j] })
	for _, id := range chans {
		if _, expired := s.typers(id, 0); expired {
			s.publishTyping(ctx, id, nil)
		}
	}
}
