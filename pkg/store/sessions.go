package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/minimost/minimost/pkg/chat"
)

// CreateSession stores a new session.
func (db *DB) CreateSession(ctx context.Context, s chat.Session) error {
	return db.Write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_active_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, s.IDHash, s.UserID, s.CSRFToken, s.CreatedAt, s.LastActiveAt, s.ExpiresAt)
		return err
	})
}

// SessionByHash returns a session with its live account; a session of a
// deleted account does not exist.
func (db *DB) SessionByHash(ctx context.Context, idHash []byte) (*chat.Session, *chat.Account, error) {
	var s chat.Session
	var a *chat.Account
	err := db.Read(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id_hash, user_id, csrf_token, created_at, last_active_at, expires_at
			FROM sessions WHERE id_hash = ?`, idHash).Scan(&s.IDHash, &s.UserID, &s.CSRFToken, &s.CreatedAt, &s.LastActiveAt, &s.ExpiresAt)
		if errors.Is(err, sql.ErrNoRows) {
			return chat.Errorf(chat.EUnauthenticated, "not logged in")
		}
		if err != nil {
			return err
		}
		a, err = scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM users WHERE id = ? AND deleted = 0`, s.UserID))
		if chat.ErrorCode(err) == chat.ENotFound {
			return chat.Errorf(chat.EUnauthenticated, "not logged in")
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return &s, a, nil
}

// TouchSession records activity.
func (db *DB) TouchSession(ctx context.Context, idHash []byte, at int64) error {
	return db.Write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_active_at = max(last_active_at, ?) WHERE id_hash = ?`, at, idHash)
		return err
	})
}

// DeleteSession ends one session; it reports whether it existed.
func (db *DB) DeleteSession(ctx context.Context, idHash []byte) (bool, error) {
	var found bool
	err := db.Write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		found = n > 0
		return err
	})
	return found, err
}

// ExpiredSession is a session ended by the sweep.
type ExpiredSession struct {
	IDHash   []byte
	Username string
}

// SweepSessions deletes sessions past their absolute end or, when idleMs >
// 0, idle for longer than idleMs, and returns them.
func (db *DB) SweepSessions(ctx context.Context, now, idleMs int64) ([]ExpiredSession, error) {
	var out []ExpiredSession
	err := db.Write(ctx, func(tx *Tx) error {
		idleBefore := int64(-1)
		if idleMs > 0 {
			idleBefore = now - idleMs
		}
		rows, err := tx.QueryContext(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_active_at < ?
			RETURNING id_hash, (SELECT username FROM users WHERE users.id = sessions.user_id)`, now, idleBefore)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e ExpiredSession
			if err := rows.Scan(&e.IDHash, &e.Username); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: session sweep: %w", err)
	}
	return out, nil
}

// CreateResetToken stores a reset token for an account and voids its
// earlier unused ones, so only the newest link works.
func (db *DB) CreateResetToken(ctx context.Context, userID int64, hash []byte, expiresAt int64) error {
	now := db.now().UnixMilli()
	return db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM reset_tokens WHERE user_id = ? AND used_at IS NULL`, userID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO reset_tokens (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			hash, userID, now, expiresAt)
		return err
	})
}

// ResetTokenByHash finds a reset token and its live account.
func (db *DB) ResetTokenByHash(ctx context.Context, hash []byte) (*chat.ResetToken, error) {
	var t chat.ResetToken
	err := db.Read(ctx, func(tx *sql.Tx) error {
		var used sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT r.user_id, u.username, r.expires_at, r.used_at
			FROM reset_tokens r JOIN users u ON u.id = r.user_id AND u.deleted = 0
			WHERE r.token_hash = ?`, hash).Scan(&t.UserID, &t.Username, &t.ExpiresAt, &used)
		if errors.Is(err, sql.ErrNoRows) {
			return chat.Errorf(chat.ENotFound, "no such reset link")
		}
		t.Used = used.Valid
		return err
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// PruneResetTokens removes tokens used or expired before cutoff (ms).
func (db *DB) PruneResetTokens(ctx context.Context, cutoff int64) error {
	return db.Write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM reset_tokens WHERE coalesce(used_at, expires_at) < ?`, cutoff)
		return err
	})
}

// CreateBotToken stores a token unless the account already has max.
func (db *DB) CreateBotToken(ctx context.Context, userID int64, name string, hash []byte, max int) (*chat.BotToken, error) {
	now := db.now().UnixMilli()
	t := &chat.BotToken{Name: name, CreatedAt: now, UserID: userID}
	err := db.Write(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM bot_tokens WHERE user_id = ?`, userID).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return chat.Errorf(chat.EConflict, "an account has at most %d tokens; delete one first", max)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO bot_tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)`,
			userID, name, hash, now)
		if err != nil {
			return err
		}
		t.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// BotTokens lists an account's tokens, oldest first.
func (db *DB) BotTokens(ctx context.Context, userID int64) ([]chat.BotToken, error) {
	out := []chat.BotToken{}
	err := db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, name, created_at, last_used_at FROM bot_tokens WHERE user_id = ? ORDER BY id`, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t := chat.BotToken{UserID: userID}
			var last sql.NullInt64
			if err := rows.Scan(&t.ID, &t.Name, &t.CreatedAt, &last); err != nil {
				return err
			}
			if last.Valid {
				t.LastUsedAt = &last.Int64
			}
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}

