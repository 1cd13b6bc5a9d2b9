package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/minimost/minimost/pkg/chat"
)

// NewFile is an uploaded file already written under uploads/.
type NewFile struct {
	Name, ContentType string
	Size              int64
	Image             bool
	Width, Height     int
	Path              string
	SHA256            string
}

// PostRequest is one message-creating request (behavior.md §5.2).
type PostRequest struct {
	UserID    int64
	ChannelID int64
	Text      string
	ReplyTo   int64
	ClientID  string
	Files     []NewFile
}

// PostResult is what a post did, for the answer and the events.
type PostResult struct {
	Messages []chat.Message
	// Duplicate: a repeated client_id; nothing was created.
	Duplicate bool
	Readers   []Member
	// Unhidden lists the users whose hidden DM reappeared.
	Unhidden []int64
}

// ClientIDWindow is how long a client_id de-duplicates (ms).
const ClientIDWindow = 10 * 60 * 1000

// insertMessage adds one message with the next seq and its mentions, and
// returns its id and seq.
func insertMessage(ctx context.Context, tx *Tx, channelID, authorID int64, system bool, text string, replyTo int64,
	mentions []int64, everyone bool, now int64) (id, seq int64, err error) {
	seq, err = NextSeq(ctx, tx)
	if err != nil {
		return 0, 0, err
	}
	var author, reply any
	if authorID != 0 {
		author = authorID
	}
	if replyTo != 0 {
		reply = replyTo
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO messages (channel_id, author_id, system, text, created_at, reply_to, seq, mentions_everyone)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, channelID, author, system, text, now, reply, seq, everyone)
	if err != nil {
		return 0, 0, err
	}
	id, _ = res.LastInsertId()
	for i, u := range mentions {
		if _, err := tx.ExecContext(ctx, `INSERT INTO mentions (message_id, user_id, position) VALUES (?, ?, ?)`, id, u, i); err != nil {
			return 0, 0, err
		}
	}
	_, err = tx.ExecContext(ctx, `UPDATE channels SET last_activity = ? WHERE id = ?`, now, channelID)
	return id, seq, err
}

