-- Accounts. A soft-deleted account stays as a tombstone (deleted = 1) so
-- its messages can still name it; its name is free again, which is why
-- uniqueness covers live accounts only.
CREATE TABLE users (
	id INTEGER PRIMARY KEY,
	username TEXT NOT NULL,
	username_key TEXT NOT NULL,
	password_hash TEXT NOT NULL DEFAULT '',
	password_set_at INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	last_login_at INTEGER,
	failed_logins INTEGER NOT NULL DEFAULT 0,
	lockout_until INTEGER NOT NULL DEFAULT 0,
	admin_locked INTEGER NOT NULL DEFAULT 0,
	deleted INTEGER NOT NULL DEFAULT 0,
	name_color TEXT,
	bio TEXT NOT NULL DEFAULT '',
	avatar_file TEXT,
	avatar_type TEXT,
	avatar_version INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX users_live_name ON users (username_key) WHERE deleted = 0;

-- The newest password hashes of each account, current one included, for
-- the reuse rule.
CREATE TABLE password_history (
	id INTEGER PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX password_history_user ON password_history (user_id, id);

-- Sessions are keyed by the SHA-256 of their id: a copy of the database
-- yields no live session.
CREATE TABLE sessions (
	id_hash BLOB PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf_token TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	last_active_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);

-- Admin-issued password reset tokens, by hash.
CREATE TABLE reset_tokens (
	token_hash BLOB PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX reset_tokens_user ON reset_tokens (user_id);

-- Bot tokens for scripts, by hash.
CREATE TABLE bot_tokens (
	id INTEGER PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	token_hash BLOB NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	last_used_at INTEGER
) STRICT;
CREATE INDEX bot_tokens_user ON bot_tokens (user_id);
