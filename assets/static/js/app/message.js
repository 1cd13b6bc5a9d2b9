// One message row (client.md §4.2–§4.14), built escape-first. The row
// carries its actions (§4.2) as real buttons, so they are reachable by
// keyboard and shown on hover or focus inside the row.

import { h } from "../lib/dom.js";
import { avatar, paintName } from "../lib/names.js";
import { render, isEmojiOnly, plainPreview } from "../lib/format.js";

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const fullFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "numeric", minute: "2-digit", second: "2-digit",
});
const editedFormat = new Intl.DateTimeFormat("en-US", {
  month: "2-digit", day: "2-digit", year: "2-digit", hour: "2-digit", minute: "2-digit",
});
export const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric", year: "numeric" });

/** REACTIONS is the quick set offered by the reaction picker. */
export const REACTIONS = ["👍", "❤️", "😂", "🎉", "😮", "😢", "👀", "✅"];

/** sizeText: "312 KB", "2.4 MB" (§4.10). */
export function sizeText(n) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = Number(n) || 0;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i && v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

function safeFileURL(u) {
  return typeof u === "string" && u.startsWith("/api/v1/files/") ? u : null;
}

function attachment(a) {
  const url = safeFileURL(a.url);
  if (a.image) {
    if (a.deleted || !url) return h("p", { class: "file-deleted" }, "Image has been deleted due to configurable retention policy");
    const img = h("img", { src: url, alt: a.name || "image", loading: "lazy", class: "inline-image" });
    img.addEventListener("load", () => img.classList.add("loaded"));
    return h("a", { href: url, target: "_blank", rel: "noopener noreferrer", class: "image-link" }, img);
  }
  if (a.deleted || !url) return h("p", { class: "file-deleted" }, "File deleted");
  return h(
    "a",
    { href: url, download: a.name || "", class: "file-card" },
    h("span", { class: "file-logo", "aria-hidden": "true" }, "📄"),
    h("span", { class: "file-name" }, a.name || "file"),
    h("span", { class: "file-size" }, sizeText(a.size)),
  );
}

function replyQuote(m, ctx) {
  const r = m.reply_to;
  let who = null;
  let text;
  if (!r || typeof r !== "object" || r.id == null) text = "[unavailable]";
  else if (r.deleted) text = "[deleted message]";
  else {
    who = paintName(h("span", { class: "quote-author" }, String(r.author || "")), { username: String(r.author || "") });
    text = plainPreview(r.excerpt, 100);
  }
  const b = h("button", { type: "button", class: "reply-quote", "aria-label": `Reply to ${r && r.author ? r.author : "a message"}: ${text}` },
    who, who ? ": " : "", h("span", { class: "quote-text" }, text));
  if (r && r.id != null) b.addEventListener("click", () => ctx.jumpTo(r.id));
  return b;
}

function actionButton(label, text, onClick) {
  const b = h("button", { type: "button", class: "act", title: label, "aria-label": label }, text);
  b.addEventListener("click", onClick);
  return b;
}

/**
 * messageRow builds the row of m. head: it starts a cluster (avatar, name,
 * time). ctx: {me, onReply, onEdit, onDelete, onReact, onPin, jumpTo, user(name)}.
 */
