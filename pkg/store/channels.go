package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/minimost/minimost/pkg/chat"
)

// Access is what one user may do in one channel.
type Access struct {
	ChannelID int64
	Kind      string
	// HistoryStart: the user sees messages with a larger id only.
	HistoryStart int64
	// SystemDM is the user's own notice channel from the server.
	SystemDM bool
}

// errNoChannel is the answer for a channel that does not exist or that the
// caller cannot read: the same, so ids do not leak existence.
func errNoChannel() error { return chat.Errorf(chat.ENotFound, "no such channel") }

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// access reads a user's rights in a channel inside tx.
func access(ctx context.Context, q querier, userID, channelID int64) (*Access, error) {
	a := &Access{ChannelID: channelID}
	var sys sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT c.kind, coalesce(m.history_start, 0), c.system_user
		FROM channels c LEFT JOIN channel_members m ON m.channel_id = c.id AND m.user_id = ?
		WHERE c.id = ? AND ((c.kind = 'public' AND c.listed = 1) OR m.user_id IS NOT NULL)`,
		userID, channelID).Scan(&a.Kind, &a.HistoryStart, &sys)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoChannel()
	}
	if err != nil {
		return nil, err
	}
	a.SystemDM = sys.Valid
	return a, nil
}

// Access returns a user's rights in a channel, or not_found.
func (db *DB) Access(ctx context.Context, userID, channelID int64) (*Access, error) {
	var a *Access
	err := db.Read(ctx, func(tx *sql.Tx) (err error) {
		a, err = access(ctx, tx, userID, channelID)
		return err
	})
	return a, err
}

// PublicChange reports what SyncPublicChannels did.
type PublicChange struct {
	Added   []int64 // created or listed again
	Removed []int64 // no longer listed
}

// SyncPublicChannels makes the listed public channels exactly names, in
// that order: missing ones are created, dropped ones unlisted with their
// data kept, re-added ones listed again.
func (db *DB) SyncPublicChannels(ctx context.Context, names []string) (PublicChange, error) {
	var ch PublicChange
	now := db.now().UnixMilli()
	err := db.Write(ctx, func(tx *Tx) error {
		want := map[string]int{}
		for i, n := range names {
			want[chat.UsernameKey(n)] = i
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, name_key, listed FROM channels WHERE kind = 'public'`)
		if err != nil {
			return err
		}
		type row struct {
			id     int64
			key    string
			listed bool
		}
		var existing []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.key, &r.listed); err != nil {
				rows.Close()
				return err
			}
			existing = append(existing, r)
		}
		rows.Close()
		have := map[string]bool{}
		for _, r := range existing {
			have[r.key] = true
			pos, keep := want[r.key]
			switch {
			case keep && !r.listed:
				ch.Added = append(ch.Added, r.id)
			case !keep && r.listed:
				ch.Removed = append(ch.Removed, r.id)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE channels SET listed = ?, position = ? WHERE id = ?`, keep, pos, r.id); err != nil {
				return err
			}
		}
		for i, n := range names {
			key := chat.UsernameKey(n)
			if have[key] {
				// A rename of case only keeps the channel and takes the
				// new spelling.
				if _, err := tx.ExecContext(ctx, `UPDATE channels SET name = ? WHERE kind = 'public' AND name_key = ?`, n, key); err != nil {
					return err
				}
				continue
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO channels (kind, name, name_key, created_at, position) VALUES ('public', ?, ?, ?, ?)`, n, key, now, i)
			if err != nil {
				return err
			}
			id, _ := res.LastInsertId()
			ch.Added = append(ch.Added, id)
		}
		return nil
	})
	return ch, err
}

