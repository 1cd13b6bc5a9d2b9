package chatsvc

import (
	"context"
	"os"
	"path/filepath"

	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/store"
)

// PostInput is a message-creating request after transport decoding.
type PostInput struct {
	ChannelID int64
	Text      string
	ReplyTo   int64
	ClientID  string
	Files     []store.NewFile
}

// Post creates the messages of one request (behavior.md §5.2). Files must
// already be saved with SaveUpload; on failure they are removed here, so a
// refused request leaves nothing behind.
func (s *Service) Post(ctx context.Context, u User, in PostInput) ([]chat.Message, error) {
	res, err := s.post(ctx, u, in)
	if err != nil || res.Duplicate {
		s.removeFiles(in.Files)
	}
	if err != nil {
		return nil, err
	}
	return res.Messages, nil
}

func (s *Service) post(ctx context.Context, u User, in PostInput) (*store.PostResult, error) {
	text, err := chat.NormalizeText(in.Text, s.settings.Get().MaxMessageLength)
	if err != nil {
		return nil, err
	}
	if text == "" && len(in.Files) == 0 {
		return nil, chat.FieldError(chat.EBadRequest, "text", "a message needs text or a file")
	}
	if in.ClientID != "" && !chat.ValidClientID(in.ClientID) {
		return nil, chat.FieldError(chat.EBadRequest, "client_id", "client_id is 1 to 64 printable ASCII characters")
	}
	req := store.PostRequest{UserID: u.ID, ChannelID: in.ChannelID, Text: text, ReplyTo: in.ReplyTo, ClientID: in.ClientID, Files: in.Files}
	res, err := s.db.Post(ctx, req, func(r *store.PostResult) { s.published(u, in, r) })
	if err != nil {
		return nil, err
	}
	// A repeat answers with the first request's messages as that answer
	// showed them, client_id included, so a client retrying after a lost
	// answer matches them to its optimistic copy.
	if in.ClientID != "" {
		for i := range res.Messages {
			res.Messages[i].ClientID = &in.ClientID
		}
	}
	return res, nil
}

// published sends a post's events, in commit order.
func (s *Service) published(u User, in PostInput, r *store.PostResult) {
	for _, m := range r.Messages {
		if in.ClientID != "" {
			m.ClientID = &in.ClientID
		}
		s.publishMessage("message.created", m, r.Readers)
	}
	last := r.Messages[len(r.Messages)-1]
	s.events.Publish(Event{Type: "read.updated", Data: map[string]any{
		"channel_id": in.ChannelID, "username": u.Username, "message_id": last.ID,
	}}, allIDs(r.Readers))
	for _, uid := range r.Unhidden {
		s.events.Publish(Event{Type: "channel.updated", Data: perUserChannel{s: s, id: in.ChannelID}}, []int64{uid})
	}
	s.stopTyping(in.ChannelID, u.ID, r.Readers)
}

// removeFiles deletes saved uploads of a refused or repeated request.
func (s *Service) removeFiles(files []store.NewFile) {
	for _, f := range files {
		if err := os.Remove(filepath.Join(s.uploads, f.Path)); err != nil && !os.IsNotExist(err) {
			s.log.Warn("removing an upload", "err", err)
		}
	}
}

// changed publishes a message change.
func (s *Service) changed(typ string) func(*store.Change) {
	return func(c *store.Change) { s.publishMessage(typ, c.Message, c.Readers) }
}

// publishMessage sends a message event to every reader whose history
// start is before the message, each copy as that reader sees it: a member
// added later gets a reply's reference to an older message without its
// text (behavior.md §10.2, §4.2).
func (s *Service) publishMessage(typ string, m chat.Message, rs []store.Member) {
	var whole, partial []int64
	for _, r := range rs {
		switch {
		case m.ID <= r.HistoryStart:
		case m.ReplyTo != nil && m.ReplyTo.ID <= r.HistoryStart:
			partial = append(partial, r.UserID)
		default:
			whole = append(whole, r.UserID)
		}
	}
	s.events.Publish(Event{Type: typ, Seq: m.Seq, Data: m}, whole)
	if len(partial) > 0 {
		s.events.Publish(Event{Type: typ, Seq: m.Seq, Data: m.ForHistoryStart(m.ReplyTo.ID)}, partial)
	}
}

// forCaller is a changed message as the caller, one of its readers, sees
// it.
func forCaller(c *store.Change, userID int64) *chat.Message {
	m := c.Message
	for _, r := range c.Readers {
		if r.UserID == userID {
			m = m.ForHistoryStart(r.HistoryStart)
		}
	}
	return &m
}

