package chatsvc

import (
	"context"
	"os"
	"path/filepath"

	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/store"
)

// Channels lists what the caller may read.
func (s *Service) Channels(ctx context.Context, u User) ([]chat.Channel, error) {
	return s.db.ChannelsFor(ctx, u.ID, u.Username)
}

// Channel returns one channel the caller may read.
func (s *Service) Channel(ctx context.Context, u User, id int64) (*chat.Channel, error) {
	return s.db.ChannelFor(ctx, u.ID, u.Username, id)
}

// CreatePrivate creates a private channel and tells its members.
func (s *Service) CreatePrivate(ctx context.Context, u User, name string, members []string) (*chat.Channel, error) {
	name, err := chat.NormalizePrivateName(name)
	if err != nil {
		return nil, err
	}
	id, err := s.db.CreatePrivate(ctx, u.ID, name, members)
	if err != nil {
		return nil, err
	}
	if err := s.announceNew(ctx, id); err != nil {
		return nil, err
	}
	return s.db.ChannelFor(ctx, u.ID, u.Username, id)
}

func (s *Service) announceNew(ctx context.Context, id int64) error {
	rs, err := s.db.Readers(ctx, id)
	if err != nil {
		return err
	}
	s.events.Publish(Event{Type: "channel.created", Data: perUserChannel{s: s, id: id}}, allIDs(rs))
	return nil
}

// OpenDM returns the DM of exactly the caller and members, creating it
// (and telling its members) when missing.
func (s *Service) OpenDM(ctx context.Context, u User, members []string) (*chat.Channel, bool, error) {
	return s.OpenDMLimited(ctx, u, members, nil)
}

// OpenDMLimited is OpenDM where mayCreate (the creation rate limit), when
// not nil, is asked only when the DM must be created; its error refuses the
// creation and is returned as is.
func (s *Service) OpenDMLimited(ctx context.Context, u User, members []string, mayCreate func() error) (*chat.Channel, bool, error) {
	id, created, err := s.db.FindOrCreateDMLimited(ctx, u.ID, members, mayCreate)
	if err != nil {
		return nil, false, err
	}
	if created {
		if err := s.announceNew(ctx, id); err != nil {
			return nil, false, err
		}
	}
	c, err := s.db.ChannelFor(ctx, u.ID, u.Username, id)
	return c, created, err
}

// channelChanged publishes a membership or name change.
func (s *Service) channelChanged(c *store.ChannelChange) {
	if c.Notice != nil {
		s.events.Publish(Event{Type: "message.created", Seq: c.Notice.Seq, Data: *c.Notice}, seeing(c.Readers, c.Notice.ID))
	}
	var others []int64
	for _, r := range c.Readers {
		if c.Added == nil || r.UserID != c.Added.UserID {
			others = append(others, r.UserID)
		}
	}
	if !c.Deleted {
		s.events.Publish(Event{Type: "channel.updated", Data: perUserChannel{s: s, id: c.ChannelID}}, others)
	}
	if c.Added != nil {
		s.events.Publish(Event{Type: "channel.created", Data: perUserChannel{s: s, id: c.ChannelID}}, []int64{c.Added.UserID})
	}
	if c.Left != nil {
		s.events.Publish(Event{Type: "channel.removed", Data: map[string]int64{"channel_id": c.ChannelID}}, []int64{c.Left.UserID})
		// Losing access ends typing there (behavior.md §9.2).
		if c.Deleted {
			s.dropTyping(c.ChannelID)
		} else {
			s.stopTyping(c.ChannelID, c.Left.UserID, c.Readers)
		}
	}
	for _, p := range c.Files {
		if err := os.Remove(filepath.Join(s.uploads, p)); err != nil && !os.IsNotExist(err) {
			s.log.Warn("removing a deleted channel's file", "err", err)
		}
	}
}

// Rename renames a private channel.
func (s *Service) Rename(ctx context.Context, u User, id int64, name string) (*chat.Channel, error) {
	name, err := chat.NormalizePrivateName(name)
	if err != nil {
		return nil, err
	}
	if _, err := s.db.RenamePrivate(ctx, u.ID, u.Username, id, name, s.channelChanged); err != nil {
		return nil, err
	}
	return s.db.ChannelFor(ctx, u.ID, u.Username, id)
}

