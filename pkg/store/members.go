package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/minimost/minimost/pkg/chat"
)

// ChannelChange is a rename or membership change of a private channel: the
// system message it posted and who must hear of it.
type ChannelChange struct {
	ChannelID int64
	Notice    *chat.Message
	// Readers are the channel's readers after the change.
	Readers []Member
	// Added is a new member (channel.created to them).
	Added *Member
	// Left is the user who left (channel.removed to them).
	Left *Member
	// Deleted: the last member left and the channel is gone.
	Deleted bool
	// Files are upload paths to remove once committed.
	Files []string
}

// privateOf checks the user is a member of a private channel; public
// channels and DMs refuse changes with bad_request.
func privateOf(ctx context.Context, tx *Tx, userID, channelID int64) (*Access, error) {
	a, err := access(ctx, tx, userID, channelID)
	if err != nil {
		return nil, err
	}
	if a.Kind != chat.KindPrivate {
		return nil, chat.Errorf(chat.EBadRequest, "only private channels can be renamed or change members")
	}
	return a, nil
}

func (db *DB) channelChange(ctx context.Context, after func(*ChannelChange), fn func(tx *Tx, c *ChannelChange, now int64) (string, error)) (*ChannelChange, error) {
	c := &ChannelChange{}
	now := db.now().UnixMilli()
	err := db.Write(ctx, func(tx *Tx) error {
		text, err := fn(tx, c, now)
		if err != nil {
			return err
		}
		if !c.Deleted {
			if c.Notice, c.Readers, err = postSystem(ctx, tx, c.ChannelID, text, now); err != nil {
				return err
			}
			// The notice of an addition is the newest message when the new
			// member arrives; joining creates no unread message (§4.2).
			if c.Added != nil {
				if _, err := advanceRead(ctx, tx, c.Added.UserID, c.ChannelID, c.Notice.ID); err != nil {
					return err
				}
			}
		}
		if after != nil {
			tx.AfterCommit(func() { after(c) })
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// RenamePrivate renames a private channel and posts the notice.
func (db *DB) RenamePrivate(ctx context.Context, userID int64, username string, channelID int64, name string, after func(*ChannelChange)) (*ChannelChange, error) {
	return db.channelChange(ctx, after, func(tx *Tx, c *ChannelChange, now int64) (string, error) {
		c.ChannelID = channelID
		if _, err := privateOf(ctx, tx, userID, channelID); err != nil {
			return "", err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE channels SET name = ? WHERE id = ?`, name, channelID); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s renamed the channel to \"%s\"", username, name), nil
	})
}

// AddMember adds a live account to a private channel; it sees history from
// now on.
func (db *DB) AddMember(ctx context.Context, userID int64, username string, channelID int64, newName string, after func(*ChannelChange)) (*ChannelChange, error) {
	return db.channelChange(ctx, after, func(tx *Tx, c *ChannelChange, now int64) (string, error) {
		c.ChannelID = channelID
		if _, err := privateOf(ctx, tx, userID, channelID); err != nil {
			return "", err
		}
		var m Member
		err := tx.QueryRowContext(ctx, `SELECT id, username FROM users WHERE username_key = ? AND deleted = 0`, chat.UsernameKey(newName)).Scan(&m.UserID, &m.Username)
		if errors.Is(err, sql.ErrNoRows) {
			return "", chat.Errorf(chat.ENotFound, "no user named %q", newName)
		}
		if err != nil {
			return "", err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM channel_members WHERE channel_id = ? AND user_id = ?`, channelID, m.UserID).Scan(&n); err != nil {
			return "", err
		}
		if n > 0 {
			return "", chat.Errorf(chat.EConflict, "%s is already a member", m.Username)
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM channel_members WHERE channel_id = ?`, channelID).Scan(&n); err != nil {
			return "", err
		}
		if n >= chat.PrivateMembersMax {
			return "", chat.Errorf(chat.EConflict, "a private channel has at most %d members", chat.PrivateMembersMax)
		}
		newest, err := newestMessageID(ctx, tx, channelID)
		if err != nil {
			return "", err
		}
		if err := addMember(ctx, tx, channelID, m.UserID, newest, now); err != nil {
			return "", err
		}
		c.Added = &m
		return fmt.Sprintf("%s added %s", username, m.Username), nil
	})
}

// Leave takes the user out of a private channel; the last one out deletes
// it with its messages and files.
func (db *DB) Leave(ctx context.Context, userID int64, username string, channelID int64, after func(*ChannelChange)) (*ChannelChange, error) {
	return db.channelChange(ctx, after, func(tx *Tx, c *ChannelChange, now int64) (string, error) {
		c.ChannelID = channelID
		if _, err := privateOf(ctx, tx, userID, channelID); err != nil {
			return "", err
		}
		c.Left = &Member{UserID: userID, Username: username}
		var err error
		c.Deleted, c.Files, err = removeMember(ctx, tx, channelID, userID)
		return fmt.Sprintf("%s left the channel", username), err
	})
}

// removeMember drops a membership and its read state; when no member is
// left the channel goes with everything in it.
func removeMember(ctx context.Context, tx *Tx, channelID, userID int64) (deleted bool, files []string, err error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM channel_members WHERE channel_id = ? AND user_id = ?`, channelID, userID); err != nil {
		return false, nil, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM read_state WHERE channel_id = ? AND user_id = ?`, channelID, userID); err != nil {
		return false, nil, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM hooks WHERE channel_id = ? AND user_id = ?`, channelID, userID); err != nil {
		return false, nil, err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM channel_members WHERE channel_id = ?`, channelID).Scan(&n); err != nil {
		return false, nil, err
	}
	if n > 0 {
		return false, nil, nil
	}
	files, err = stringsOf(ctx, tx, `SELECT a.path FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.channel_id = ? AND a.deleted = 0`, channelID)
	if err != nil {
		return false, nil, err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM channels WHERE id = ?`, channelID)
	return true, files, err
}

// Welcome sets a new account's watermark in every public channel to its
// newest message (a newcomer starts with nothing unread) and posts the
// welcome into the first channel. It runs inside the signup transaction.
func Welcome(ctx context.Context, tx *Tx, userID int64, text string, now int64) (*Notice, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO read_state (user_id, channel_id, last_read_id)
		SELECT ?, c.id, (SELECT max(id) FROM messages m WHERE m.channel_id = c.id)
		FROM channels c WHERE c.kind = 'public' AND EXISTS (SELECT 1 FROM messages m WHERE m.channel_id = c.id)`, userID); err != nil {
		return nil, err
	}
	first, err := firstPublicChannel(ctx, tx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m, rs, err := postSystem(ctx, tx, first, text, now)
	if err != nil {
		return nil, err
	}
	return &Notice{Message: *m, Readers: rs}, nil
}

// FileRecord is a stored attachment to serve.
type FileRecord struct {
	Name, ContentType, Path, SHA256 string
	Image                           bool
	Size                            int64
}

// File finds an attachment the user may download: its message visible to
// them, not deleted, the file still stored.
func (db *DB) File(ctx context.Context, userID, attachmentID int64) (*FileRecord, error) {
	var f FileRecord
	err := db.Read(ctx, func(tx *sql.Tx) error {
		var mid int64
		var deleted bool
		err := tx.QueryRowContext(ctx, `SELECT message_id, name, content_type, path, sha256, image, size, deleted FROM attachments WHERE id = ?`, attachmentID).
			Scan(&mid, &f.Name, &f.ContentType, &f.Path, &f.SHA256, &f.Image, &f.Size, &deleted)
		if errors.Is(err, sql.ErrNoRows) || err == nil && deleted {
			return chat.Errorf(chat.ENotFound, "no such file")
		}
		if err != nil {
			return err
		}
		m, _, err := visibleMessage(ctx, tx, userID, mid)
		if err != nil || m.Deleted {
			return chat.Errorf(chat.ENotFound, "no such file")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// Removal is what an account deletion did to the chat.
type Removal struct {
	// Changed are messages that got a new seq: tombstones (hard) and
	// messages that lost the account's reactions.
	Tombstoned []int64
	Reacted    []int64
	// Left are private channels the account left; Gone those deleted
	// because it was the last member.
	Left, Gone []int64
	Files      []string
}

// RemoveFromChat takes a deleted account out of the chat inside its
// deletion transaction (behavior.md §3.10): it leaves every private
// channel, its read state goes, and a hard deletion also tombstones its
// messages and removes its reactions, each touched message with a new seq.
func RemoveFromChat(ctx context.Context, tx *Tx, userID int64, hard bool) (*Removal, error) {
	r := &Removal{}
	chans, err := idsOf(ctx, tx, `SELECT m.channel_id FROM channel_members m JOIN channels c ON c.id = m.channel_id
		WHERE m.user_id = ? AND c.kind = 'private'`, userID)
	if err != nil {
		return nil, err
	}
	for _, ch := range chans {
		gone, files, err := removeMember(ctx, tx, ch, userID)
		if err != nil {
			return nil, err
		}
		r.Files = append(r.Files, files...)
		if gone {
			r.Gone = append(r.Gone, ch)
		} else {
			r.Left = append(r.Left, ch)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM read_state WHERE user_id = ?`, userID); err != nil {
		return nil, err
	}
	if !hard {
		return r, nil
	}
	if r.Tombstoned, err = idsOf(ctx, tx, `SELECT id FROM messages WHERE author_id = ? AND deleted = 0 AND system = 0 ORDER BY id`, userID); err != nil {
		return nil, err
	}
	for _, id := range r.Tombstoned {
		files, err := tombstone(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		r.Files = append(r.Files, files...)
		if err := bumpSeq(ctx, tx, id); err != nil {
			return nil, err
		}
	}
	if r.Reacted, err = idsOf(ctx, tx, `DELETE FROM reactions WHERE user_id = ? RETURNING message_id`, userID); err != nil {
		return nil, err
	}
	sortIDs(r.Reacted)
	for i, id := range r.Reacted {
		if i > 0 && r.Reacted[i-1] == id {
			continue
		}
		if err := bumpSeq(ctx, tx, id); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func bumpSeq(ctx context.Context, tx *Tx, messageID int64) error {
	seq, err := NextSeq(ctx, tx)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE messages SET seq = ? WHERE id = ?`, seq, messageID)
	return err
}

// MessagesByID loads messages with their readers, for events after a
// bulk change.
func (db *DB) MessagesByID(ctx context.Context, ids []int64) ([]chat.Message, error) {
	var out []chat.Message
	err := db.Read(ctx, func(tx *sql.Tx) (err error) {
		out, err = loadMessages(ctx, tx, ids)
		return err
	})
	return out, err
}
