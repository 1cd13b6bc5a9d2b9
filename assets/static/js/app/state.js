// The chat's state: who you are, the server's settings, the conversations
// and which one is open. Views subscribe to its events and redraw; the
// live stream and the REST calls feed it. Nothing here touches the DOM.
//
// Events (CustomEvent, detail in brackets):
//   "channels"  the list or a channel changed          [{ids}]
//   "open"      another conversation was opened         [{id, previous}]
//   "me"        your user changed (name colour, avatar) [{user}]
//   "users"     the account list (GET /users) arrived    [{}]

export class State extends EventTarget {
  constructor(session) {
    super();
    this.me = session.user;
    this.settings = session.settings || {};
    /** channels by id, in the server's order (GET /channels). */
    this.channels = new Map();
    /** channelsKnown: false while the server offers no channel list. */
    this.channelsKnown = false;
    this.current = null;
  }

  /** setMe applies your saved profile (and the settings answer, if any). */
  setMe(user, settings) {
    this.me = user;
    if (settings) this.settings = { ...this.settings, name_color: settings.name_color, bio: settings.bio };
    this.emit("me", { user });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** setChannels replaces the list with a GET /channels answer. */
  setChannels(list) {
    this.channels = new Map(list.map((c) => [c.id, c]));
    this.channelsKnown = true;
    if (this.current != null && !this.channels.has(this.current)) this.current = null;
    this.emit("channels", { ids: list.map((c) => c.id) });
  }

  /** upsertChannel applies channel.created / channel.updated. */
  upsertChannel(c) {
    this.channels.set(c.id, { ...this.channels.get(c.id), ...c });
    this.emit("channels", { ids: [c.id] });
  }

  /** removeChannel applies channel.removed; an open one falls back (§3.2). */
  removeChannel(id) {
    this.channels.delete(id);
    this.emit("channels", { ids: [id] });
    if (this.current === id) this.open(this.fallbackChannel());
  }

  /** byKind returns the sidebar groups in sidebar order (§3.2). */
  byKind() {
    const all = [...this.channels.values()];
    const dms = all.filter((c) => c.kind === "dm" && !c.hidden);
    dms.sort((a, b) => (b.last_message_at || b.created_at || 0) - (a.last_message_at || a.created_at || 0));
    return {
      public: all.filter((c) => c.kind === "public"),
      private: all.filter((c) => c.kind === "private").sort((a, b) => (a.created_at || 0) - (b.created_at || 0)),
      dm: dms,
    };
  }

  /** fallbackChannel is the first configured public channel (§16.18). */
  fallbackChannel() {
    const first = this.byKind().public[0];
    return first ? first.id : null;
  }

  /** open makes a conversation the current one (null: none). */
  open(id) {
    if (id != null && !this.channels.has(id)) return;
    const previous = this.current;
    this.current = id;
    const c = id == null ? null : this.channels.get(id);
    // The conversation view keeps the read position it opened with (§4.5).
    this.opened = c;
    if (c && (c.unread || c.mentions)) this.channels.set(id, { ...c, unread: 0, mentions: 0 });
    this.emit("open", { id, previous });
    if (c && (c.unread || c.mentions)) this.emit("channels", { ids: [id] });
  }

  get channel() {
    return this.current == null ? null : this.channels.get(this.current) || null;
  }
}

/** label is how a conversation is named in the sidebar and top bar. */
export function label(c) {
  return c.name || "";
}

/** prefix is "#" for public channels, "@" for DMs, nothing for private ones. */
export function prefix(c) {
  return c.kind === "public" ? "#" : c.kind === "dm" ? "@" : "";
}
