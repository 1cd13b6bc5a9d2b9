// The conversation column (client.md §3.5, §4): the message list, a log
// region labelled "Messages". It holds the open conversation's loaded
// messages by id, pages up with ?before=, applies live events and the
// since_seq resync (both idempotent: a message is replaced only by a
// copy with a seq at least as new), and redraws by reusing each row whose
// message and cluster position did not change, so focus survives.

import { get, post, put, del, patch, ApiError } from "../lib/api.js";
import { h, replace, reconcile } from "../lib/dom.js";
import { toast, toastError } from "../ui/toast.js";
import { label } from "./state.js";
import { messageRow, editor, dayFormat, pickReaction } from "./message.js";
import { closeEmojiPicker } from "./emoji.js";
import { readReceipts } from "./receipts.js";

/** startText is the §3.5 line for an empty conversation. */
export function startText(c, me) {
  if (c.kind === "dm") {
    const others = (c.members || []).filter((m) => m.toLowerCase() !== me.username.toLowerCase());
    const names = (others.length ? others : [label(c)]).map((n) => `@${n}`).join(", ");
    return `This is the start of your conversation with ${names}`;
  }
  return c.kind === "public" ? `This is the start of #${label(c)}` : `This is the start of ${label(c)}`;
}

const PAGE = 100;
const GROUP_MS = 300 * 1000;
const BOTTOM_PX = 120;
const PILL_PX = 40;

const reducedMotion = () => matchMedia("(prefers-reduced-motion: reduce)").matches;

