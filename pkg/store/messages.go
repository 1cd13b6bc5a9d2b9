package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/minimost/minimost/pkg/chat"
)

func errNoMessage() error { return chat.Errorf(chat.ENotFound, "no such message") }

// inList renders n placeholders for an IN clause; the values are always
// bound, never spliced.
func inList(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// loadMessages builds the Message objects for ids (in the order given).
func loadMessages(ctx context.Context, q querier, ids []int64) ([]chat.Message, error) {
	if len(ids) == 0 {
		return []chat.Message{}, nil
	}
	byID := make(map[int64]*chat.Message, len(ids))
	replyOf := map[int64]int64{}
	args := int64Args(ids)
	rows, err := q.QueryContext(ctx, `SELECT m.id, m.channel_id, m.system, u.username, coalesce(u.deleted, 1), m.text, m.created_at,
			m.edited_at, m.deleted, m.reply_to, m.seq, m.mentions_everyone, pu.username, m.pinned_at
		FROM messages m LEFT JOIN users u ON u.id = m.author_id LEFT JOIN users pu ON pu.id = m.pinned_by
		WHERE m.id IN (`+inList(len(ids))+`)`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		m := &chat.Message{Attachments: []chat.Attachment{}, Reactions: []chat.Reaction{}, Mentions: []string{}}
		var author, pinnedBy sql.NullString
		var authorGone bool
		var edited, replyTo, pinnedAt sql.NullInt64
		if err := rows.Scan(&m.ID, &m.ChannelID, &m.System, &author, &authorGone, &m.Text, &m.CreatedAt,
			&edited, &m.Deleted, &replyTo, &m.Seq, &m.MentionsEveryone, &pinnedBy, &pinnedAt); err != nil {
			rows.Close()
			return nil, err
		}
		switch {
		case m.System:
			m.Author = chat.SystemAuthor
		case authorGone || !author.Valid:
			m.Author, m.AuthorDeleted = chat.DeletedAuthor, true
		default:
			m.Author = author.String
		}
		if edited.Valid {
			m.EditedAt = &edited.Int64
		}
		if pinnedAt.Valid {
			m.Pinned, m.PinnedAt = true, &pinnedAt.Int64
			if pinnedBy.Valid {
				m.PinnedBy = &pinnedBy.String
			}
		}
		if replyTo.Valid {
			replyOf[m.ID] = replyTo.Int64
		}
		byID[m.ID] = m
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := loadAttachments(ctx, q, byID, args); err != nil {
		return nil, err
	}
	if err := loadReactions(ctx, q, byID, args); err != nil {
		return nil, err
	}
	if err := loadMentions(ctx, q, byID, args); err != nil {
		return nil, err
	}
	if err := loadReplies(ctx, q, byID, replyOf); err != nil {
		return nil, err
	}
	out := make([]chat.Message, 0, len(ids))
	for _, id := range ids {
		if m, ok := byID[id]; ok {
			out = append(out, *m)
		}
	}
	return out, nil
}

// FileURL is an attachment's download path.
func FileURL(id int64, name string) string {
	return "/api/v1/files/" + strconv.FormatInt(id, 10) + "/" + url.PathEscape(name)
}

func loadAttachments(ctx context.Context, q querier, byID map[int64]*chat.Message, args []any) error {
	rows, err := q.QueryContext(ctx, `SELECT id, message_id, name, size, content_type, image, width, height, deleted
		FROM attachments WHERE message_id IN (`+inList(len(args))+`) ORDER BY id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a chat.Attachment
		var mid int64
		if err := rows.Scan(&a.ID, &mid, &a.Name, &a.Size, &a.ContentType, &a.Image, &a.Width, &a.Height, &a.Deleted); err != nil {
			return err
		}
		m := byID[mid]
		if m == nil || m.Deleted {
			continue
		}
		if !a.Deleted {
			u := FileURL(a.ID, a.Name)
			a.URL = &u
		}
		m.Attachments = append(m.Attachments, a)
	}
	return rows.Err()
}

func loadReactions(ctx context.Context, q querier, byID map[int64]*chat.Message, args []any) error {
	rows, err := q.QueryContext(ctx, `SELECT r.message_id, r.emoji, CASE WHEN u.deleted = 1 THEN ? ELSE u.username END
		FROM reactions r JOIN users u ON u.id = r.user_id
		WHERE r.message_id IN (`+inList(len(args))+`) ORDER BY r.id`, append([]any{chat.DeletedAuthor}, args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var mid int64
		var emoji, user string
		if err := rows.Scan(&mid, &emoji, &user); err != nil {
			return err
		}
		m := byID[mid]
		found := false
		for i := range m.Reactions {
			if m.Reactions[i].Emoji == emoji {
				m.Reactions[i].Users = append(m.Reactions[i].Users, user)
				found = true
				break
			}
		}
		if !found {
			m.Reactions = append(m.Reactions, chat.Reaction{Emoji: emoji, Users: []string{user}})
		}
	}
	return rows.Err()
}

func loadMentions(ctx context.Context, q querier, byID map[int64]*chat.Message, args []any) error {
	rows, err := q.QueryContext(ctx, `SELECT x.message_id, u.username FROM mentions x JOIN users u ON u.id = x.user_id
		WHERE x.message_id IN (`+inList(len(args))+`) AND u.deleted = 0 ORDER BY x.message_id, x.position`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var mid int64
		var name string
		if err := rows.Scan(&mid, &name); err != nil {
			return err
		}
		byID[mid].Mentions = append(byID[mid].Mentions, name)
	}
	return rows.Err()
}

func loadReplies(ctx context.Context, q querier, byID map[int64]*chat.Message, replyOf map[int64]int64) error {
	if len(replyOf) == 0 {
		return nil
	}
	var targets []int64
	for _, t := range replyOf {
		targets = append(targets, t)
	}
	refs := map[int64]*chat.ReplyRef{}
	rows, err := q.QueryContext(ctx, `SELECT m.id, m.system, u.username, coalesce(u.deleted, 1), m.text, m.deleted,
			(SELECT name FROM attachments a WHERE a.message_id = m.id ORDER BY a.id LIMIT 1)
		FROM messages m LEFT JOIN users u ON u.id = m.author_id WHERE m.id IN (`+inList(len(targets))+`)`, int64Args(targets)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r := &chat.ReplyRef{}
		var system, gone bool
		var author, file sql.NullString
		var text string
		if err := rows.Scan(&r.ID, &system, &author, &gone, &text, &r.Deleted, &file); err != nil {
			return err
		}
		switch {
		case system:
			r.Author = chat.SystemAuthor
		case gone || !author.Valid:
			r.Author = chat.DeletedAuthor
		default:
			r.Author = author.String
		}
		switch {
		case r.Deleted:
		case text == "" && file.Valid:
			r.Excerpt = file.String
		default:
			r.Excerpt = chat.Excerpt(text)
		}
		refs[r.ID] = r
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for mid, target := range replyOf {
		if r, ok := refs[target]; ok {
			byID[mid].ReplyTo = r
		} else {
			// Removed by retention: the reply keeps pointing at it.
			byID[mid].ReplyTo = chat.GoneReply(target)
		}
	}
	return nil
}

// Page is one answer of GET …/messages.
type Page struct {
	Messages []chat.Message `json:"messages"`
	HasMore  bool           `json:"has_more"`
	HasNewer *bool          `json:"has_newer,omitempty"`
}

// PageQuery selects a page of history; exactly one mode is set.
type PageQuery struct {
	Before, Around, After int64
	HasAfter              bool
	SinceSeq              int64
	HasSinceSeq           bool
	Limit                 int
}

// MaxResync is the most messages one since_seq answer carries.
const MaxResync = 500

// History returns a page of a channel's messages as a user may see them.
func (db *DB) History(ctx context.Context, userID, channelID int64, pq PageQuery) (*Page, error) {
	var page *Page
	err := db.Read(ctx, func(tx *sql.Tx) error {
		a, err := access(ctx, tx, userID, channelID)
		if err != nil {
			return err
		}
		page, err = history(ctx, tx, a, pq)
		return err
	})
	return page, err
}

func idsOf(ctx context.Context, q querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func reverse(ids []int64) {
	for i, j := 0, len(ids)-1; i < j; i, j = i+1, j-1 {
		ids[i], ids[j] = ids[j], ids[i]
	}
}

func history(ctx context.Context, q querier, a *Access, pq PageQuery) (*Page, error) {
	ch, start := a.ChannelID, a.HistoryStart
	page := &Page{}
	var ids []int64
	var err error
	older := func(below int64, n int) ([]int64, bool, error) {
		got, err := idsOf(ctx, q, `SELECT id FROM messages WHERE channel_id = ? AND id > ? AND id < ? ORDER BY id DESC LIMIT ?`, ch, start, below, n+1)
		more := len(got) > n
		if more {
			got = got[:n]
		}
		reverse(got)
		return got, more, err
	}
	newer := func(above int64, n int) ([]int64, bool, error) {
		got, err := idsOf(ctx, q, `SELECT id FROM messages WHERE channel_id = ? AND id > ? AND id > ? ORDER BY id LIMIT ?`, ch, start, above, n+1)
		more := len(got) > n
		if more {
			got = got[:n]
		}
		return got, more, err
	}
	switch {
	case pq.HasSinceSeq:
		ids, err = idsOf(ctx, q, `SELECT id FROM messages WHERE channel_id = ? AND id > ? AND seq > ? ORDER BY seq LIMIT ?`, ch, start, pq.SinceSeq, MaxResync+1)
		if len(ids) > MaxResync {
			ids, page.HasMore = ids[:MaxResync], true
		}
	case pq.Around > 0:
		var n int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE id = ? AND channel_id = ? AND id > ?`, pq.Around, ch, start).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, errNoMessage()
		}
		wantOlder := (pq.Limit - 1) / 2
		before, _, err := older(pq.Around, pq.Limit-1)
		if err != nil {
			return nil, err
		}
		after, _, err := newer(pq.Around, pq.Limit-1)
		if err != nil {
			return nil, err
		}
		nOld := min(wantOlder, len(before))
		nNew := min(pq.Limit-1-nOld, len(after))
		nOld = min(pq.Limit-1-nNew, len(before))
		ids = append(append(append([]int64{}, before[len(before)-nOld:]...), pq.Around), after[:nNew]...)
		var olderExist, newerExist int
		if err := q.QueryRowContext(ctx, `SELECT
				(SELECT count(*) FROM messages WHERE channel_id = ? AND id > ? AND id < ?),
				(SELECT count(*) FROM messages WHERE channel_id = ? AND id > ?)`,
			ch, start, ids[0], ch, ids[len(ids)-1]).Scan(&olderExist, &newerExist); err != nil {
			return nil, err
		}
		hn := newerExist > 0
		page.HasMore, page.HasNewer = olderExist > 0, &hn
	case pq.HasAfter:
		ids, page.HasMore, err = newer(pq.After, pq.Limit)
	default:
		below := pq.Before
		if below <= 0 {
			below = 1<<63 - 1
		}
		ids, page.HasMore, err = older(below, pq.Limit)
	}
	if err != nil {
		return nil, err
	}
	if page.Messages, err = loadMessages(ctx, q, ids); err != nil {
		return nil, err
	}
	forHistoryStart(page.Messages, start)
	return page, nil
}

