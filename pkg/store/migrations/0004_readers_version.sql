-- readers_version changes with every change that can change who reads a
-- channel (accounts, memberships, a channel's kind or listing), so the
-- writer can keep channels' readers in memory and know when they are stale,
-- whichever statement or connection made the change.
CREATE TABLE readers_version (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	value INTEGER NOT NULL
) STRICT;
INSERT INTO readers_version (id, value) VALUES (1, 0);

CREATE TRIGGER readers_users_insert AFTER INSERT ON users BEGIN
	UPDATE readers_version SET value = value + 1 WHERE id = 1;
END;
CREATE TRIGGER readers_users_update AFTER UPDATE OF id, username, deleted ON users BEGIN
	UPDATE readers_version SET value = value + 1 WHERE id = 1;
END;
CREATE TRIGGER readers_users_delete AFTER DELETE ON users BEGIN
	UPDATE readers_version SET value = value + 1 WHERE id = 1;
END;
CREATE TRIGGER readers_members_insert AFTER INSERT ON channel_members BEGIN
	UPDATE readers_version SET value = value + 1 WHERE id = 1;
END;
CREATE TRIGGER readers_members_update AFTER UPDATE ON channel_members BEGIN
	UPDATE readers_version SET value = value + 1 WHERE id = 1;
END;
CREATE TRIGGER readers_members_delete AFTER DELETE ON channel_members BEGIN
	UPDATE readers_version SET value = value + 1 WHERE id = 1;
END;
CREATE TRIGGER readers_channels_update AFTER UPDATE OF id, kind, listed ON channels BEGIN
	UPDATE readers_version SET value = value + 1 WHERE id = 1;
END;
CREATE TRIGGER readers_channels_delete AFTER DELETE ON channels BEGIN
	UPDATE readers_version SET value = value + 1 WHERE id = 1;
END;
CREATE TRIGGER readers_channels_insert AFTER INSERT ON channels BEGIN
	UPDATE readers_version SET value = value + 1 WHERE id = 1;
END;