// FirstPublicChannel is the first channel of the settings list (the
// welcome goes there).
func firstPublicChannel(ctx context.Context, q querier) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM channels WHERE kind = 'public' AND listed = 1 ORDER BY position LIMIT 1`).Scan(&id)
	return id, err
}

// ChannelsFor lists what a user may read: public channels in settings
// order, private channels by id, DMs by newest activity (behavior.md §4.1).
func (db *DB) ChannelsFor(ctx context.Context, userID int64, username string) ([]chat.Channel, error) {
	var out []chat.Channel
	err := db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT c.id FROM channels c
			LEFT JOIN channel_members m ON m.channel_id = c.id AND m.user_id = ?
			WHERE (c.kind = 'public' AND c.listed = 1) OR m.user_id IS NOT NULL
			ORDER BY CASE c.kind WHEN 'public' THEN 0 WHEN 'private' THEN 1 ELSE 2 END,
				CASE c.kind WHEN 'public' THEN c.position WHEN 'private' THEN c.id ELSE -c.last_activity END, c.id`, userID)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			c, err := channelView(ctx, tx, userID, username, id)
			if err != nil {
				return err
			}
			out = append(out, *c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: channels: %w", err)
	}
	if out == nil {
		out = []chat.Channel{}
	}
	return out, nil
}

// ChannelFor returns one channel as a user sees it, or not_found.
func (db *DB) ChannelFor(ctx context.Context, userID int64, username string, channelID int64) (*chat.Channel, error) {
	var c *chat.Channel
	err := db.Read(ctx, func(tx *sql.Tx) error {
		if _, err := access(ctx, tx, userID, channelID); err != nil {
			return err
		}
		var err error
		c, err = channelView(ctx, tx, userID, username, channelID)
		return err
	})
	return c, err
}