// AddMember adds someone to a private channel.
func (s *Service) AddMember(ctx context.Context, u User, id int64, username string) error {
	_, err := s.db.AddMember(ctx, u.ID, u.Username, id, username, s.channelChanged)
	return err
}

// Leave takes the caller out of a private channel.
func (s *Service) Leave(ctx context.Context, u User, id int64) error {
	_, err := s.db.Leave(ctx, u.ID, u.Username, id, s.channelChanged)
	return err
}

// Hide hides a DM for the caller.
func (s *Service) Hide(ctx context.Context, u User, id int64) error {
	if err := s.db.HideDM(ctx, u.ID, id); err != nil {
		return err
	}
	s.events.Publish(Event{Type: "channel.updated", Data: perUserChannel{s: s, id: id}}, []int64{u.ID})
	return nil
}

// Members lists a channel's readers' names: members for private channels
// and DMs, every live account for public ones.
func (s *Service) Members(ctx context.Context, u User, id int64) ([]string, error) {
	if _, err := s.db.Access(ctx, u.ID, id); err != nil {
		return nil, err
	}
	rs, err := s.db.Readers(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Username
	}
	return out, nil
}

// Notify posts a server notice into a user's system DM.
func (s *Service) Notify(ctx context.Context, userID int64, text string) error {
	return s.db.NotifyUser(ctx, userID, text, func(n *store.Notice) {
		if n.NewChannel {
			s.events.Publish(Event{Type: "channel.created", Data: perUserChannel{s: s, id: n.Message.ChannelID}}, allIDs(n.Readers))
		}
		s.events.Publish(Event{Type: "message.created", Seq: n.Message.Seq, Data: n.Message}, allIDs(n.Readers))
	})
}

// Welcome is the signup hook: it runs inside the account's transaction.
func (s *Service) Welcome(ctx context.Context, tx *store.Tx, a *chat.Account) error {
	n, err := store.Welcome(ctx, tx, a.ID, "Welcome to MiniMost, @"+a.Username+"!", s.now().UnixMilli())
	if err != nil || n == nil {
		return err
	}
	tx.AfterCommit(func() {
		s.events.Publish(Event{Type: "message.created", Seq: n.Message.Seq, Data: n.Message}, allIDs(n.Readers))
	})
	return nil
}

// AccountRemoved is the deletion hook: it runs inside the account's
// deletion transaction and publishes once that commits.
func (s *Service) AccountRemoved(ctx context.Context, tx *store.Tx, a *chat.Account, hard bool) error {
	r, err := store.RemoveFromChat(ctx, tx, a.ID, hard)
	if err != nil {
		return err
	}
	tx.AfterCommit(func() { s.accountRemoved(a, r) })
	return nil
}

func (s *Service) accountRemoved(a *chat.Account, r *store.Removal) {
	ctx := context.Background()
	for _, ch := range r.Left {
		if rs, err := s.db.Readers(ctx, ch); err == nil {
			s.events.Publish(Event{Type: "channel.updated", Data: perUserChannel{s: s, id: ch}}, allIDs(rs))
		}
	}
	publish := func(ids []int64, typ string) {
		ms, err := s.db.MessagesByID(ctx, ids)
		if err != nil {
			s.log.Error("events after an account deletion", "err", err)
			return
		}
		for _, m := range ms {
			if rs, err := s.db.Readers(ctx, m.ChannelID); err == nil {
				s.publishMessage(typ, m, rs)
			}
		}
	}
	for _, ch := range r.Gone {
		s.dropTyping(ch)
	}
	s.stopTypingEverywhere(a.ID)
	publish(r.Tombstoned, "message.deleted")
	publish(r.Reacted, "message.updated")
	for _, p := range r.Files {
		if err := os.Remove(filepath.Join(s.uploads, p)); err != nil && !os.IsNotExist(err) {
			s.log.Warn("removing a deleted account's file", "err", err)
		}
	}
	s.hub.RevokeUser(a.ID)
}
