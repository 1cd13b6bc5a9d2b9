package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/minimost/minimost/pkg/chat"
)

const accountColumns = `id, username, password_hash, password_set_at, created_at, last_login_at,
	failed_logins, lockout_until, admin_locked, deleted, name_color, bio,
	coalesce(avatar_file, ''), coalesce(avatar_type, ''), avatar_version`

type scanner interface{ Scan(...any) error }

func scanAccount(row scanner) (*chat.Account, error) {
	a := &chat.Account{}
	var last sql.NullInt64
	var color sql.NullString
	err := row.Scan(&a.ID, &a.Username, &a.PasswordHash, &a.PasswordSetAt, &a.CreatedAt, &last,
		&a.FailedLogins, &a.LockoutUntil, &a.AdminLocked, &a.Deleted, &color, &a.Bio,
		&a.AvatarFile, &a.AvatarType, &a.AvatarVersion)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, chat.Errorf(chat.ENotFound, "no such user")
	}
	if err != nil {
		return nil, fmt.Errorf("store: account: %w", err)
	}
	if last.Valid {
		a.LastLoginAt = &last.Int64
	}
	if color.Valid {
		a.NameColor = &color.String
	}
	return a, nil
}

// isUniqueViolation matches the driver's error code, never its text.
func isUniqueViolation(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
}

// CreateAccount stores a new account with its first password-history
// entry. fn, when not nil, runs in the same transaction with the new
// account (the chat adds its welcome there), so a signup is all or
// nothing.
func (db *DB) CreateAccount(ctx context.Context, username, hash string, fn func(tx *Tx, a *chat.Account) error) (*chat.Account, error) {
	now := db.now().UnixMilli()
	var a *chat.Account
	err := db.Write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO users (username, username_key, password_hash, password_set_at, created_at)
			VALUES (?, ?, ?, ?, ?)`, username, chat.UsernameKey(username), hash, now, now)
		if isUniqueViolation(err) {
			return chat.FieldError(chat.EUsernameTaken, "username", "that username is taken")
		}
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO password_history (user_id, hash, created_at) VALUES (?, ?, ?)`, id, hash, now); err != nil {
			return err
		}
		a, err = scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM users WHERE id = ?`, id))
		if err != nil {
			return err
		}
		if fn != nil {
			return fn(tx, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// AccountByName finds the live account of a name, case-insensitively.
func (db *DB) AccountByName(ctx context.Context, name string) (*chat.Account, error) {
	var a *chat.Account
	err := db.Read(ctx, func(tx *sql.Tx) (err error) {
		a, err = scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM users WHERE username_key = ? AND deleted = 0`, chat.UsernameKey(name)))
		return err
	})
	return a, err
}

// AccountOrTombstone finds the live account of a name, else the newest
// soft-deleted one (GET /users/{name} shows it as deleted).
func (db *DB) AccountOrTombstone(ctx context.Context, name string) (*chat.Account, error) {
	var a *chat.Account
	err := db.Read(ctx, func(tx *sql.Tx) (err error) {
		a, err = scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM users WHERE username_key = ?
			ORDER BY deleted, id DESC LIMIT 1`, chat.UsernameKey(name)))
		return err
	})
	return a, err
}

// AccountByID finds an account, live or tombstone.
func (db *DB) AccountByID(ctx context.Context, id int64) (*chat.Account, error) {
	var a *chat.Account
	err := db.Read(ctx, func(tx *sql.Tx) (err error) {
		a, err = scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM users WHERE id = ?`, id))
		return err
	})
	return a, err
}