// channelView builds the Channel object for one viewer; an empty username
// is looked up.
func channelView(ctx context.Context, q querier, userID int64, username string, id int64) (*chat.Channel, error) {
	if username == "" {
		if err := q.QueryRowContext(ctx, `SELECT username FROM users WHERE id = ?`, userID).Scan(&username); err != nil {
			return nil, err
		}
	}
	c := &chat.Channel{ID: id}
	var createdBy sql.NullString
	var sys sql.NullInt64
	var historyStart int64
	var lastRead sql.NullInt64
	var hidden sql.NullBool
	err := q.QueryRowContext(ctx, `SELECT c.kind, c.name, u.username, c.created_at, c.system_user,
			coalesce(m.history_start, 0), r.last_read_id, r.hidden
		FROM channels c
		LEFT JOIN users u ON u.id = c.created_by
		LEFT JOIN channel_members m ON m.channel_id = c.id AND m.user_id = ?
		LEFT JOIN read_state r ON r.channel_id = c.id AND r.user_id = ?
		WHERE c.id = ?`, userID, userID, id).Scan(&c.Kind, &c.Name, &createdBy, &c.CreatedAt, &sys,
		&historyStart, &lastRead, &hidden)
	if err != nil {
		return nil, err
	}
	if createdBy.Valid {
		c.CreatedBy = &createdBy.String
	}
	if lastRead.Valid {
		c.LastReadID = &lastRead.Int64
	}
	c.Hidden = c.Kind == chat.KindDM && hidden.Valid && hidden.Bool
	if c.Kind != chat.KindPublic {
		members, err := memberNames(ctx, q, id)
		if err != nil {
			return nil, err
		}
		if c.Kind == chat.KindDM {
			chat.SortNames(members)
			if sys.Valid {
				c.Name = chat.SystemAuthor
			} else {
				c.Name = chat.DMName(members, username)
			}
		}
		c.Members = members
	}
	watermark := lastRead.Int64
	err = q.QueryRowContext(ctx, `SELECT
			count(*) FILTER (WHERE m.id > ? AND (m.author_id IS NOT ? OR m.system = 1)),
			count(*) FILTER (WHERE m.id > ? AND (m.author_id IS NOT ? OR m.system = 1) AND (m.mentions_everyone = 1 OR EXISTS
				(SELECT 1 FROM mentions x WHERE x.message_id = m.id AND x.user_id = ?)))
		FROM messages m WHERE m.channel_id = ? AND m.id > ? AND m.deleted = 0`,
		watermark, userID, watermark, userID, userID, id, historyStart).Scan(&c.Unread, &c.Mentions)
	if err != nil {
		return nil, err
	}
	var last sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT max(created_at) FROM messages WHERE channel_id = ? AND id > ? AND deleted = 0`, id, historyStart).Scan(&last); err != nil {
		return nil, err
	}
	if last.Valid {
		c.LastMessageAt = &last.Int64
	}
	return c, nil
}

// memberNames lists a channel's members in membership order, deleted
// accounts shown as such.
func memberNames(ctx context.Context, q querier, channelID int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT CASE WHEN u.deleted = 1 THEN ? ELSE u.username END
		FROM channel_members m JOIN users u ON u.id = m.user_id WHERE m.channel_id = ? ORDER BY m.position`, chat.DeletedAuthor, channelID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Member is one member (or reader) of a channel.
type Member struct {
	UserID   int64
	Username string
	// HistoryStart: the member sees messages with a larger id only.
	HistoryStart int64
}

// Readers returns the live accounts that can read a channel: everyone for
// a listed public channel, else the members. It is the audience of the
// channel's events.
func (db *DB) Readers(ctx context.Context, channelID int64) ([]Member, error) {
	var out []Member
	err := db.Read(ctx, func(tx *sql.Tx) (err error) {
		out, err = readers(ctx, tx, channelID)
		return err
	})
	return out, err
}

// readers lists a channel's live readers in id order. Inside a write they
// come from the writer's cache, shared with other writes: callers must not
// modify the slice.
func readers(ctx context.Context, q querier, channelID int64) ([]Member, error) {
	if tx, ok := q.(*Tx); ok {
		set, err := tx.readerSet(ctx, channelID)
		if err != nil {
			return nil, err
		}
		return set.members, nil
	}
	return queryReaders(ctx, q, channelID)
}

// queryReaders reads a channel's readers from the database.
func queryReaders(ctx context.Context, q querier, channelID int64) ([]Member, error) {
	rows, err := q.QueryContext(ctx, `SELECT u.id, u.username, coalesce(m.history_start, 0) FROM users u
		LEFT JOIN channel_members m ON m.channel_id = ? AND m.user_id = u.id
		WHERE u.deleted = 0 AND (m.user_id IS NOT NULL
			OR EXISTS (SELECT 1 FROM channels c WHERE c.id = ? AND c.kind = 'public' AND c.listed = 1))
		ORDER BY u.id`, channelID, channelID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.UserID, &m.Username, &m.HistoryStart); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// resolveNames maps usernames to live account ids, case-insensitively; an
// unknown name is a bad_request naming field.
func resolveNames(ctx context.Context, q querier, names []string, field string) ([]Member, error) {
	var out []Member
	seen := map[int64]bool{}
	for _, n := range names {
		var m Member
		err := q.QueryRowContext(ctx, `SELECT id, username FROM users WHERE username_key = ? AND deleted = 0`, chat.UsernameKey(strings.TrimSpace(n))).Scan(&m.UserID, &m.Username)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, chat.FieldError(chat.EBadRequest, field, "no user named %q", n)
		}
		if err != nil {
			return nil, err
		}
		if !seen[m.UserID] {
			seen[m.UserID] = true
			out = append(out, m)
		}
	}
	return out, nil
}

// newestMessageID is a channel's newest message id (0 for none).
func newestMessageID(ctx context.Context, q querier, channelID int64) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM messages WHERE channel_id = ?`, channelID).Scan(&id)
	return id, err
}

// addMember inserts a membership with its read watermark at the newest
// message, so joining creates no unread messages.
func addMember(ctx context.Context, tx *Tx, channelID, userID, historyStart, now int64) error {
	var pos int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(position), -1) + 1 FROM channel_members WHERE channel_id = ?`, channelID).Scan(&pos); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO channel_members (channel_id, user_id, position, history_start, joined_at) VALUES (?, ?, ?, ?, ?)`,
		channelID, userID, pos, historyStart, now); err != nil {
		return err
	}
	newest, err := newestMessageID(ctx, tx, channelID)
	if err != nil || newest == 0 {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO read_state (user_id, channel_id, last_read_id) VALUES (?, ?, ?)
		ON CONFLICT (user_id, channel_id) DO UPDATE SET last_read_id = max(coalesce(last_read_id, 0), excluded.last_read_id)`, userID, channelID, newest)
	return err
}

