package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
)

// Tx is the transaction handed to a Write callback. Work registered with
// AfterCommit runs once the batch is durable, in commit order, before the
// caller is answered: that is where events are published, so no subscriber
// hears of a change that could still be rolled back.
type Tx struct {
	*sql.Tx
	after []func()
	w     *writer
}

// AfterCommit registers f to run after the transaction commits; it does not
// run if this write fails or the batch does not commit.
func (tx *Tx) AfterCommit(f func()) { tx.after = append(tx.after, f) }

type writeReq struct {
	ctx  context.Context
	fn   func(*Tx) error
	err  error
	tx   Tx
	done chan error
}

type writer struct {
	db       *sql.DB
	maxBatch int
	log      *slog.Logger
	reqs     chan *writeReq
	quit     chan struct{}
	stopped  chan struct{}
	stopOnce sync.Once
	// commits counts committed batches; tests read it to see batching.
	commits atomic.Int64

	// Owned by the writer's goroutine.
	stmts   *stmtCache
	readers readerCache
}

func startWriter(db *sql.DB, maxBatch int, log *slog.Logger) *writer {
	w := &writer{
		db: db, maxBatch: maxBatch, log: log,
		reqs:    make(chan *writeReq),
		quit:    make(chan struct{}),
		stopped: make(chan struct{}),
		stmts:   newStmtCache(db),
	}
	w.readers.clear()
	go w.loop()
	return w
}

// Write runs fn inside the writer's current transaction and returns once
// that transaction committed (nil) or fn's change was rolled back (the
// error). fn shares the transaction with other callers, each inside its own
// savepoint, so a failing fn undoes only its own work. fn must not keep tx
// after it returns, and must not block on anything but the database.
func (db *DB) Write(ctx context.Context, fn func(*Tx) error) error {
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.writer.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.writer.quit:
		return ErrClosed
	}
	// Once queued the write may commit even if ctx ends, so the caller
	// waits for the real outcome instead of guessing.
	return <-req.done
}

func (w *writer) stop() {
	w.stopOnce.Do(func() { close(w.quit) })
	<-w.stopped
}

func (w *writer) loop() {
	defer close(w.stopped)
	defer w.stmts.close()
	for {
		var first *writeReq
		select {
		case first = <-w.reqs:
		case <-w.quit:
			return
		}
		batch := []*writeReq{first}
	gather:
		for len(batch) < w.maxBatch {
			select {
			case r := <-w.reqs:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		w.commit(batch)
	}
}

// commit runs one batch in one transaction.
func (w *writer) commit(batch []*writeReq) {
	tx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		for _, r := range batch {
			r.done <- fmt.Errorf("store: begin: %w", err)
		}
		return
	}
	w.stmts.begin(tx)
	defer w.stmts.end()
	bt := &Tx{Tx: tx, w: w}
	ctx := context.Background()
	if _, err := bt.ExecContext(ctx, `INSERT INTO fts_defer (after_id) SELECT coalesce(max(id), 0) FROM messages`); err != nil {
		w.abandon(tx, batch, fmt.Errorf("store: deferring the search index: %w", err))
		return
	}
	for _, r := range batch {
		r.err = w.apply(tx, r)
	}
	// Outside every savepoint: the batch's messages as they stand now, so
	// an edit or delete within the batch is already reflected.
	if _, err := bt.ExecContext(ctx, `INSERT INTO messages_fts (rowid, text)
		SELECT id, text FROM messages WHERE id > (SELECT after_id FROM fts_defer) AND deleted = 0`); err != nil {
		w.abandon(tx, batch, fmt.Errorf("store: indexing the batch: %w", err))
		return
	}
	if _, err := bt.ExecContext(ctx, `DELETE FROM fts_defer`); err != nil {
		w.abandon(tx, batch, fmt.Errorf("store: indexing the batch: %w", err))
		return
	}
	if err := tx.Commit(); err != nil {
		// The readers cached during the batch may describe its rolled back
		// changes.
		w.readers.clear()
		err = fmt.Errorf("store: commit: %w", err)
		w.log.Error("store: group commit failed", "err", err, "writes", len(batch))
		for _, r := range batch {
			r.done <- errors.Join(err, r.err)
		}
		return
	}
	w.commits.Add(1)
	for _, r := range batch {
		if r.err == nil {
			for _, f := range r.tx.after {
				f()
			}
		}
		r.done <- r.err
	}
}

// abandon rolls a batch back and fails each of its writes with err.
func (w *writer) abandon(tx *sql.Tx, batch []*writeReq, err error) {
	w.readers.clear()
	if rbErr := tx.Rollback(); rbErr != nil {
		err = errors.Join(err, rbErr)
	}
	w.log.Error("store: group commit failed", "err", err, "writes", len(batch))
	for _, r := range batch {
		r.done <- errors.Join(err, r.err)
	}
}

// apply runs one caller's fn inside a savepoint of the batch transaction.
func (w *writer) apply(tx *sql.Tx, r *writeReq) (err error) {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	r.tx = Tx{Tx: tx, w: w}
	ctx := context.Background()
	if _, err := r.tx.ExecContext(ctx, `SAVEPOINT w`); err != nil {
		return fmt.Errorf("store: savepoint: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: write panicked: %v", p)
		}
		if err != nil {
			r.tx.after = nil
			// What fn cached may describe the changes undone here.
			w.readers.clear()
			if _, rbErr := r.tx.ExecContext(ctx, `ROLLBACK TO w`); rbErr != nil {
				err = errors.Join(err, rbErr)
			}
		}
		if _, relErr := r.tx.ExecContext(ctx, `RELEASE w`); relErr != nil {
			err = errors.Join(err, relErr)
		}
	}()
	return r.fn(&r.tx)
}