function dayKey(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

export function conversation(state, { live, users }) {
  const list = h("div", {
    class: "message-list scroll",
    id: "messages",
    role: "log",
    "aria-label": "Messages",
    "aria-live": "polite",
    tabindex: "0",
    "data-focus-fallback": "",
  });
  // "Jump to latest" (§4.1): shown while the bottom is out of view.
  const pill = h("button", { type: "button", class: "jump-latest", hidden: true });
  const el = h("section", { class: "conversation", "aria-labelledby": "channel-title" }, list, pill);
  const receipts = readReceipts(state);
  /** selected: the message visual mode has picked (§11.2). */
  let selected = null;
  let loading = 0;
  /** view: the open conversation's messages. */
  let view = null;
  const rows = new Map(); // key → row
  let editing = null; // {id, el, ta}
  const hooks = { onReply: () => {}, onSent: () => {} };

  function emptyWelcome() {
    replace(
      list,
      h(
        "div",
        { class: "empty-state" },
        h("h2", null, `Welcome to MiniMost, ${state.me.username}!`),
        h("p", null, state.channelsKnown ? "You have no conversations yet." : "There are no conversations to show yet."),
      ),
    );
  }

  const ctx = {
    get me() {
      return state.me;
    },
    user: (name) => users.get(name) || { username: name },
    onReply: (m) => hooks.onReply(m),
    onEdit: (m) => startEdit(m),
    async onDelete(m) {
      try {
        await del(`/api/v1/messages/${m.id}`);
        apply({ ...m, deleted: true, text: "", seq: m.seq });
      } catch (err) {
        toastError(err, "Could not delete message");
      }
    },
    async onReact(m, emoji, add) {
      try {
        const path = `/api/v1/messages/${m.id}/reactions/${encodeURIComponent(emoji)}`;
        apply(add ? await put(path) : await del(path));
      } catch (err) {
        toastError(err, "Could not update the reaction");
      }
    },
    onPickReaction: (m, button) => pickReaction(m, button, ctx),
    async onPin(m) {
      try {
        apply(m.pinned ? await del(`/api/v1/messages/${m.id}/pin`) : await put(`/api/v1/messages/${m.id}/pin`));
      } catch (err) {
        toastError(err, "Could not update the pin");
      }
    },
    jumpTo: (id) => jumpTo(id),
  };

  function sorted() {
    return [...view.byId.values()].filter((m) => !m.deleted).sort((a, b) => a.id - b.id).concat(view.pending);
  }

  function nearBottom() {
    return list.scrollHeight - list.scrollTop - list.clientHeight < BOTTOM_PX;
  }

  function draw({ stick = false, keepTop = false } = {}) {
    if (!view) return;
    const c = state.channels.get(view.id);
    const ms = sorted();
    if (ms.length === 0) {
      rows.clear();
      replace(list, h("div", { class: "empty-state" }, h("h2", null, startText(c || { kind: "public", name: "" }, state.me)), h("p", null, "Send a message to get things going.")));
      return;
    }
    const wasBottom = stick || nearBottom();
    const fromBottom = list.scrollHeight - list.scrollTop;
    const nodes = [];
    const used = new Set();
    let prev = null;
    let newLineDone = false;
    if (view.hasMore) nodes.push(view.loader);
    for (const m of ms) {
      try {
        const day = dayKey(m.created_at);
        if (!prev || dayKey(prev.created_at) !== day) {
          const key = `day-${day}`;
          let d = rows.get(key);
          if (!d) d = h("div", { class: "divider date", role: "separator" }, h("span", null, dayFormat.format(new Date(m.created_at))));
          rows.set(key, d);
          used.add(key);
          nodes.push(d);
          prev = null;
        }
        if (!newLineDone && view.readAt != null && !m.pending && m.id > view.readAt && m.author !== state.me.username && !m.system) {
          newLineDone = true;
          nodes.push(view.newLine);
        }
        const head = !prev || m.system || prev.system || prev.author !== m.author ||
          m.created_at - prev.created_at < 0 || m.created_at - prev.created_at >= GROUP_MS || nodes[nodes.length - 1] === view.newLine;
        const key = `m-${m.id}`;
        let r = rows.get(key);
        if (editing && editing.id === m.id && r) {
          // keep the open editor
        } else if (!r || r._seq !== m.seq || r._head !== head || r._text !== m.text) {
          r = messageRow(m, head, ctx);
          r._seq = m.seq;
          r._head = head;
          r._text = m.text;
        }
        if (!m.pending) receipts.mark(r, m);
        r.classList.toggle("selected", m.id === selected);
        rows.set(key, r);
        used.add(key);
        nodes.push(r);
        prev = m;
      } catch (err) {
        console.warn("message", m && m.id, err);
      }
    }
    for (const k of [...rows.keys()]) if (!used.has(k)) rows.delete(k);
    if (list.querySelector(".empty-state")) list.replaceChildren();
    reconcile(list, nodes);
    if (keepTop) list.scrollTop = list.scrollHeight - fromBottom;
    else if (wasBottom) list.scrollTop = list.scrollHeight;
    maybeRead();
    drawPill();
  }

  function gapBelow() {
    return list.scrollHeight - list.scrollTop - list.clientHeight;
  }

  function drawPill() {
    if (!view || (gapBelow() <= PILL_PX && !view.hasNewer)) {
      if (view) view.newBelow = 0;
      if (!pill.hidden && pill.contains(document.activeElement)) list.focus({ preventScroll: true });
      pill.hidden = true;
      return;
    }
    const n = view.newBelow;
    const text = n ? `${n} new message${n === 1 ? "" : "s"}` : "Jump to latest";
    if (pill.textContent !== text) pill.textContent = text;
    pill.classList.toggle("news", n > 0);
    pill.setAttribute("aria-label", n ? `Jump to latest: ${text} below` : "Jump to the latest message");
    pill.hidden = false;
  }

  /** toBottom scrolls to the newest message (smoothly unless reduced motion). */
  function toBottom(smooth = true) {
    const behavior = smooth && !reducedMotion() ? "smooth" : "auto";
    list.scrollTo({ top: list.scrollHeight, behavior });
    // A smooth scroll can be cut short by content arriving meanwhile.
    if (behavior === "smooth") setTimeout(() => gapBelow() > PILL_PX && (list.scrollTop = list.scrollHeight), 1000);
  }

  pill.addEventListener("click", () => {
    if (view && view.hasNewer) {
      opening = open();
      list.focus({ preventScroll: true });
      return;
    }
    toBottom();
    list.focus({ preventScroll: true });
  });
  new ResizeObserver(drawPill).observe(list);
  // Images finishing loading change the height below.
  list.addEventListener("load", drawPill, true);

  function apply(m, arrived = false) {
    if (!view || !m || m.channel_id !== view.id) return;
    const old = view.byId.get(m.id);
    if (old && old.seq > m.seq) return;
    // Beyond a window opened by a jump, newer messages arrive by paging.
    if (!old && view.hasNewer) return;
    // Others' new messages landing out of view count for the pill (§4.1).
    if (arrived && !old && !m.deleted && !m.system && m.author !== state.me.username && gapBelow() >= BOTTOM_PX) view.newBelow++;
    if (m.deleted && m.id === selected) selected = null;
    view.byId.set(m.id, m);
    if (m.client_id) view.pending = view.pending.filter((p) => p.client_id !== m.client_id);
    draw();
  }

  async function loadOlder() {
    if (!view || !view.hasMore || view.loadingOlder) return;
    const v = view;
    v.loadingOlder = true;
    const oldest = Math.min(...[...v.byId.keys()]);
    try {
      const page = await get(`/api/v1/channels/${v.id}/messages?before=${oldest}&limit=${PAGE}`);
      if (view !== v) return;
      for (const m of page.messages || []) if (!v.byId.has(m.id)) v.byId.set(m.id, m);
      v.hasMore = !!page.has_more;
      draw({ keepTop: true });
    } catch (err) {
      toastError(err, "Couldn't load older messages.");
    } finally {
      v.loadingOlder = false;
    }
  }

  /** loadNewer pages in the messages after the newest loaded (after a jump). */
  async function loadNewer() {
    if (!view || !view.hasNewer || view.loadingNewer) return;
    const v = view;
    v.loadingNewer = true;
    const newest = Math.max(...[...v.byId.keys()]);
    try {
      const page = await get(`/api/v1/channels/${v.id}/messages?after=${newest}&limit=${PAGE}`);
      if (view !== v) return;
      for (const m of page.messages || []) if (!v.byId.has(m.id)) v.byId.set(m.id, m);
      v.hasNewer = !!page.has_more;
      draw();
    } catch (err) {
      toastError(err, "Couldn't load newer messages.");
    } finally {
      v.loadingNewer = false;
    }
  }

  list.addEventListener("scroll", () => {
    if (view && view.hasMore && list.scrollTop < Math.max(800, 3 * list.clientHeight)) loadOlder();
    if (view && view.hasNewer && gapBelow() < Math.max(800, 3 * list.clientHeight)) loadNewer();
    maybeRead();
    drawPill();
  });

  /** resync fetches what changed since seq (after a reconnect). */
  async function resync(since) {
    if (!view) return;
    const v = view;
    let s = since;
    for (let i = 0; i < 50; i++) {
      const page = await get(`/api/v1/channels/${v.id}/messages?since_seq=${s}`);
      if (view !== v) return;
      const ms = page.messages || [];
      for (const m of ms) {
        apply(m);
        live.noteSeq(m.seq);
        if (m.seq > s) s = m.seq;
      }
      if (!page.has_more || ms.length === 0) break;
    }
  }

  let readTimer = 0;
  function maybeRead() {
    if (!view || document.visibilityState === "hidden" || !nearBottom()) return;
    const newest = [...view.byId.values()].filter((m) => !m.deleted).reduce((a, m) => Math.max(a, m.id), 0);
    if (!newest || newest <= view.readSent) return;
    clearTimeout(readTimer);
    const v = view;
    readTimer = setTimeout(() => {
      if (newest <= v.readSent) return;
      v.readSent = newest;
      post(`/api/v1/channels/${v.id}/read`, { message_id: newest }).catch(() => {});
      const c = state.channels.get(v.id);
      if (c && (c.unread || c.mentions)) state.upsertChannel({ ...c, unread: 0, mentions: 0, last_read_id: newest });
    }, 300);
  }
  document.addEventListener("visibilitychange", maybeRead);
  window.addEventListener("focus", maybeRead);

  /** loadSide fetches the open conversation's read receipts and typing set. */
  async function loadSide(v) {
    const [rr, typing] = await Promise.allSettled([
      get(`/api/v1/channels/${v.id}/read-receipts`),
      get(`/api/v1/channels/${v.id}/typing`),
    ]);
    if (view !== v) return;
    if (rr.status === "fulfilled") {
      receipts.reset(rr.value);
      draw();
    }
    // The typing line listens to the stream: hand it the current set the same way.
    if (typing.status === "fulfilled" && Array.isArray(typing.value)) {
      live.dispatchEvent(new CustomEvent("typing", { detail: { type: "typing", data: { channel_id: v.id, users: typing.value } } }));
    }
  }

  function startEdit(m) {
    const row = rows.get(`m-${m.id}`);
    if (!row || !m.text) return;
    cancelEdit();
    const ed = editor(m, {
      onSave: async (text) => {
        const t = text.trim();
        if (!t) {
          toast("Message cannot be empty");
          return;
        }
        try {
          const upd = await patch(`/api/v1/messages/${m.id}`, { text: t });
          cancelEdit(false);
          apply(upd);
          hooks.focusComposer?.();
        } catch (err) {
          toastError(err, "Could not edit message");
        }
      },
      onCancel: () => {
        cancelEdit();
        hooks.focusComposer?.();
      },
    });
    const text = row.querySelector(".msg-text");
    text.hidden = true;
    text.after(ed.el);
    editing = { id: m.id, el: ed.el, ta: ed.ta, row };
    ed.ta.focus();
    ed.ta.setSelectionRange(ed.ta.value.length, ed.ta.value.length);
    ed.el.scrollIntoView({ block: "nearest" });
  }

  function cancelEdit(redraw = true) {
    if (!editing) return;
    const e = editing;
    editing = null;
    e.el.remove();
    const t = e.row.querySelector(".msg-text");
    if (t) t.hidden = false;
    if (redraw) {
      rows.delete(`m-${e.id}`);
      draw();
    }
  }

  async function jumpTo(id) {
    const row = rows.get(`m-${id}`);
    if (row) {
      row.scrollIntoView({ block: "center", behavior: matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth" });
      row.classList.add("flash");
      setTimeout(() => row.classList.remove("flash"), 1200);
      row.focus({ preventScroll: true });
      return;
    }
    if (!view) return;
    const v = view;
    try {
      const page = await get(`/api/v1/channels/${v.id}/messages?around=${id}&limit=${PAGE}`);
      if (view !== v) return;
      // The page around the message replaces what was loaded (§6.4): the
      // newest page and it would otherwise sit together with a gap between
      // them. Newer ones are paged in with after= while has_newer holds.
      v.byId = new Map((page.messages || []).map((m) => [m.id, m]));
      v.hasMore = !!page.has_more;
      v.hasNewer = !!page.has_newer;
      v.newBelow = 0;
      rows.clear();
      draw();
      if (rows.get(`m-${id}`)) jumpTo(id);
    } catch (err) {
      toastError(err, "Couldn't load that message.");
    }
  }

  async function open() {
    const c = state.opened || state.channel;
    const ticket = ++loading;
    editing = null;
    selected = null;
    pill.hidden = true;
    closeEmojiPicker();
    rows.clear();
    receipts.reset({});
    if (!c) {
      view = null;
      emptyWelcome();
      return;
    }
    view = null;
    list.setAttribute("aria-busy", "true");
    replace(list);
    try {
      const page = await get(`/api/v1/channels/${c.id}/messages?limit=${PAGE}`);
      if (ticket !== loading) return;
      view = {
        id: c.id,
        byId: new Map((page.messages || []).map((m) => [m.id, m])),
        hasMore: !!page.has_more,
        hasNewer: false,
        pending: [],
        readAt: c.unread ? c.last_read_id ?? null : null,
        readSent: 0,
        newBelow: 0,
        loader: h("div", { class: "loader", role: "status" }, "Loading older messages…"),
        newLine: h("div", { class: "divider new", role: "separator" }, h("span", null, "New messages")),
      };
      draw({ stick: true });
      const nl = view.newLine.isConnected ? view.newLine : null;
      if (nl) nl.scrollIntoView({ block: "center" });
      loadSide(view).catch(() => {});
    } catch (err) {
      if (ticket !== loading) return;
      if (err instanceof ApiError && err.status === 404) {
        view = { id: c.id, byId: new Map(), hasMore: false, pending: [], readAt: null, readSent: 0, newBelow: 0, loader: null, newLine: null };
        draw();
      } else toastError(err, "Couldn't load messages.");
    } finally {
      if (ticket === loading) list.removeAttribute("aria-busy");
    }
  }

  // jump() waits for the conversation it opens to load.
  let opening = null;
  state.addEventListener("open", () => {
    opening = open();
  });
  for (const t of ["message.created", "message.updated", "message.deleted"]) {
    live.addEventListener(t, (e) => apply(e.detail.data && (e.detail.data.message || e.detail.data), t === "message.created"));
  }
  live.addEventListener("read.updated", (e) => {
    const d = e.detail.data || {};
    if (view && d.channel_id === view.id && receipts.advance(d.username, d.message_id)) {
      for (const [key, row] of rows) {
        const m = key.startsWith("m-") && view.byId.get(Number(key.slice(2)));
        if (m) receipts.mark(row, m);
      }
    }
  });
  live.addEventListener("open", (e) => {
    if (!e.detail.reconnect) return;
    resync(e.detail.since).catch((err) => toastError(err, "Couldn't catch up on messages."));
    if (view) loadSide(view).catch(() => {});
  });
  opening = open();

  return {
    el,
    list,
    hooks,
    get channelId() {
      return view ? view.id : null;
    },
    /** addPending shows an optimistic copy until the server's arrives. */
    addPending(m) {
      if (!view) return;
      view.pending.push(m);
      draw({ stick: true });
    },
    dropPending(clientId) {
      if (!view) return;
      view.pending = view.pending.filter((p) => p.client_id !== clientId);
      draw();
    },
    applyAll(ms) {
      for (const m of ms) apply(m);
      list.scrollTop = list.scrollHeight;
    },
    /**
     * jump opens a conversation at a message and flashes it (search,
     * mentions and pins, §6.4); false when the conversation can't be opened.
     */
    async jump(channelId, messageId) {
      if (state.current !== channelId) state.open(channelId);
      await opening;
      if (!view || view.id !== channelId) return false;
      await jumpTo(messageId);
      // Older pages arriving mid-scroll can cut the smooth scroll short or
      // redraw the row: once the list is still, make sure the message is
      // in view and focused.
      await new Promise((done) => {
        const t = setTimeout(done, 1500);
        list.addEventListener("scrollend", () => setTimeout(() => done(clearTimeout(t)), 200), { once: true });
      });
      const row = rows.get(`m-${messageId}`);
      if (!view || view.id !== channelId) return true;
      if (!row) return false;
      const r = row.getBoundingClientRect();
      const l = list.getBoundingClientRect();
      if (r.top < l.top || r.bottom > l.bottom) row.scrollIntoView({ block: "center" });
      if (!row.contains(document.activeElement)) row.focus({ preventScroll: true });
      return true;
    },
    /** messages lists the loaded messages, oldest first (visual mode, §11.2). */
    messages() {
      return view ? sorted().filter((m) => !m.pending) : [];
    },
    /** row is the drawn row of message id, if loaded. */
    row(id) {
      return rows.get(`m-${id}`) || null;
    },
    /** select marks message id as visual mode's pick (null: none) and keeps it in view. */
    select(id) {
      selected = id;
      for (const [key, r] of rows) if (key.startsWith("m-")) r.classList.toggle("selected", key === `m-${id}`);
      const r = id == null ? null : rows.get(`m-${id}`);
      if (r) r.scrollIntoView({ block: "nearest", behavior: reducedMotion() ? "auto" : "smooth" });
    },
    /** actions are the message actions (reply, edit, delete, pin) the keyboard calls. */
    actions: ctx,
    toBottom,
    /** scrollBy moves the list by dy pixels (smoothly unless reduced motion). */
    scrollBy(dy) {
      list.scrollBy({ top: dy, behavior: reducedMotion() ? "auto" : "smooth" });
    },
    toTop() {
      list.scrollTo({ top: 0, behavior: "auto" });
    },
    /** editNewest opens the editor on your newest editable message (↑). */
    editNewest() {
      if (!view) return false;
      const mine = sorted().filter((m) => !m.pending && !m.system && m.author === state.me.username && m.text);
      if (!mine.length) return false;
      startEdit(mine[mine.length - 1]);
      return true;
    },
  };
}
