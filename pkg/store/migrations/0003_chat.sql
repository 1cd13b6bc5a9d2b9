-- Conversations. Public channels come from settings (listed = 0 once a
-- reload drops one: hidden, data kept, restored when re-added). A DM is
-- identified by its member set (dm_key: sorted user ids), a system DM by
-- its one user.
CREATE TABLE channels (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind IN ('public', 'private', 'dm')),
	name TEXT NOT NULL DEFAULT '',
	name_key TEXT,
	created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
	created_at INTEGER NOT NULL,
	dm_key TEXT UNIQUE,
	system_user INTEGER UNIQUE REFERENCES users (id) ON DELETE CASCADE,
	listed INTEGER NOT NULL DEFAULT 1,
	position INTEGER NOT NULL DEFAULT 0,
	last_activity INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX channels_public_name ON channels (name_key) WHERE kind = 'public';

-- Members of private channels and DMs. history_start: the member sees
-- messages with a larger id only (0 for founding members).
CREATE TABLE channel_members (
	channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	history_start INTEGER NOT NULL DEFAULT 0,
	joined_at INTEGER NOT NULL,
	PRIMARY KEY (channel_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX channel_members_user ON channel_members (user_id);

-- Per user and channel: the read watermark (NULL: never set) and the
-- hidden flag of a DM.
CREATE TABLE read_state (
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
	last_read_id INTEGER,
	hidden INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (user_id, channel_id)
) STRICT, WITHOUT ROWID;

-- Messages. author_id NULL with system = 1 is the server (MiniMost); NULL
-- with system = 0 is a hard-deleted account. reply_to has no foreign key:
-- the message it answers may be removed by retention.
CREATE TABLE messages (
	id INTEGER PRIMARY KEY,
	channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
	author_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
	system INTEGER NOT NULL DEFAULT 0,
	text TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	edited_at INTEGER,
	deleted INTEGER NOT NULL DEFAULT 0,
	reply_to INTEGER,
	seq INTEGER NOT NULL UNIQUE,
	mentions_everyone INTEGER NOT NULL DEFAULT 0,
	pinned_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
	pinned_at INTEGER
) STRICT;
CREATE INDEX messages_channel ON messages (channel_id, id);
CREATE INDEX messages_channel_seq ON messages (channel_id, seq);
CREATE INDEX messages_author ON messages (author_id);
CREATE INDEX messages_pinned ON messages (channel_id, pinned_at) WHERE pinned_at IS NOT NULL;

CREATE TABLE mentions (
	message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	PRIMARY KEY (message_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX mentions_user ON mentions (user_id, message_id);

-- Reactions in the order they were made (id).
CREATE TABLE reactions (
	id INTEGER PRIMARY KEY,
	message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	emoji TEXT NOT NULL,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	UNIQUE (message_id, emoji, user_id)
) STRICT;

-- Files: stored under uploads/ by a random path, never a user-chosen one.
CREATE TABLE attachments (
	id INTEGER PRIMARY KEY,
	message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	uploader_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
	name TEXT NOT NULL,
	size INTEGER NOT NULL,
	content_type TEXT NOT NULL,
	image INTEGER NOT NULL DEFAULT 0,
	width INTEGER NOT NULL DEFAULT 0,
	height INTEGER NOT NULL DEFAULT 0,
	path TEXT NOT NULL,
	sha256 TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	deleted INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX attachments_message ON attachments (message_id);

-- client_id de-duplication: stored with the messages it created, in the
-- same transaction, so a retry after a crash never posts twice.
CREATE TABLE client_ids (
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	client_id TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	message_ids TEXT NOT NULL,
	PRIMARY KEY (user_id, client_id)
) STRICT, WITHOUT ROWID;

-- Substring search: FTS5 with the trigram tokenizer (case-insensitive),
-- over the text of live messages only; triggers keep it in step.
CREATE VIRTUAL TABLE messages_fts USING fts5 (text, content = 'messages', content_rowid = 'id', tokenize = 'trigram');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.deleted = 0 BEGIN
	INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, deleted ON messages BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) SELECT 'delete', old.id, old.text WHERE old.deleted = 0;
	INSERT INTO messages_fts (rowid, text) SELECT new.id, new.text WHERE new.deleted = 0;
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.deleted = 0 BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

-- Incoming webhooks: post into a channel as their creator.
CREATE TABLE hooks (
	id INTEGER PRIMARY KEY,
	channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	token_hash BLOB NOT NULL UNIQUE,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX hooks_channel ON hooks (channel_id);
