package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/minimost/minimost/pkg/chat"
)

// Hook is an incoming webhook as listed (never its token).
type Hook struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	ChannelID int64  `json:"channel_id"`
	CreatedBy string `json:"created_by"`
	CreatedAt int64  `json:"created_at"`
	UserID    int64  `json:"-"`
}

// CreateHook adds a hook to a public or private channel the user reads.
func (db *DB) CreateHook(ctx context.Context, userID, channelID int64, name string, tokenHash []byte) (*Hook, error) {
	now := db.now().UnixMilli()
	h := &Hook{Name: name, ChannelID: channelID, CreatedAt: now, UserID: userID}
	err := db.Write(ctx, func(tx *Tx) error {
		a, err := access(ctx, tx, userID, channelID)
		if err != nil {
			return err
		}
		if a.Kind == chat.KindDM {
			return chat.Errorf(chat.EBadRequest, "DMs cannot have webhooks")
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO hooks (channel_id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
			channelID, userID, name, tokenHash, now)
		if err != nil {
			return err
		}
		h.ID, _ = res.LastInsertId()
		return tx.QueryRowContext(ctx, `SELECT username FROM users WHERE id = ?`, userID).Scan(&h.CreatedBy)
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// Hooks lists a channel's hooks for one of its readers.
func (db *DB) Hooks(ctx context.Context, userID, channelID int64) ([]Hook, error) {
	out := []Hook{}
	err := db.Read(ctx, func(tx *sql.Tx) error {
		if _, err := access(ctx, tx, userID, channelID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT h.id, h.name, h.channel_id, u.username, h.created_at, h.user_id
			FROM hooks h JOIN users u ON u.id = h.user_id WHERE h.channel_id = ? ORDER BY h.id`, channelID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h Hook
			if err := rows.Scan(&h.ID, &h.Name, &h.ChannelID, &h.CreatedBy, &h.CreatedAt, &h.UserID); err != nil {
				return err
			}
			out = append(out, h)
		}
		return rows.Err()
	})
	return out, err
}

// DeleteHook removes a hook; only its creator may.
func (db *DB) DeleteHook(ctx context.Context, userID, channelID, hookID int64) error {
	return db.Write(ctx, func(tx *Tx) error {
		if _, err := access(ctx, tx, userID, channelID); err != nil {
			return err
		}
		var owner int64
		err := tx.QueryRowContext(ctx, `SELECT user_id FROM hooks WHERE id = ? AND channel_id = ?`, hookID, channelID).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) {
			return chat.Errorf(chat.ENotFound, "no such hook")
		}
		if err != nil {
			return err
		}
		if owner != userID {
			return chat.Errorf(chat.EForbidden, "only the hook's creator can delete it")
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM hooks WHERE id = ?`, hookID)
		return err
	})
}

// HookByHash finds a hook by its token and its creator's live account.
func (db *DB) HookByHash(ctx context.Context, tokenHash []byte) (*Hook, *chat.Account, error) {
	var h Hook
	var a *chat.Account
	err := db.Read(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id, name, channel_id, created_at, user_id FROM hooks WHERE token_hash = ?`, tokenHash).
			Scan(&h.ID, &h.Name, &h.ChannelID, &h.CreatedAt, &h.UserID)
		if errors.Is(err, sql.ErrNoRows) {
			return chat.Errorf(chat.ENotFound, "no such hook")
		}
		if err != nil {
			return err
		}
		a, err = scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM users WHERE id = ? AND deleted = 0`, h.UserID))
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	h.CreatedBy = a.Username
	return &h, a, nil
}
