package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SetMeta records an installation fact.
func (db *DB) SetMeta(ctx context.Context, key, value string) error {
	return db.Write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
		return err
	})
}

// Meta returns an installation fact, or "" and false when it is not set.
func (db *DB) Meta(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: meta %q: %w", key, err)
	}
	return v, true, nil
}

// NextSeq bumps the server-wide change counter inside tx and returns the
// new value. Because it runs inside the caller's savepoint, a rolled-back
// write gives its number back and seqs stay gapless in commit order.
func NextSeq(ctx context.Context, tx *Tx) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, `UPDATE seq_counter SET value = value + 1 WHERE id = 1 RETURNING value`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("store: next seq: %w", err)
	}
	return v, nil
}

// CurrentSeq returns the newest seq handed out.
func (db *DB) CurrentSeq(ctx context.Context) (int64, error) {
	var v int64
	err := db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT value FROM seq_counter WHERE id = 1`).Scan(&v)
	})
	return v, err
}
