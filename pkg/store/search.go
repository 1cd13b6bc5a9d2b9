package store

import (
	"context"
	"database/sql"
	"strings"
	"unicode/utf8"

	"github.com/minimost/minimost/pkg/chat"
)

// SearchQuery is GET /search after validation.
type SearchQuery struct {
	Q         string
	ChannelID int64
	From      string
	HasFrom   bool
	After     int64
	Before    int64
	Limit     int
}

// searchScope limits a search to what the user may see; every value is
// bound.
func searchScope(userID int64, sq SearchQuery) (string, []any) {
	where := `((c.kind = 'public' AND c.listed = 1) OR cm.user_id IS NOT NULL)
		AND m.id > coalesce(cm.history_start, 0) AND m.deleted = 0`
	args := []any{}
	if sq.ChannelID != 0 {
		where += ` AND m.channel_id = ?`
		args = append(args, sq.ChannelID)
	}
	if sq.HasFrom {
		where += ` AND m.system = 0 AND m.author_id = (SELECT id FROM users WHERE username_key = ? AND deleted = 0)`
		args = append(args, chat.UsernameKey(sq.From))
	}
	if sq.After > 0 {
		where += ` AND m.created_at > ?`
		args = append(args, sq.After)
	}
	if sq.Before > 0 {
		where += ` AND m.created_at < ?`
		args = append(args, sq.Before)
	}
	return where, args
}

// Search finds messages whose text holds q (case-insensitively), newest
// first, among those the user may see. Queries of three or more characters
// use the trigram index; shorter ones scan the newest visible messages,
// bounded.
func (db *DB) Search(ctx context.Context, userID int64, sq SearchQuery) ([]chat.Message, error) {
	var out []chat.Message
	err := db.Read(ctx, func(tx *sql.Tx) error {
		if sq.ChannelID != 0 {
			if _, err := access(ctx, tx, userID, sq.ChannelID); err != nil {
				return err
			}
		}
		if strings.IndexByte(sq.Q, 0) >= 0 {
			// Message text never holds NUL (§5.1), so nothing matches; and
			// FTS5 would read the NUL as the end of its query string.
			out = []chat.Message{}
			return nil
		}
		where, scopeArgs := searchScope(userID, sq)
		from := ` FROM messages m JOIN channels c ON c.id = m.channel_id
			LEFT JOIN channel_members cm ON cm.channel_id = c.id AND cm.user_id = ?`
		args := append([]any{userID}, scopeArgs...)
		var ids []int64
		var err error
		switch n := utf8.RuneCountInString(sq.Q); {
		case n == 0:
			ids, err = idsOf(ctx, tx, `SELECT m.id`+from+` WHERE `+where+` ORDER BY m.id DESC LIMIT ?`, append(args, sq.Limit)...)
		case n >= 3:
			phrase := `"` + strings.ReplaceAll(sq.Q, `"`, `""`) + `"`
			ftsArgs := append([]any{userID, phrase}, scopeArgs...)
			// The index drives, newest first: ordering by its rowid lets
			// FTS5 walk backwards and stop at the limit instead of sorting
			// every match of a common word.
			ids, err = idsOf(ctx, tx, `SELECT m.id FROM messages_fts f JOIN messages m ON m.id = f.rowid
				JOIN channels c ON c.id = m.channel_id
				LEFT JOIN channel_members cm ON cm.channel_id = c.id AND cm.user_id = ?
				WHERE f.text MATCH ? AND `+where+` ORDER BY f.rowid DESC LIMIT ?`, append(ftsArgs, sq.Limit)...)
		default:
			ids, err = shortScan(ctx, tx, from, where, args, sq)
		}
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

// shortScan serves one- and two-character queries, which trigrams cannot:
// it reads the newest visible messages (at most chat.SearchShortScan) and
// keeps those that contain q.
func shortScan(ctx context.Context, tx *sql.Tx, from, where string, args []any, sq SearchQuery) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT m.id, m.text`+from+` WHERE `+where+` ORDER BY m.id DESC LIMIT ?`, append(args, chat.SearchShortScan)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() && len(ids) < sq.Limit {
		var id int64
		var text string
		if err := rows.Scan(&id, &text); err != nil {
			return nil, err
		}
		if chat.ContainsFold(text, sq.Q) {
			ids = append(ids, id)
		}
	}
	return ids, rows.Err()
}
