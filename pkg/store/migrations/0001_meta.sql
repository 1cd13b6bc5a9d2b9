-- Facts about this installation, such as when the store was created.
CREATE TABLE meta (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

-- The server-wide change counter behind every message seq (api.md §2).
-- One row; bumped inside the write that makes the change, so numbers are
-- handed out in commit order without gaps.
CREATE TABLE seq_counter (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	value INTEGER NOT NULL
) STRICT;
INSERT INTO seq_counter (id, value) VALUES (1, 0);