// Accounts lists live accounts sorted case-insensitively, with their live
// session counts as of now (ms).
func (db *DB) Accounts(ctx context.Context, now int64) ([]*chat.Account, error) {
	var out []*chat.Account
	err := db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+accountColumns+`,
			(SELECT count(*) FROM sessions s WHERE s.user_id = users.id AND s.expires_at > ?)
			FROM users WHERE deleted = 0 ORDER BY username_key`, now)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a := &chat.Account{}
			var last sql.NullInt64
			var color sql.NullString
			if err := rows.Scan(&a.ID, &a.Username, &a.PasswordHash, &a.PasswordSetAt, &a.CreatedAt, &last,
				&a.FailedLogins, &a.LockoutUntil, &a.AdminLocked, &a.Deleted, &color, &a.Bio,
				&a.AvatarFile, &a.AvatarType, &a.AvatarVersion, &a.LiveSessions); err != nil {
				return err
			}
			if last.Valid {
				a.LastLoginAt = &last.Int64
			}
			if color.Valid {
				a.NameColor = &color.String
			}
			out = append(out, a)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: accounts: %w", err)
	}
	return out, nil
}

// CountAccounts counts live accounts.
func (db *DB) CountAccounts(ctx context.Context) (int64, error) {
	var n int64
	err := db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE deleted = 0`).Scan(&n)
	})
	return n, err
}

// AddLoginFailure counts a wrong password. When the count reaches max
// (max > 0) the account is locked until lockUntil and the count starts
// over; locked reports that this failure locked it. Counting happens in the
// writer, so concurrent failures are never lost.
func (db *DB) AddLoginFailure(ctx context.Context, id int64, max int, lockUntil int64) (locked bool, err error) {
	err = db.Write(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ? RETURNING failed_logins`, id).Scan(&n); err != nil {
			return err
		}
		if max > 0 && n >= max {
			locked = true
			_, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, lockout_until = ? WHERE id = ?`, lockUntil, id)
			return err
		}
		return nil
	})
	return locked, err
}

// LoginSucceeded clears the failure count and lockout, records the login
// time and, when rehash is not empty, stores the upgraded hash (history and
// password age untouched: the password is the same).
func (db *DB) LoginSucceeded(ctx context.Context, id int64, rehash string) error {
	now := db.now().UnixMilli()
	return db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, lockout_until = 0, last_login_at = ? WHERE id = ?`, now, id); err != nil {
			return err
		}
		if rehash == "" {
			return nil
		}
		var old string
		if err := tx.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, id).Scan(&old); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, rehash, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE password_history SET hash = ? WHERE user_id = ? AND hash = ?`, rehash, id, old)
		return err
	})
}

// PasswordHistory returns the newest n stored hashes of an account, newest
// first (the current one included).
func (db *DB) PasswordHistory(ctx context.Context, id int64, n int) ([]string, error) {
	var out []string
	err := db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT hash FROM password_history WHERE user_id = ? ORDER BY id DESC LIMIT ?`, id, n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				return err
			}
			out = append(out, h)
		}
		return rows.Err()
	})
	return out, err
}

// PasswordChange is what a new password does to the account beside the
// hash: which sessions end and what else is cleared.
type PasswordChange struct {
	Hash string
	// Keep is how many history entries stay (at least 1).
	Keep int
	// KeepSession, when set, survives under NewSession's hash; every other
	// session of the account ends.
	KeepSession []byte
	NewSession  []byte
	// ClearLockout clears the failed-login count and lockout (resets).
	ClearLockout bool
	// ResetToken, when set, is marked used in the same transaction.
	ResetToken []byte
}

