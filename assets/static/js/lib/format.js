// Message text to DOM (client.md §4.6–§4.8), escape-first: the text is
// only ever split into strings that become text nodes; markup comes from
// element constructors. Code blocks and inline code are literal; links
// are atomic; emphasis applies between them (bold, underline, strike,
// italic, non-greedy, across lines); mentions pill inside plain runs.

import { h } from "./dom.js";

const fence = /```([A-Za-z0-9_+#.-]*)[ \t]*\n?([\s\S]*?)\n?```/g;
const inlineCode = /`([^`\n]+)`/g;
const urlStart = /(?:https?:\/\/|www\.)[^\s<]+/gi;
const emphasis = [
  [/\*\*([\s\S]+?)\*\*/, "strong"],
  [/__([\s\S]+?)__/, "u"],
  [/~~([\s\S]+?)~~/, "s"],
  [/\*([\s\S]+?)\*/, "em"],
];

/** trimURL drops trailing punctuation and unbalanced closing brackets (§4.7). */
export function trimURL(u) {
  const pairs = { ")": "(", "]": "[", "}": "{" };
  for (;;) {
    const last = u.slice(-1);
    if (".,:;!?".includes(last) && u.length > 1) {
      u = u.slice(0, -1);
      continue;
    }
    const open = pairs[last];
    if (open) {
      const opens = u.split(open).length - 1;
      const closes = u.split(last).length - 1;
      if (closes > opens) {
        u = u.slice(0, -1);
        continue;
      }
    }
    return u;
  }
}

/** hrefOf gives a link's target: www. links go to https (§4.7). */
export function hrefOf(u) {
  if (/^www\./i.test(u)) {
    const scheme = "https:";
    return `${scheme}//${u}`;
  }
  return u;
}

function link(u) {
  return h("a", { href: hrefOf(u), target: "_blank", rel: "noopener noreferrer nofollow" }, u);
}

/** mentionsIn builds text with @name pills for names the server listed. */
function mentionsIn(text, ctx) {
  if (!ctx.names.size && !ctx.everyone) return [text];
  const out = [];
  const re = /(^|[^A-Za-z0-9_@/])@([A-Za-z0-9_-]+)/g;
  let last = 0;
  let m;
  while ((m = re.exec(text))) {
    const key = m[2].toLowerCase();
    const isEveryone = key === "everyone" && ctx.everyone;
    const canonical = ctx.names.get(key);
    if (!isEveryone && !canonical) continue;
    const at = m.index + m[1].length;
    if (at > last) out.push(text.slice(last, at));
    const name = isEveryone ? "everyone" : canonical;
    const self = isEveryone || (ctx.me && key === ctx.me.toLowerCase());
    out.push(h("span", { class: self ? "mention self" : "mention" }, `@${name}`));
    last = at + 1 + m[2].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function emphasize(text, ctx, from = 0) {
  for (let i = from; i < emphasis.length; i++) {
    const [re, tag] = emphasis[i];
    const m = re.exec(text);
    if (!m) continue;
    return [
      ...emphasize(text.slice(0, m.index), ctx, i),
      h(tag, null, emphasize(m[1], ctx, 0)),
      ...emphasize(text.slice(m.index + m[0].length), ctx, i),
    ];
  }
  return mentionsIn(text, ctx);
}

function linked(text, ctx) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(urlStart)) {
    const u = trimURL(m[0]);
    if (/^(?:https?:\/\/|www\.)$/i.test(u)) continue;
    if (m.index > last) out.push(...emphasize(text.slice(last, m.index), ctx));
    out.push(link(u));
    last = m.index + u.length;
  }
  if (last < text.length) out.push(...emphasize(text.slice(last), ctx));
  return out;
}

function inline(text, ctx) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(inlineCode)) {
    if (m.index > last) out.push(...linked(text.slice(last, m.index), ctx));
    out.push(h("code", { class: "inline-code" }, m[1]));
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(...linked(text.slice(last), ctx));
  return out;
}

function codeBlock(lang, body) {
  const copy = h("button", { type: "button", class: "code-copy" }, "Copy");
  copy.addEventListener("click", () => {
    navigator.clipboard?.writeText(body).then(() => {
      copy.textContent = "Copied!";
      setTimeout(() => (copy.textContent = "Copy"), 2000);
    }, () => {});
  });
  return h(
    "div",
    { class: "code-block" },
    h("div", { class: "code-head" }, h("span", { class: "code-lang" }, lang), copy),
    h("pre", { tabindex: "0" }, h("code", null, body.slice(0, 50000))),
  );
}

const emojiOnly = /^(?:\p{Extended_Pictographic}|\p{Regional_Indicator}|\p{Emoji_Modifier}|\u200d|\ufe0f|\u20e3|\s)+$/u;

/** isEmojiOnly: the message is emoji and whitespace only (shown large). */
export function isEmojiOnly(text) {
  return emojiOnly.test(text) && /\p{Extended_Pictographic}|\p{Regional_Indicator}/u.test(text);
}

/**
 * render turns message text into nodes. opts: mentions (names the server
 * says are mentioned), everyone (mentions_everyone), me (your username).
 */
export function render(text, opts = {}) {
  const ctx = {
    names: new Map((opts.mentions || []).map((n) => [String(n).toLowerCase(), String(n)])),
    everyone: !!opts.everyone,
    me: opts.me || "",
  };
  const src = String(text ?? "").replace(/\r\n?/g, "\n");
  const out = [];
  let last = 0;
  for (const m of src.matchAll(fence)) {
    if (m.index > last) out.push(...inline(src.slice(last, m.index).replace(/\n$/, ""), ctx));
    out.push(codeBlock(m[1], m[2]));
    last = m.index + m[0].length;
    if (src[last] === "\n") last++;
  }
  if (last < src.length) out.push(...inline(src.slice(last), ctx));
  return out;
}

/** plainPreview strips markers and fences and collapses whitespace (§4.9). */
export function plainPreview(text, n) {
  const s = String(text ?? "")
    .replace(/```[A-Za-z0-9_+#.-]*/g, "")
    .replace(/\*\*|__|~~|[*`]/g, "")
    .replace(/\s+/g, " ")
    .trim();
  return [...s].length > n ? [...s].slice(0, n).join("") + "…" : s;
}
