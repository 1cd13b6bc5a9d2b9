package store

import (
	"context"
	"database/sql"
	"strings"
)

// maxCachedStmts bounds the writer's statement cache: texts built with
// IN (?, ?, …) lists vary with their length.
const maxCachedStmts = 512

// stmtCache keeps the writer's statements compiled. database/sql with the
// SQLite driver otherwise prepares, runs and finalizes every statement, and
// compiling costs more than running most of the writer's. It is used by the
// writer's goroutine only.
type stmtCache struct {
	db *sql.DB
	// prepared holds statements prepared on the writer's connection; nil
	// marks a text that is not to be cached.
	prepared map[string]*sql.Stmt
	// The current batch: its transaction, the statements bound to it, and
	// the texts first seen in it, prepared once the connection is free.
	tx    *sql.Tx
	bound map[string]*sql.Stmt
	seen  map[string]bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, prepared: make(map[string]*sql.Stmt), seen: make(map[string]bool)}
}

// begin starts a batch in tx.
func (c *stmtCache) begin(tx *sql.Tx) {
	c.tx = tx
	c.bound = make(map[string]*sql.Stmt)
}

// get returns query's statement bound to the batch's transaction, or nil
// when it is not prepared yet.
func (c *stmtCache) get(query string) *sql.Stmt {
	if s := c.bound[query]; s != nil {
		return s
	}
	s, ok := c.prepared[query]
	if !ok {
		if len(c.prepared)+len(c.seen) < maxCachedStmts {
			c.seen[query] = true
		}
		return nil
	}
	if s == nil {
		return nil
	}
	// Reuses the compiled statement: the transaction runs on the
	// connection it was prepared on.
	s = c.tx.StmtContext(context.Background(), s)
	c.bound[query] = s
	return s
}

// end closes the batch (its transaction has ended, which closed the bound
// statements) and prepares the texts first seen in it.
func (c *stmtCache) end() {
	c.tx, c.bound = nil, nil
	for q := range c.seen {
		delete(c.seen, q)
		// Prepare compiles the first statement of a text only, so a text
		// of several keeps going through Exec.
		if strings.Contains(strings.TrimRight(q, " \t\r\n;"), ";") {
			c.prepared[q] = nil
			continue
		}
		s, err := c.db.PrepareContext(context.Background(), q)
		if err != nil {
			s = nil
		}
		c.prepared[q] = s
	}
}

// close finalizes the prepared statements.
func (c *stmtCache) close() {
	for _, s := range c.prepared {
		if s != nil {
			_ = s.Close()
		}
	}
	c.prepared = nil
}

// ExecContext runs query in the transaction, through the statement cache.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := tx.w.stmts.get(query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs query in the transaction, through the statement cache.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := tx.w.stmts.get(query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query in the transaction, through the statement
// cache.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := tx.w.stmts.get(query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}