// Edit replaces a message's text.
func (s *Service) Edit(ctx context.Context, u User, messageID int64, text string) (*chat.Message, error) {
	text, err := chat.NormalizeText(text, s.settings.Get().MaxMessageLength)
	if err != nil {
		return nil, err
	}
	if text == "" {
		return nil, chat.FieldError(chat.EBadRequest, "text", "an edit needs text; delete the message instead")
	}
	c, err := s.db.Edit(ctx, u.ID, messageID, text, s.changed("message.updated"))
	if err != nil {
		return nil, err
	}
	return forCaller(c, u.ID), nil
}

// Delete turns a message into a tombstone and removes its files.
func (s *Service) Delete(ctx context.Context, u User, messageID int64) error {
	c, err := s.db.Delete(ctx, u.ID, messageID, s.changed("message.deleted"))
	if err != nil {
		return err
	}
	for _, p := range c.Files {
		if err := os.Remove(filepath.Join(s.uploads, p)); err != nil && !os.IsNotExist(err) {
			s.log.Warn("removing a deleted message's file", "err", err)
		}
	}
	return nil
}

// React adds or removes the caller's emoji.
func (s *Service) React(ctx context.Context, u User, messageID int64, emoji string, add bool) (*chat.Message, error) {
	if !chat.ValidEmoji(emoji) {
		return nil, chat.Errorf(chat.EBadRequest, "a reaction is one emoji")
	}
	c, err := s.db.React(ctx, u.ID, messageID, emoji, add, s.changed("message.updated"))
	if err != nil {
		return nil, err
	}
	return forCaller(c, u.ID), nil
}

// Pin pins or unpins a message.
func (s *Service) Pin(ctx context.Context, u User, messageID int64, pin bool) (*chat.Message, error) {
	c, err := s.db.Pin(ctx, u.ID, messageID, pin, s.changed("message.updated"))
	if err != nil {
		return nil, err
	}
	return forCaller(c, u.ID), nil
}

// MarkRead advances the caller's watermark (0: the newest message).
func (s *Service) MarkRead(ctx context.Context, u User, channelID, messageID int64) error {
	return s.db.MarkRead(ctx, u.ID, channelID, messageID, func(rc *store.ReadChange) {
		s.events.Publish(Event{Type: "read.updated", Data: map[string]any{
			"channel_id": rc.ChannelID, "username": u.Username, "message_id": rc.MessageID,
		}}, allIDs(rc.Readers))
	})
}

// History pages a channel's messages.
func (s *Service) History(ctx context.Context, u User, channelID int64, pq store.PageQuery) (*store.Page, error) {
	return s.db.History(ctx, u.ID, channelID, pq)
}

// Message returns one message the caller may see.
func (s *Service) Message(ctx context.Context, u User, id int64) (*chat.Message, error) {
	return s.db.MessageFor(ctx, u.ID, id)
}

// Pins lists a channel's pins.
func (s *Service) Pins(ctx context.Context, u User, channelID int64) ([]chat.Message, error) {
	return s.db.Pins(ctx, u.ID, channelID)
}

// Mentions lists the caller's unread mentions.
func (s *Service) Mentions(ctx context.Context, u User) ([]chat.Message, error) {
	return s.db.Mentions(ctx, u.ID)
}

// ReadReceipts maps readers to their watermarks.
func (s *Service) ReadReceipts(ctx context.Context, u User, channelID int64) (map[string]int64, error) {
	return s.db.ReadReceipts(ctx, u.ID, channelID)
}

// SearchResult is one hit with its highlight ranges.
type SearchResult struct {
	Message    chat.Message `json:"message"`
	Highlights [][2]int     `json:"highlights"`
}

// Search finds messages the caller may see.
func (s *Service) Search(ctx context.Context, u User, sq store.SearchQuery) ([]SearchResult, error) {
	ms, err := s.db.Search(ctx, u.ID, sq)
	if err != nil {
		return nil, err
	}
	out := make([]SearchResult, 0, len(ms))
	for _, m := range ms {
		out = append(out, SearchResult{Message: m, Highlights: chat.Highlights(m.Text, sq.Q)})
	}
	return out, nil
}

// File finds an attachment the caller may download.
func (s *Service) File(ctx context.Context, u User, id int64) (*store.FileRecord, string, error) {
	f, err := s.db.File(ctx, u.ID, id)
	if err != nil {
		return nil, "", err
	}
	return f, filepath.Join(s.uploads, f.Path), nil
}