// forHistoryStart hides, in messages of one channel, what replies show of
// messages from before the viewer's history start.
func forHistoryStart(ms []chat.Message, start int64) {
	if start == 0 {
		return
	}
	for i := range ms {
		ms[i] = ms[i].ForHistoryStart(start)
	}
}

// forViewer is forHistoryStart for messages of any channels, looking up
// the viewer's history start in each.
func forViewer(ctx context.Context, q querier, userID int64, ms []chat.Message) error {
	rows, err := q.QueryContext(ctx, `SELECT channel_id, history_start FROM channel_members WHERE user_id = ? AND history_start > 0`, userID)
	if err != nil {
		return err
	}
	defer rows.Close()
	starts := map[int64]int64{}
	for rows.Next() {
		var ch, start int64
		if err := rows.Scan(&ch, &start); err != nil {
			return err
		}
		starts[ch] = start
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range ms {
		ms[i] = ms[i].ForHistoryStart(starts[ms[i].ChannelID])
	}
	return nil
}

// MessageFor returns one message if the user can see it.
func (db *DB) MessageFor(ctx context.Context, userID, messageID int64) (*chat.Message, error) {
	var m *chat.Message
	err := db.Read(ctx, func(tx *sql.Tx) error {
		vm, a, err := visibleMessage(ctx, tx, userID, messageID)
		if err != nil {
			return err
		}
		v := vm.ForHistoryStart(a.HistoryStart)
		m = &v
		return nil
	})
	return m, err
}

// visibleMessage loads a message with the caller's access to its channel.
func visibleMessage(ctx context.Context, q querier, userID, messageID int64) (*chat.Message, *Access, error) {
	var ch int64
	err := q.QueryRowContext(ctx, `SELECT channel_id FROM messages WHERE id = ?`, messageID).Scan(&ch)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, errNoMessage()
	}
	if err != nil {
		return nil, nil, err
	}
	a, err := access(ctx, q, userID, ch)
	if chat.ErrorCode(err) == chat.ENotFound || err == nil && messageID <= a.HistoryStart {
		return nil, nil, errNoMessage()
	}
	if err != nil {
		return nil, nil, err
	}
	ms, err := loadMessages(ctx, q, []int64{messageID})
	if err != nil {
		return nil, nil, err
	}
	return &ms[0], a, nil
}

// authorOf returns a message's author id (0 for system or deleted) and flags.
func authorOf(ctx context.Context, q querier, messageID int64) (author int64, system, deleted bool, err error) {
	var a sql.NullInt64
	err = q.QueryRowContext(ctx, `SELECT author_id, system, deleted FROM messages WHERE id = ?`, messageID).Scan(&a, &system, &deleted)
	return a.Int64, system, deleted, err
}

// sortIDs sorts ids ascending.
func sortIDs(ids []int64) { sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] }) }

// joinIDs renders ids for the client_id record.
func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func splitIDs(s string) ([]int64, error) {
	var out []int64
	for _, p := range strings.Split(s, ",") {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("store: client_id record: %w", err)
		}
		out = append(out, id)
	}
	return out, nil
}
