// The chat's shared parts, for the navigation views (search, mentions,
// pins, members, the new-conversation dialogs, presence): filled in once
// by navigation.js when the page starts, read by the views when they act.
// Views are built before the stream and the conversation exist, so they
// look these up at use time rather than at import time.

export const nav = {
  /** state: the model (state.js). */
  state: null,
  /** live: the one stream (lib/live.js). */
  live: null,
  /** users: every account by username, from GET /api/v1/users. */
  users: new Map(),
  /** conv: the conversation column (conversation.js). */
  conv: null,
  /** composer: the composer (composer.js), for focus. */
  composer: null,
};

/** userList lists the known accounts that are not deleted. */
export function userList() {
  return [...nav.users.values()].filter((u) => u && !u.deleted);
}

/** isMe tells whether a username is yours (case-insensitive). */
export function isMe(name) {
  return !!nav.state && String(name).toLowerCase() === nav.state.me.username.toLowerCase();
}