// SetPassword stores a new password, records it in the history (pruned to
// Keep entries) and ends sessions as pc says. It returns the hashes of the
// ended sessions so their live streams can be told.
func (db *DB) SetPassword(ctx context.Context, id int64, pc PasswordChange) ([][]byte, error) {
	now := db.now().UnixMilli()
	var ended [][]byte
	err := db.Write(ctx, func(tx *Tx) error {
		if pc.ResetToken != nil {
			res, err := tx.ExecContext(ctx, `UPDATE reset_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`, now, pc.ResetToken, now)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return chat.Errorf(chat.EGone, "this reset link was already used or has expired")
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, password_set_at = ? WHERE id = ? AND deleted = 0`, pc.Hash, now, id); err != nil {
			return err
		}
		if pc.ClearLockout {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, lockout_until = 0 WHERE id = ?`, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO password_history (user_id, hash, created_at) VALUES (?, ?, ?)`, id, pc.Hash, now); err != nil {
			return err
		}
		keep := max(pc.Keep, 1)
		if _, err := tx.ExecContext(ctx, `DELETE FROM password_history WHERE user_id = ? AND id NOT IN
			(SELECT id FROM password_history WHERE user_id = ? ORDER BY id DESC LIMIT ?)`, id, id, keep); err != nil {
			return err
		}
		var err error
		ended, err = endSessions(ctx, tx, id, pc.KeepSession)
		if err != nil {
			return err
		}
		if pc.KeepSession != nil {
			_, err = tx.ExecContext(ctx, `UPDATE sessions SET id_hash = ? WHERE id_hash = ?`, pc.NewSession, pc.KeepSession)
		}
		return err
	})
	return ended, err
}

// endSessions deletes an account's sessions but keep and returns their
// hashes.
func endSessions(ctx context.Context, tx *Tx, userID int64, keep []byte) ([][]byte, error) {
	rows, err := tx.QueryContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id_hash IS NOT ? RETURNING id_hash`, userID, keep)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var h []byte
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// EndSessions deletes every session of an account and returns their hashes.
func (db *DB) EndSessions(ctx context.Context, userID int64) ([][]byte, error) {
	var ended [][]byte
	err := db.Write(ctx, func(tx *Tx) (err error) {
		ended, err = endSessions(ctx, tx, userID, nil)
		return err
	})
	return ended, err
}

// SetAdminLock locks or unlocks an account. Locking ends its sessions
// (returned); unlocking also clears a failed-login lockout.
func (db *DB) SetAdminLock(ctx context.Context, id int64, locked bool) ([][]byte, error) {
	var ended [][]byte
	err := db.Write(ctx, func(tx *Tx) error {
		if !locked {
			_, err := tx.ExecContext(ctx, `UPDATE users SET admin_locked = 0, failed_logins = 0, lockout_until = 0 WHERE id = ?`, id)
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET admin_locked = 1 WHERE id = ?`, id); err != nil {
			return err
		}
		var err error
		ended, err = endSessions(ctx, tx, id, nil)
		return err
	})
	return ended, err
}

// UserSettings is a PATCH of the per-user settings; nil fields stay.
type UserSettings struct {
	SetColor bool
	Color    *string
	Bio      *string
}

// UpdateSettings applies a settings change and returns the account after.
func (db *DB) UpdateSettings(ctx context.Context, id int64, s UserSettings) (*chat.Account, error) {
	var a *chat.Account
	err := db.Write(ctx, func(tx *Tx) error {
		if s.SetColor {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET name_color = ? WHERE id = ?`, s.Color, id); err != nil {
				return err
			}
		}
		if s.Bio != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET bio = ? WHERE id = ?`, *s.Bio, id); err != nil {
				return err
			}
		}
		var err error
		a, err = scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM users WHERE id = ?`, id))
		return err
	})
	return a, err
}

// SetAvatar records a new avatar file (empty name: none) and returns the
// previous file name so the caller can remove it, and the account after.
func (db *DB) SetAvatar(ctx context.Context, id int64, file, contentType string) (string, *chat.Account, error) {
	var old string
	var a *chat.Account
	err := db.Write(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(avatar_file, '') FROM users WHERE id = ?`, id).Scan(&old); err != nil {
			return err
		}
		var f, ct any
		if file != "" {
			f, ct = file, contentType
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET avatar_file = ?, avatar_type = ?,
			avatar_version = avatar_version + (? != '') WHERE id = ?`, f, ct, file, id); err != nil {
			return err
		}
		var err error
		a, err = scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM users WHERE id = ?`, id))
		return err
	})
	return old, a, err
}

// CountMessages counts messages that are not deleted.
func (db *DB) CountMessages(ctx context.Context) (int64, error) {
	var n int64
	err := db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE deleted = 0`).Scan(&n)
	})
	return n, err
}