// DeleteBotToken removes a token of userID; another account's id is
// not found.
func (db *DB) DeleteBotToken(ctx context.Context, userID, id int64) error {
	return db.Write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM bot_tokens WHERE id = ? AND user_id = ?`, id, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return chat.Errorf(chat.ENotFound, "no such token")
		}
		return nil
	})
}

// BotTokenByHash finds a token and its live account.
func (db *DB) BotTokenByHash(ctx context.Context, hash []byte) (*chat.BotToken, *chat.Account, error) {
	var t chat.BotToken
	var a *chat.Account
	err := db.Read(ctx, func(tx *sql.Tx) error {
		var last sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT id, user_id, name, created_at, last_used_at FROM bot_tokens WHERE token_hash = ?`, hash).
			Scan(&t.ID, &t.UserID, &t.Name, &t.CreatedAt, &last)
		if errors.Is(err, sql.ErrNoRows) {
			return chat.Errorf(chat.EUnauthenticated, "unknown token")
		}
		if err != nil {
			return err
		}
		if last.Valid {
			t.LastUsedAt = &last.Int64
		}
		a, err = scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM users WHERE id = ? AND deleted = 0`, t.UserID))
		if chat.ErrorCode(err) == chat.ENotFound {
			return chat.Errorf(chat.EUnauthenticated, "unknown token")
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return &t, a, nil
}

// TouchBotToken records a token's use.
func (db *DB) TouchBotToken(ctx context.Context, id, at int64) error {
	return db.Write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE bot_tokens SET last_used_at = ? WHERE id = ?`, at, id)
		return err
	})
}

// DeleteAccount removes an account's credentials and belongings. Soft
// keeps the row as a tombstone (its messages keep pointing at it); hard
// removes it. fn, when not nil, runs in the same transaction before the row
// changes, for the chat's part (memberships, messages). It returns the
// hashes of the ended sessions and the avatar file to remove.
func (db *DB) DeleteAccount(ctx context.Context, id int64, hard bool, fn func(tx *Tx) error) ([][]byte, string, error) {
	var ended [][]byte
	var avatar string
	err := db.Write(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(avatar_file, '') FROM users WHERE id = ? AND deleted = 0`, id).Scan(&avatar); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return chat.Errorf(chat.ENotFound, "no such user")
			}
			return err
		}
		if fn != nil {
			if err := fn(tx); err != nil {
				return err
			}
		}
		var err error
		if ended, err = endSessions(ctx, tx, id, nil); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM bot_tokens WHERE user_id = ?`,
			`DELETE FROM reset_tokens WHERE user_id = ?`,
			`DELETE FROM password_history WHERE user_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		if hard {
			_, err = tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET deleted = 1, password_hash = '', failed_logins = 0, lockout_until = 0,
			admin_locked = 0, name_color = NULL, bio = '', avatar_file = NULL, avatar_type = NULL WHERE id = ?`, id)
		return err
	})
	return ended, avatar, err
}
