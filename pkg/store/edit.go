package store

import (
	"context"
	"database/sql"

	"github.com/minimost/minimost/pkg/chat"
)

// Change is a message after an edit, reaction or pin, with its readers.
type Change struct {
	Message chat.Message
	Readers []Member
	// Changed is false for an idempotent no-op: no new seq, no event.
	Changed bool
	// Files lists upload paths to remove once committed (deletion).
	Files []string
}

// change runs fn on a message the user can see and reloads it.
func (db *DB) change(ctx context.Context, userID, messageID int64, after func(*Change),
	fn func(tx *Tx, m *chat.Message, a *Access, authorID int64) (bool, error)) (*Change, error) {
	c := &Change{}
	err := db.Write(ctx, func(tx *Tx) error {
		m, a, err := visibleMessage(ctx, tx, userID, messageID)
		if err != nil {
			return err
		}
		authorID, _, _, err := authorOf(ctx, tx, messageID)
		if err != nil {
			return err
		}
		c.Changed, err = fn(tx, m, a, authorID)
		if err != nil {
			return err
		}
		if c.Changed {
			seq, err := NextSeq(ctx, tx)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE messages SET seq = ? WHERE id = ?`, seq, messageID); err != nil {
				return err
			}
		}
		ms, err := loadMessages(ctx, tx, []int64{messageID})
		if err != nil {
			return err
		}
		c.Message = ms[0]
		if c.Readers, err = readers(ctx, tx, m.ChannelID); err != nil {
			return err
		}
		if c.Changed && after != nil {
			tx.AfterCommit(func() { after(c) })
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Edit replaces a message's text (author only; behavior.md §5.4).
func (db *DB) Edit(ctx context.Context, userID, messageID int64, text string, after func(*Change)) (*Change, error) {
	now := db.now().UnixMilli()
	return db.change(ctx, userID, messageID, after, func(tx *Tx, m *chat.Message, a *Access, authorID int64) (bool, error) {
		if m.System || authorID != userID {
			return false, chat.Errorf(chat.EForbidden, "only the author can edit a message")
		}
		if m.Deleted || m.Text == "" && len(m.Attachments) > 0 {
			return false, chat.Errorf(chat.EConflict, "deleted and file-only messages cannot be edited")
		}
		if m.Text == text {
			return false, nil
		}
		ids, _, everyone, err := mentionTargets(ctx, tx, m.ChannelID, text)
		if err != nil {
			return false, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET text = ?, edited_at = ?, mentions_everyone = ? WHERE id = ?`, text, now, everyone, m.ID); err != nil {
			return false, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM mentions WHERE message_id = ?`, m.ID); err != nil {
			return false, err
		}
		for i, u := range ids {
			if _, err := tx.ExecContext(ctx, `INSERT INTO mentions (message_id, user_id, position) VALUES (?, ?, ?)`, m.ID, u, i); err != nil {
				return false, err
			}
		}
		return true, nil
	})
}

// tombstone empties a message: text, attachments (files returned for
// removal), reactions, pin and mentions go; id, author and time stay.
func tombstone(ctx context.Context, tx *Tx, messageID int64) ([]string, error) {
	files, err := stringsOf(ctx, tx, `SELECT path FROM attachments WHERE message_id = ? AND deleted = 0`, messageID)
	if err != nil {
		return nil, err
	}
	for _, q := range []string{
		`UPDATE messages SET deleted = 1, text = '', mentions_everyone = 0, pinned_by = NULL, pinned_at = NULL WHERE id = ?`,
		`UPDATE attachments SET deleted = 1 WHERE message_id = ?`,
		`DELETE FROM reactions WHERE message_id = ?`,
		`DELETE FROM mentions WHERE message_id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, messageID); err != nil {
			return nil, err
		}
	}
	return files, nil
}

func stringsOf(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Delete turns the author's message into a tombstone.
func (db *DB) Delete(ctx context.Context, userID, messageID int64, after func(*Change)) (*Change, error) {
	var files []string
	c, err := db.change(ctx, userID, messageID, after, func(tx *Tx, m *chat.Message, a *Access, authorID int64) (bool, error) {
		if m.System || authorID != userID {
			return false, chat.Errorf(chat.EForbidden, "only the author can delete a message")
		}
		if m.Deleted {
			return false, nil
		}
		var err error
		files, err = tombstone(ctx, tx, m.ID)
		return err == nil, err
	})
	if c != nil {
		c.Files = files
	}
	return c, err
}

// React adds (add) or removes a user's emoji on a message; idempotent.
func (db *DB) React(ctx context.Context, userID, messageID int64, emoji string, add bool, after func(*Change)) (*Change, error) {
	return db.change(ctx, userID, messageID, after, func(tx *Tx, m *chat.Message, a *Access, authorID int64) (bool, error) {
		if m.Deleted {
			return false, chat.Errorf(chat.EConflict, "deleted messages cannot be reacted to")
		}
		if !add {
			res, err := tx.ExecContext(ctx, `DELETE FROM reactions WHERE message_id = ? AND emoji = ? AND user_id = ?`, m.ID, emoji, userID)
			if err != nil {
				return false, err
			}
			n, _ := res.RowsAffected()
			return n > 0, nil
		}
		var mine, distinct, has int
		if err := tx.QueryRowContext(ctx, `SELECT
				(SELECT count(*) FROM reactions WHERE message_id = ? AND emoji = ? AND user_id = ?),
				(SELECT count(DISTINCT emoji) FROM reactions WHERE message_id = ?),
				(SELECT count(*) FROM reactions WHERE message_id = ? AND emoji = ?)`,
			m.ID, emoji, userID, m.ID, m.ID, emoji).Scan(&mine, &distinct, &has); err != nil {
			return false, err
		}
		if mine > 0 {
			return false, nil
		}
		if has == 0 && distinct >= chat.MaxReactionEmojis {
			return false, chat.Errorf(chat.EConflict, "a message carries at most %d different emojis", chat.MaxReactionEmojis)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO reactions (message_id, emoji, user_id) VALUES (?, ?, ?)`, m.ID, emoji, userID)
		return err == nil, err
	})
}

// Pin pins or unpins a message; idempotent; any reader may.
func (db *DB) Pin(ctx context.Context, userID, messageID int64, pin bool, after func(*Change)) (*Change, error) {
	now := db.now().UnixMilli()
	return db.change(ctx, userID, messageID, after, func(tx *Tx, m *chat.Message, a *Access, authorID int64) (bool, error) {
		if !pin {
			if !m.Pinned {
				return false, nil
			}
			_, err := tx.ExecContext(ctx, `UPDATE messages SET pinned_by = NULL, pinned_at = NULL WHERE id = ?`, m.ID)
			return err == nil, err
		}
		if m.Deleted {
			return false, chat.Errorf(chat.EConflict, "deleted messages cannot be pinned")
		}
		if m.Pinned {
			return false, nil
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE channel_id = ? AND pinned_at IS NOT NULL`, m.ChannelID).Scan(&n); err != nil {
			return false, err
		}
		if n >= chat.MaxPinsPerChannel {
			return false, chat.Errorf(chat.EConflict, "a channel holds at most %d pins; unpin one first", chat.MaxPinsPerChannel)
		}
		// GET …/pins lists by pinned_at, so two pins within one millisecond
		// would fall back to id order; keeping pinned_at strictly increasing
		// per channel (at most a millisecond late) keeps the pinning order.
		_, err := tx.ExecContext(ctx, `UPDATE messages SET pinned_by = ?, pinned_at = max(?, coalesce(
				(SELECT max(pinned_at) + 1 FROM messages WHERE channel_id = ? AND pinned_at IS NOT NULL), 0))
			WHERE id = ?`, userID, now, m.ChannelID, m.ID)
		return err == nil, err
	})
}

// ReadChange is an advanced watermark.
type ReadChange struct {
	ChannelID int64
	MessageID int64
	Readers   []Member
}

// MarkRead advances a user's watermark to messageID (0: the newest).
func (db *DB) MarkRead(ctx context.Context, userID, channelID, messageID int64, after func(*ReadChange)) error {
	return db.Write(ctx, func(tx *Tx) error {
		a, err := access(ctx, tx, userID, channelID)
		if err != nil {
			return err
		}
		if messageID == 0 {
			if messageID, err = newestMessageID(ctx, tx, channelID); err != nil || messageID == 0 {
				return err
			}
		} else {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE id = ? AND channel_id = ? AND id > ?`, messageID, channelID, a.HistoryStart).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return chat.FieldError(chat.EBadRequest, "message_id", "message_id must name a message of this channel")
			}
		}
		moved, err := advanceRead(ctx, tx, userID, channelID, messageID)
		if err != nil || !moved {
			return err
		}
		rs, err := readers(ctx, tx, channelID)
		if err != nil {
			return err
		}
		if after != nil {
			rc := &ReadChange{ChannelID: channelID, MessageID: messageID, Readers: rs}
			tx.AfterCommit(func() { after(rc) })
		}
		return nil
	})
}

// ReadReceipts maps every current reader with a watermark to it.
func (db *DB) ReadReceipts(ctx context.Context, userID, channelID int64) (map[string]int64, error) {
	out := map[string]int64{}
	err := db.Read(ctx, func(tx *sql.Tx) error {
		if _, err := access(ctx, tx, userID, channelID); err != nil {
			return err
		}
		rs, err := readers(ctx, tx, channelID)
		if err != nil {
			return err
		}
		for _, r := range rs {
			var id sql.NullInt64
			err := tx.QueryRowContext(ctx, `SELECT last_read_id FROM read_state WHERE user_id = ? AND channel_id = ?`, r.UserID, channelID).Scan(&id)
			if err == nil && id.Int64 > 0 {
				out[r.Username] = id.Int64
			} else if err != nil && err != sql.ErrNoRows {
				return err
			}
		}
		return nil
	})
	return out, err
}

// Pins lists a channel's pinned messages, most recently pinned first.
func (db *DB) Pins(ctx context.Context, userID, channelID int64) ([]chat.Message, error) {
	var out []chat.Message
	err := db.Read(ctx, func(tx *sql.Tx) error {
		a, err := access(ctx, tx, userID, channelID)
		if err != nil {
			return err
		}
		ids, err := idsOf(ctx, tx, `SELECT id FROM messages WHERE channel_id = ? AND id > ? AND pinned_at IS NOT NULL AND deleted = 0
			ORDER BY pinned_at DESC, id DESC`, channelID, a.HistoryStart)
		if err != nil {
			return err
		}
		if out, err = loadMessages(ctx, tx, ids); err != nil {
			return err
		}
		forHistoryStart(out, a.HistoryStart)
		return nil
	})
	return out, err
}

// Mentions lists a user's unread mentions across readable channels, newest
// first, at most 200.
func (db *DB) Mentions(ctx context.Context, userID int64) ([]chat.Message, error) {
	var out []chat.Message
	err := db.Read(ctx, func(tx *sql.Tx) error {
		ids, err := idsOf(ctx, tx, `SELECT m.id FROM messages m
			JOIN channels c ON c.id = m.channel_id
			LEFT JOIN channel_members cm ON cm.channel_id = c.id AND cm.user_id = ?
			LEFT JOIN read_state r ON r.channel_id = c.id AND r.user_id = ?
			WHERE ((c.kind = 'public' AND c.listed = 1) OR cm.user_id IS NOT NULL)
				AND m.id > coalesce(cm.history_start, 0) AND m.id > coalesce(r.last_read_id, 0)
				AND m.deleted = 0 AND (m.author_id IS NOT ? OR m.system = 1)
				AND (m.mentions_everyone = 1 OR EXISTS (SELECT 1 FROM mentions x WHERE x.message_id = m.id AND x.user_id = ?))
			ORDER BY m.id DESC LIMIT 200`, userID, userID, userID, userID)
		if err != nil {
			return err
		}
		if out, err = loadMessages(ctx, tx, ids); err != nil {
			return err
		}
		return forViewer(ctx, tx, userID, out)
	})
	return out, err
}
