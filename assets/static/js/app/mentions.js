// The mentions view (client.md §6.5): your unread mentions across every
// conversation, newest first, from GET /api/v1/mentions, kept live: a new
// or edited message that mentions you (not yours) adds or refreshes a
// card, a deletion or an edit that drops the mention removes it, and your
// own read.updated removes the cards of that channel up to its message.
// Viewing the list marks nothing read. The sidebar's "@ Mentions" entry
// shows the count (mentionCount) while there is any.

import { get, ApiError } from "../lib/api.js";
import { h, replace } from "../lib/dom.js";
import { paintName } from "../lib/names.js";
import { render } from "../lib/format.js";
import { toast } from "../ui/toast.js";
import { nav, isMe } from "./context.js";
import { userAvatar } from "./presence.js";
import { sidebarLabel, whenFormat } from "./search.js";

/** mentionEvents fires "change" when the list or the view's visibility changes. */
export const mentionEvents = new EventTarget();

let items = []; // Messages, newest first
let viewOpen = false;
let view = null; // {el, list}

/** mentionCount is the number of unread mentions. */
export function mentionCount() {
  return items.length;
}

/** mentionsOpen tells whether the mentions view is showing. */
export function mentionsOpen() {
  return viewOpen;
}

function changed() {
  if (viewOpen) draw();
  mentionEvents.dispatchEvent(new CustomEvent("change"));
}

/** mentionsMe: m names you or everyone, and is someone else's (§4.8). */
function mentionsMe(m) {
  if (!m || m.deleted || m.system || isMe(m.author)) return false;
  return !!m.mentions_everyone || (m.mentions || []).some((n) => isMe(n));
}

async function load() {
  try {
    const list = await get("/api/v1/mentions");
    items = (Array.isArray(list) ? list : []).filter(mentionsMe).sort((a, b) => b.id - a.id);
    changed();
  } catch (err) {
    // Without the list the entry stays hidden; a reconnect tries again.
    if (!(err instanceof ApiError)) console.warn("mentions", err);
  }
}

function upsert(m) {
  const at = items.findIndex((x) => x.id === m.id);
  if (at >= 0) {
    if (items[at].seq > m.seq) return;
    items[at] = m;
  } else {
    items.push(m);
    items.sort((a, b) => b.id - a.id);
  }
  changed();
}

function drop(id) {
  const before = items.length;
  items = items.filter((x) => x.id !== id);
  if (items.length !== before) changed();
}

/** messageOf is the Message a message event carries. */
export function messageOf(e) {
  const d = e.detail && e.detail.data;
  const m = d && d.message && typeof d.message === "object" ? d.message : d;
  return m && m.id != null ? m : null;
}

/** reading: the message's conversation is open and visible, so it is read at once. */
function reading(m) {
  return nav.state.current === m.channel_id && document.visibilityState !== "hidden";
}

function card(m) {
  const c = nav.state.channels.get(m.channel_id);
  const user = nav.users.get(m.author) || { username: m.author };
  const when = new Date(m.created_at);
  const open = h(
    "button",
    { type: "button", class: "mention-open", "aria-label": `${m.author} in ${c ? sidebarLabel(c) : "a conversation"}, ${whenFormat.format(when)}: open` },
    paintName(h("strong", { class: "mention-author" }, m.author), user),
    h("span", { class: "mention-channel" }, c ? sidebarLabel(c) : "Conversation"),
    h("time", { datetime: when.toISOString() }, whenFormat.format(when)),
  );
  const text = m.text
    ? h("div", { class: "mention-text msg-text" }, render(m.text, { mentions: m.mentions, everyone: m.mentions_everyone, me: nav.state.me.username }))
    : h("div", { class: "mention-text" }, "📎 attachment");
  const el = h("article", { class: "mention-card", "data-id": String(m.id) }, h("div", { class: "mention-avatar" }, userAvatar(user, 32)), h("div", { class: "mention-main" }, open, text));
  const go = () => jumpTo(m);
  open.addEventListener("click", go);
  // A click anywhere on the card but a link jumps too.
  el.addEventListener("click", (e) => {
    if (e.target.closest("a, button")) return;
    go();
  });
  return el;
}

async function jumpTo(m) {
  const ok = await nav.conv.jump(m.channel_id, m.id);
  if (!ok) toast("Couldn't reach that message — it may have been deleted.");
}

function draw() {
  if (!view) return;
  if (items.length === 0) {
    replace(view.list, h("div", { class: "empty-state" }, h("h2", null, "No unread mentions")));
    return;
  }
  replace(view.list, items.map(card));
}

/** openMentions shows the view in place of the conversation (the "@ Mentions" entry). */
export function openMentions() {
  if (!nav.state || !view) return;
  if (nav.state.current != null) nav.state.open(null);
  viewOpen = true;
  view.el.hidden = false;
  nav.conv.el.hidden = true;
  draw();
  changed();
  view.list.focus();
}

function closeView() {
  if (!viewOpen) return;
  viewOpen = false;
  view.el.hidden = true;
  nav.conv.el.hidden = false;
  changed();
}

/**
 * trackMentions loads the list, keeps it live and builds the view, which
 * goes after the conversation column.
 */
export function trackMentions(live) {
  const list = h("div", { class: "mentions-list scroll", tabindex: "0", role: "feed", "aria-label": "Unread mentions", "aria-busy": "false" });
  view = { el: h("section", { class: "mentions-view", hidden: true, "aria-labelledby": "channel-title" }, list), list };
  nav.conv.el.after(view.el);
  nav.state.addEventListener("open", (e) => {
    if (e.detail.id != null) closeView();
  });
  live.addEventListener("open", () => load());
  live.addEventListener("message.created", (e) => {
    const m = messageOf(e);
    if (mentionsMe(m) && !reading(m)) upsert(m);
  });
  live.addEventListener("message.updated", (e) => {
    const m = messageOf(e);
    if (!m) return;
    if (!mentionsMe(m)) drop(m.id);
    else if (items.some((x) => x.id === m.id)) upsert(m);
    else {
      const c = nav.state.channels.get(m.channel_id);
      if (!reading(m) && c && (c.last_read_id == null || m.id > c.last_read_id)) upsert(m);
    }
  });
  live.addEventListener("message.deleted", (e) => {
    const m = messageOf(e);
    if (m) drop(m.id);
  });
  live.addEventListener("read.updated", (e) => {
    const d = e.detail.data || {};
    if (!isMe(d.username)) return;
    const before = items.length;
    items = items.filter((x) => !(x.channel_id === d.channel_id && x.id <= d.message_id));
    if (items.length !== before) changed();
  });
  // Leaving a channel takes its mentions with it.
  nav.state.addEventListener("channels", () => {
    if (!nav.state.channelsKnown) return;
    const before = items.length;
    items = items.filter((x) => nav.state.channels.has(x.channel_id));
    if (items.length !== before) changed();
  });
}
