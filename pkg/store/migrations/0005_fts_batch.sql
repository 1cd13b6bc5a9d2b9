-- FTS5 flushes its pending index data at every SAVEPOINT, and the writer
-- runs each write of a batch in a savepoint of its own, so indexing each
-- message as it was inserted made every post write its own index segment.
-- While a batch runs, fts_defer holds one row naming the newest message id
-- before the batch; the triggers leave the messages after it alone and the
-- writer indexes them once, at the end of the batch, in its transaction.
-- The writer deletes the row before COMMIT, so no other connection ever sees
-- it and their inserts are indexed at once, as before.
CREATE TABLE fts_defer (after_id INTEGER NOT NULL) STRICT;

DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_fts_delete;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
WHEN new.deleted = 0 AND NOT EXISTS (SELECT 1 FROM fts_defer WHERE new.id > after_id) BEGIN
	INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, deleted ON messages
WHEN NOT EXISTS (SELECT 1 FROM fts_defer WHERE old.id > after_id) BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) SELECT 'delete', old.id, old.text WHERE old.deleted = 0;
	INSERT INTO messages_fts (rowid, text) SELECT new.id, new.text WHERE new.deleted = 0;
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.deleted = 0 AND NOT EXISTS (SELECT 1 FROM fts_defer WHERE old.id > after_id) BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
