// One message row (client.md §4.2–§4.14), built escape-first. The row
// carries its actions (§4.2) as real buttons, so they are reachable by
// keyboard and shown on hover or focus inside the row. The sender's name
// is a button that opens the profile card (§5.9); reaction chips are
// toggle buttons (§6.6); link and file previews fill in lazily (§4.11).

import { h } from "../lib/dom.js";
import { avatar, paintName } from "../lib/names.js";
import { render, isEmojiOnly, plainPreview } from "../lib/format.js";
import { openEmojiPicker, labelOf } from "./emoji.js";
import { attachHovercard } from "./hovercard.js";
import { firstLink, linkPreview, filePreview, previewableFile } from "./preview.js";

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const fullFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "numeric", minute: "2-digit", second: "2-digit",
});
const editedFormat = new Intl.DateTimeFormat("en-US", {
  month: "2-digit", day: "2-digit", year: "2-digit", hour: "2-digit", minute: "2-digit",
});
export const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric", year: "numeric" });

// File-type logos (Appendix D): a short tag drawn as a small badge.
const LOGO_BY_EXT = new Map(
  Object.entries({
    PY: "py pyw pyi", "C++": "cpp cxx cc hpp hh", C: "c h", CMAKE: "cmake", JS: "js mjs cjs", TS: "ts tsx",
    HTML: "html htm", CSS: "css", MD: "md markdown", SH: "sh bash zsh", RS: "rs", GO: "go", JAVA: "java",
    RB: "rb", PHP: "php", JSON: "json", YAML: "yml yaml", VHDL: "vhd vhdl v vh sv svh", GROOVY: "groovy",
    GRADLE: "gradle", MAKE: "mk make",
  }).flatMap(([tag, exts]) => exts.split(" ").map((e) => [e, tag])),
);

/** logoTag is the file-type tag of a file name ("" for other files). */
export function logoTag(name) {
  const n = String(name || "").toLowerCase();
  if (n.startsWith("jenkinsfile")) return "JENKINS";
  if (n.startsWith("makefile") || n === "gnumakefile") return "MAKE";
  if (n === "cmakelists.txt") return "CMAKE";
  if (n === "dockerfile") return "DOCKER";
  const dot = n.lastIndexOf(".");
  return dot > 0 ? LOGO_BY_EXT.get(n.slice(dot + 1)) || "" : "";
}

/** fileLogo draws the 22 px logo of a file by its name. */
export function fileLogo(name) {
  const tag = logoTag(name);
  return h("span", { class: tag ? "file-logo tagged" : "file-logo", "aria-hidden": "true", "data-kind": tag.toLowerCase() }, tag || "📄");
}

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

function attachment(a, previewFiles) {
  const url = safeFileURL(a.url);
  if (a.image) {
    if (a.deleted || !url) return h("p", { class: "file-deleted" }, "Image has been deleted due to configurable retention policy");
    const img = h("img", { src: url, alt: a.name || "image", loading: "lazy", class: "inline-image" });
    img.addEventListener("load", () => img.classList.add("loaded"));
    return h("a", { href: url, target: "_blank", rel: "noopener noreferrer", class: "image-link" }, img);
  }
  if (a.deleted || !url) return h("p", { class: "file-deleted" }, "File deleted");
  const card = h(
    "a",
    { href: url, download: a.name || "", class: "file-card" },
    fileLogo(a.name),
    h("span", { class: "file-name" }, a.name || "file"),
    h("span", { class: "file-size" }, sizeText(a.size)),
  );
  return previewFiles && previewableFile(a.name) ? filePreview({ ...a, url }, card) : card;
}

/**
 * pickReaction opens the reaction picker (§6.6) under button for m; the
 * row keeps its action row shown while the picker is open.
 */
export function pickReaction(m, button, ctx) {
  const row = button.closest(".msg");
  row?.classList.add("picking");
  openEmojiPicker(button, {
    kind: "reaction",
    onPick: (emoji) => ctx.onReact(m, emoji, true),
    onClose: () => row?.classList.remove("picking"),
  });
}

function reactionChips(m, ctx) {
  const list = Array.isArray(m.reactions) ? m.reactions : [];
  const chips = [];
  for (const r of list) {
    if (!r || typeof r.emoji !== "string" || !Array.isArray(r.users) || r.users.length === 0) continue;
    const users = r.users.map(String);
    const mine = users.includes(ctx.me.username);
    const who = users.join(", ");
    const name = labelOf(r.emoji) || r.emoji;
    const chip = h(
      "button",
      {
        type: "button",
        class: "reaction",
        "aria-pressed": String(mine),
        "data-who": who,
        "aria-label": `${name}: ${users.length}, by ${who}. ${mine ? "Remove your reaction" : "Add yours"}`,
      },
      h("span", { class: "emoji" }, r.emoji),
      " ",
      String(users.length),
    );
    chip.addEventListener("click", () => ctx.onReact(m, r.emoji, !mine));
    chips.push(chip);
  }
  return chips.length ? h("div", { class: "reactions", role: "group", "aria-label": "Reactions" }, chips) : null;
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
    const person = !m.system && !m.author_deleted && !m.pending;
    const pic = h("span", { class: "msg-avatar" }, avatar(user, 32));
    row.append(h("div", { class: "msg-gutter" }, pic));
    const name = person ? h("button", { type: "button", class: "msg-author" }, m.author) : h("span", { class: "msg-author" }, m.system ? "MiniMost" : m.author);
    if (!m.system) paintName(name, user);
    if (person) {
      attachHovercard(pic, m.author);
      attachHovercard(name, m.author);
    }
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
  // Only the first link is previewed; a message without one previews its text files (§4.11).
  const link = !m.system && !m.pending && m.text ? firstLink(m.text) : null;
  for (const a of m.attachments || []) body.append(attachment(a, !link && !m.pending));
  if (link) body.append(linkPreview(link));
  if (!m.system) {
    const chips = reactionChips(m, ctx);
    if (chips) body.append(chips);
  }
  row.append(body);
  if (!m.system && !m.pending) {
    const acts = h("div", { class: "actions", role: "toolbar", "aria-label": "Message actions" });
    const editable = mine && !!m.text;
    if (editable) acts.append(actionButton("Edit", "✎", () => ctx.onEdit(m)));
    if (mine) acts.append(actionButton("Delete", "🗑", () => ctx.onDelete(m)));
    acts.append(actionButton("Reply", "↩", () => ctx.onReply(m)));
    acts.append(actionButton("Add reaction", "☺", (e) => pickReaction(m, e.currentTarget, ctx)));
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