// advanceRead moves a watermark forward (never back) and reports whether it
// moved.
func advanceRead(ctx context.Context, tx *Tx, userID, channelID, messageID int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO read_state (user_id, channel_id, last_read_id) VALUES (?, ?, ?)
		ON CONFLICT (user_id, channel_id) DO UPDATE SET last_read_id = excluded.last_read_id
		WHERE coalesce(last_read_id, 0) < excluded.last_read_id`, userID, channelID, messageID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// mentionTargets resolves the mentions of text among a channel's readers.
func mentionTargets(ctx context.Context, tx *Tx, channelID int64, text string) ([]int64, []string, bool, error) {
	set, err := tx.readerSet(ctx, channelID)
	if err != nil {
		return nil, nil, false, err
	}
	ids, names, everyone := set.mentions(text)
	return ids, names, everyone, nil
}

// Post creates a request's messages in one transaction: the text message,
// then one per file, with consecutive ids and seqs. after runs once the
// transaction is durable, in commit order (events go out from there).
func (db *DB) Post(ctx context.Context, req PostRequest, after func(*PostResult)) (*PostResult, error) {
	if req.Text == "" && len(req.Files) == 0 {
		// The service refuses this first; here it would index an empty
		// list of created messages.
		return nil, chat.FieldError(chat.EBadRequest, "text", "a message needs text or a file")
	}
	now := db.now().UnixMilli()
	res := &PostResult{}
	err := db.Write(ctx, func(tx *Tx) error {
		a, err := access(ctx, tx, req.UserID, req.ChannelID)
		if err != nil {
			return err
		}
		if req.ClientID != "" {
			var created int64
			var list string
			err := tx.QueryRowContext(ctx, `SELECT created_at, message_ids FROM client_ids WHERE user_id = ? AND client_id = ?`,
				req.UserID, req.ClientID).Scan(&created, &list)
			if err == nil && now-created < ClientIDWindow {
				ids, err := splitIDs(list)
				if err != nil {
					return err
				}
				res.Duplicate = true
				res.Messages, err = loadMessages(ctx, tx, ids)
				return err
			}
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if err := checkPostable(ctx, tx, a, req.UserID); err != nil {
			return err
		}
		if req.ReplyTo != 0 {
			var ok int
			err := tx.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE id = ? AND channel_id = ? AND id > ? AND deleted = 0`,
				req.ReplyTo, req.ChannelID, a.HistoryStart).Scan(&ok)
			if err != nil {
				return err
			}
			if ok == 0 {
				return chat.FieldError(chat.EBadRequest, "reply_to", "reply_to must name a message of this channel")
			}
		}
		set, err := tx.readerSet(ctx, req.ChannelID)
		if err != nil {
			return err
		}
		res.Readers = set.members
		var ids []int64
		// The common post, text alone, is answered as built here rather
		// than read back; see built.
		var built *chat.Message
		if req.Text != "" {
			mentionIDs, names, everyone := set.mentions(req.Text)
			id, seq, err := insertMessage(ctx, tx, req.ChannelID, req.UserID, false, req.Text, req.ReplyTo, mentionIDs, everyone, now)
			if err != nil {
				return err
			}
			ids = append(ids, id)
			if author := set.username(req.UserID); author != "" && req.ReplyTo == 0 && len(req.Files) == 0 {
				built = newTextMessage(id, seq, req.ChannelID, author, req.Text, now, names, everyone)
			}
		}
		for _, f := range req.Files {
			id, _, err := insertMessage(ctx, tx, req.ChannelID, req.UserID, false, "", req.ReplyTo, nil, false, now)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO attachments (message_id, uploader_id, name, size, content_type, image, width, height, path, sha256, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, req.UserID, f.Name, f.Size, f.ContentType, f.Image, f.Width, f.Height, f.Path, f.SHA256, now); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if _, err := advanceRead(ctx, tx, req.UserID, req.ChannelID, ids[len(ids)-1]); err != nil {
			return err
		}
		if a.Kind == chat.KindDM {
			res.Unhidden, err = idsOf(ctx, tx, `UPDATE read_state SET hidden = 0 WHERE channel_id = ? AND hidden = 1 RETURNING user_id`, req.ChannelID)
			if err != nil {
				return err
			}
		}
		if req.ClientID != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO client_ids (user_id, client_id, created_at, message_ids) VALUES (?, ?, ?, ?)
				ON CONFLICT (user_id, client_id) DO UPDATE SET created_at = excluded.created_at, message_ids = excluded.message_ids`,
				req.UserID, req.ClientID, now, joinIDs(ids)); err != nil {
				return err
			}
		}
		if built != nil {
			res.Messages = []chat.Message{*built}
		} else if res.Messages, err = loadMessages(ctx, tx, ids); err != nil {
			return err
		}
		if after != nil {
			tx.AfterCommit(func() { after(res) })
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// newTextMessage is a text message without reply, files, reactions or pin
// as it was just inserted: what loadMessages would read back. mentions are
// the live readers' usernames in order of appearance, as the mentions rows
// were written.
func newTextMessage(id, seq, channelID int64, author, text string, now int64, mentions []string, everyone bool) *chat.Message {
	if mentions == nil {
		mentions = []string{}
	}
	return &chat.Message{
		ID: id, ChannelID: channelID, Author: author, Text: text, CreatedAt: now, Seq: seq,
		Attachments: []chat.Attachment{}, Reactions: []chat.Reaction{},
		Mentions: mentions, MentionsEveryone: everyone,
	}
}

// checkPostable refuses posts into a system DM (403) and into a DM whose
// other members are all deleted (400).
func checkPostable(ctx context.Context, tx *Tx, a *Access, userID int64) error {
	if a.SystemDM {
		return chat.Errorf(chat.EForbidden, "this channel carries notices from the server; it cannot be answered")
	}
	if a.Kind != chat.KindDM {
		return nil
	}
	var live int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM channel_members m JOIN users u ON u.id = m.user_id
		WHERE m.channel_id = ? AND m.user_id != ? AND u.deleted = 0`, a.ChannelID, userID).Scan(&live); err != nil {
		return err
	}
	if live == 0 {
		return chat.Errorf(chat.EBadRequest, "everyone else in this DM has left MiniMost")
	}
	return nil
}

// SystemPost is a message from the server (author MiniMost).
type SystemPost struct {
	ChannelID int64
	Text      string
}

// postSystem inserts a server message inside tx and returns it with its
// channel's readers.
func postSystem(ctx context.Context, tx *Tx, channelID int64, text string, now int64) (*chat.Message, []Member, error) {
	id, _, err := insertMessage(ctx, tx, channelID, 0, true, text, 0, nil, false, now)
	if err != nil {
		return nil, nil, err
	}
	ms, err := loadMessages(ctx, tx, []int64{id})
	if err != nil {
		return nil, nil, err
	}
	rs, err := readers(ctx, tx, channelID)
	return &ms[0], rs, err
}

// Notice is a server message that was posted, with who may read it.
type Notice struct {
	Message chat.Message
	Readers []Member
	// NewChannel is set when the message created its channel (a first
	// system DM).
	NewChannel bool
}

// NotifyUser posts a server notice into a user's system DM, creating the
// DM when missing.
func (db *DB) NotifyUser(ctx context.Context, userID int64, text string, after func(*Notice)) error {
	now := db.now().UnixMilli()
	return db.Write(ctx, func(tx *Tx) error {
		ch, created, err := systemDM(ctx, tx, userID, now)
		if err != nil {
			return err
		}
		m, rs, err := postSystem(ctx, tx, ch, text, now)
		if err != nil {
			return err
		}
		n := &Notice{Message: *m, Readers: rs, NewChannel: created}
		if after != nil {
			tx.AfterCommit(func() { after(n) })
		}
		return nil
	})
}