export function messageRow(m, head, ctx) {
  const mine = !m.system && m.author === ctx.me.username;
  const mentioned = !mine && !m.system && (m.mentions_everyone || (m.mentions || []).some((n) => String(n).toLowerCase() === ctx.me.username.toLowerCase()));
  const cls = ["msg"];
  if (head) cls.push("head");
  else cls.push("cont");
  if (m.system) cls.push("system");
  if (mentioned) cls.push("mentioned");
  if (m.pending) cls.push("pending");
  const created = new Date(m.created_at);
  const time = h("time", { datetime: created.toISOString(), title: fullFormat.format(created) }, timeFormat.format(created));
  const row = h("article", { class: cls.join(" "), "data-id": String(m.id), tabindex: "-1", "aria-label": `${m.system ? "MiniMost" : m.author}, ${timeFormat.format(created)}` });
  if (head) {
    const user = m.system ? { username: "MiniMost" } : ctx.user(m.author);
    row.append(h("div", { class: "msg-gutter" }, avatar(user, 32)));
    const name = h("span", { class: "msg-author" }, m.system ? "MiniMost" : m.author);
    if (!m.system) paintName(name, user);
    const hd = h("header", { class: "msg-head" }, name, " ", time);
    if (m.edited_at) hd.append(" ", h("span", { class: "edited", title: `Last edited at ${editedFormat.format(new Date(m.edited_at))}` }, "(edited)"));
    row.append(hd);
  } else {
    row.append(h("div", { class: "msg-gutter" }, h("span", { class: "cont-time" }, time)));
    if (m.edited_at) row.append(h("span", { class: "edited", title: `Last edited at ${editedFormat.format(new Date(m.edited_at))}` }, "(edited)"));
  }
  const body = h("div", { class: "msg-body" });
  if (m.reply_to) body.append(replyQuote(m, ctx));
  if (m.pinned) body.append(h("p", { class: "pinned-by" }, `📌 Pinned by ${m.pinned_by || "someone"}`));
  if (m.text) {
    const text = h("div", { class: "msg-text" }, render(m.text, { mentions: m.mentions, everyone: m.mentions_everyone, me: ctx.me.username }));
    if (isEmojiOnly(m.text)) text.classList.add("emoji-only");
    body.append(text);
  }
  for (const a of m.attachments || []) body.append(attachment(a));
  if (!m.system && (m.reactions || []).length) {
    const chips = h("div", { class: "reactions", role: "group", "aria-label": "Reactions" });
    for (const r of m.reactions) {
      const users = r.users || [];
      const minePressed = users.some((u) => u === ctx.me.username);
      const chip = h(
        "button",
        { type: "button", class: "reaction", "aria-pressed": String(minePressed), title: users.join(", "), "aria-label": `${r.emoji} ${users.length}, by ${users.join(", ")}` },
        h("span", { class: "emoji" }, r.emoji),
        " ",
        String(users.length),
      );
      chip.addEventListener("click", () => ctx.onReact(m, r.emoji, !minePressed));
      chips.append(chip);
    }
    body.append(chips);
  }
  row.append(body);
  if (!m.system && !m.pending) {
    const acts = h("div", { class: "actions", role: "toolbar", "aria-label": "Message actions" });
    const editable = mine && !!m.text;
    if (editable) acts.append(actionButton("Edit", "✎", () => ctx.onEdit(m)));
    if (mine) acts.append(actionButton("Delete", "🗑", () => ctx.onDelete(m)));
    acts.append(actionButton("Reply", "↩", () => ctx.onReply(m)));
    acts.append(actionButton("Add reaction", "☺", (e) => ctx.onPickReaction(m, e.currentTarget)));
    acts.append(actionButton(m.pinned ? "Unpin" : "Pin to channel", "📌", () => ctx.onPin(m)));
    row.append(acts);
  }
  return row;
}

/** editor is the inline edit box (§5.7). */
export function editor(m, { onSave, onCancel }) {
  const ta = h("textarea", { class: "edit-box", "aria-label": "Edit message", rows: "3" });
  ta.value = m.text;
  const save = h("button", { type: "button", class: "btn primary" }, "Save");
  const cancel = h("button", { type: "button", class: "btn" }, "Cancel");
  save.addEventListener("click", () => onSave(ta.value));
  cancel.addEventListener("click", onCancel);
  ta.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      onSave(ta.value);
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      onCancel();
    }
  });
  const el = h("div", { class: "editor" }, ta, h("div", { class: "editor-row" }, cancel, save));
  return { el, ta };
}