// CreatePrivate creates a private channel with its founding members.
func (db *DB) CreatePrivate(ctx context.Context, creatorID int64, name string, members []string) (int64, error) {
	var id int64
	now := db.now().UnixMilli()
	err := db.Write(ctx, func(tx *Tx) error {
		ms, err := resolveNames(ctx, tx, members, "members")
		if err != nil {
			return err
		}
		all := []int64{creatorID}
		for _, m := range ms {
			if m.UserID != creatorID {
				all = append(all, m.UserID)
			}
		}
		if len(all) > chat.PrivateMembersMax {
			return chat.FieldError(chat.EBadRequest, "members", "a private channel has at most %d members", chat.PrivateMembersMax)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO channels (kind, name, created_by, created_at, last_activity) VALUES ('private', ?, ?, ?, ?)`, name, creatorID, now, now)
		if err != nil {
			return err
		}
		id, _ = res.LastInsertId()
		for _, u := range all {
			if err := addMember(ctx, tx, id, u, 0, now); err != nil {
				return err
			}
		}
		return nil
	})
	return id, err
}

// dmKey identifies a DM by its member set.
func dmKey(ids []int64) string {
	sorted := append([]int64(nil), ids...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	parts := make([]string, len(sorted))
	for i, id := range sorted {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

// FindOrCreateDM returns the DM of exactly the caller and the named users,
// creating it when missing (created reports which).
func (db *DB) FindOrCreateDM(ctx context.Context, callerID int64, names []string) (id int64, created bool, err error) {
	return db.FindOrCreateDMLimited(ctx, callerID, names, nil)
}

// FindOrCreateDMLimited is FindOrCreateDM where mayCreate, when not nil,
// is asked just before a creation and its error refuses it: only a
// creation counts toward create_channel_per_hour (behavior.md §4.4), and
// whether the request creates is known only here.
func (db *DB) FindOrCreateDMLimited(ctx context.Context, callerID int64, names []string, mayCreate func() error) (id int64, created bool, err error) {
	now := db.now().UnixMilli()
	err = db.Write(ctx, func(tx *Tx) error {
		ms, err := resolveNames(ctx, tx, names, "members")
		if err != nil {
			return err
		}
		ids := []int64{callerID}
		for _, m := range ms {
			if m.UserID != callerID {
				ids = append(ids, m.UserID)
			}
		}
		if len(ids) < chat.DMMembersMin || len(ids) > chat.DMMembersMax {
			return chat.FieldError(chat.EBadRequest, "members", "a DM has %d to %d members, you included", chat.DMMembersMin, chat.DMMembersMax)
		}
		key := dmKey(ids)
		err = tx.QueryRowContext(ctx, `SELECT id FROM channels WHERE dm_key = ?`, key).Scan(&id)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if mayCreate != nil {
			if err := mayCreate(); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO channels (kind, created_by, created_at, dm_key, last_activity) VALUES ('dm', ?, ?, ?, ?)`, callerID, now, key, now)
		if err != nil {
			return err
		}
		id, _ = res.LastInsertId()
		created = true
		for _, u := range ids {
			if err := addMember(ctx, tx, id, u, 0, now); err != nil {
				return err
			}
		}
		return nil
	})
	return id, created, err
}

// systemDM returns (creating when missing) the server's DM with a user.
func systemDM(ctx context.Context, tx *Tx, userID, now int64) (int64, bool, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM channels WHERE system_user = ?`, userID).Scan(&id)
	if err == nil {
		return id, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO channels (kind, created_at, system_user, last_activity) VALUES ('dm', ?, ?, ?)`, now, userID, now)
	if err != nil {
		return 0, false, err
	}
	id, _ = res.LastInsertId()
	return id, true, addMember(ctx, tx, id, userID, 0, now)
}

// Rename renames a private channel the user is a member of.
func (db *DB) Rename(ctx context.Context, tx *Tx, channelID int64, name string) error {
	_, err := tx.ExecContext(ctx, `UPDATE channels SET name = ? WHERE id = ?`, name, channelID)
	return err
}

// HideDM sets the caller's hidden flag on a DM.
func (db *DB) HideDM(ctx context.Context, userID, channelID int64) error {
	return db.Write(ctx, func(tx *Tx) error {
		a, err := access(ctx, tx, userID, channelID)
		if err != nil {
			return err
		}
		if a.Kind != chat.KindDM {
			return chat.Errorf(chat.EBadRequest, "only DMs can be hidden")
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO read_state (user_id, channel_id, hidden) VALUES (?, ?, 1)
			ON CONFLICT (user_id, channel_id) DO UPDATE SET hidden = 1`, userID, channelID)
		return err
	})
}
