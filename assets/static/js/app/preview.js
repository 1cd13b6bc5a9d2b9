// Link and file previews (client.md §4.11): the first link of a message
// gets a card from GET /api/v1/link-preview; an uploaded text or source
// file gets a code card from its own bytes. Both load when the row comes
// within 300 px of the visible part of the list, once per URL for the life
// of the page (rows are rebuilt on every edit or reaction; the answers are
// kept). Everything the server or the file says becomes text nodes; the
// only image shown is a data: image the server made or a same-origin one.

import { get } from "../lib/api.js";
import { h } from "../lib/dom.js";
import { trimURL, hrefOf, highlight, languageOf } from "../lib/format.js";

const MAX_LINES = 1000;
const MAX_FILE_BYTES = 1024 * 1024; // bigger uploads keep only their download card
const BOTTOM_PX = 120;

const PREVIEWABLE = new Set(
  ("c cc cpp cxx h hpp py pyw js mjs cjs jsx ts tsx java kt scala rs go rb php pl lua sh bash zsh fish cmake mk make " +
    "groovy gradle vhd vhdl v vh sv svh xml xsl xslt xsd svg html htm css scss sass less json yaml yml toml ini cfg conf " +
    "txt md rst csv sql r swift m ex exs erl tf hcl proto").split(" "),
);

/** previewableFile: an uploaded file that gets a code preview (Appendix D). */
export function previewableFile(name) {
  const n = String(name || "").toLowerCase();
  if (n.startsWith("jenkinsfile") || n.startsWith("makefile") || n === "gnumakefile") return true;
  const dot = n.lastIndexOf(".");
  return dot > 0 && PREVIEWABLE.has(n.slice(dot + 1));
}

/**
 * firstLink is the target of the first link of a message's text (outside
 * code), as the text renders it (§4.7), or null.
 */
export function firstLink(text) {
  const plain = String(text || "")
    .replace(/```[\s\S]*?```/g, " ")
    .replace(/`[^`\n]+`/g, " ");
  for (const m of plain.matchAll(/(?:https?:\/\/|www\.)[^\s<]+/gi)) {
    const u = trimURL(m[0]);
    if (m.index > 0 && /[\w@/]/.test(plain[m.index - 1])) continue;
    if (!/^(?:https?:\/\/|www\.)$/i.test(u)) return hrefOf(u);
  }
  return null;
}

// Answers by URL: "done" ones draw at once when a row is rebuilt.
const answers = new Map(); // url → preview object or null
const inflight = new Map(); // url → Promise

function fetchOnce(key, load) {
  if (answers.has(key)) return Promise.resolve(answers.get(key));
  if (!inflight.has(key)) {
    inflight.set(
      key,
      load()
        .catch(() => null)
        .then((v) => {
          answers.set(key, v);
          inflight.delete(key);
          return v;
        }),
    );
  }
  return inflight.get(key);
}

const observers = new Map(); // scroll root → IntersectionObserver

/** whenNear runs fn once el comes within 300 px of its list's view. */
function whenNear(el, fn, tries = 0) {
  if (!el.isConnected) {
    // Rows are attached right after they are built; a row that never is
    // (replaced at once) is dropped after a few tries.
    if (tries < 20) setTimeout(() => whenNear(el, fn, tries + 1), 50);
    return;
  }
  const root = el.closest(".message-list");
  let io = observers.get(root);
  if (!io) {
    io = new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          if (!e.isIntersecting) continue;
          io.unobserve(e.target);
          const run = e.target._whenNear;
          e.target._whenNear = null;
          run?.();
        }
      },
      { root, rootMargin: "300px 0px" },
    );
    observers.set(root, io);
  }
  el._whenNear = fn;
  io.observe(el);
}

/** fill puts a card into its slot, keeping a list that sat at the bottom there. */
function fill(slot, card) {
  if (!card) return;
  const list = slot.closest(".message-list");
  const atBottom = list && list.scrollHeight - list.scrollTop - list.clientHeight < BOTTOM_PX;
  slot.replaceChildren(card);
  if (atBottom) list.scrollTop = list.scrollHeight;
  const hl = card.querySelector(".code-line.hl");
  const body = card.querySelector(".code-preview-body");
  if (hl && body) body.scrollTop = Math.max(0, hl.offsetTop - body.clientHeight / 2);
}

function safeImage(u) {
  if (typeof u !== "string") return null;
  if (/^data:image\/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$/.test(u)) return u;
  return u.startsWith("/api/v1/") ? u : null;
}

function rangeText(start, end) {
  if (!(start > 0)) return "";
  return end > start ? ` · lines ${start}–${end}` : ` · line ${start}`;
}

/** splitLines cuts highlighted nodes at newlines, keeping each token's class. */
function splitLines(nodes) {
  const lines = [[]];
  for (const n of nodes) {
    const text = typeof n === "string" ? n : n.textContent;
    const parts = text.split("\n");
    parts.forEach((p, i) => {
      if (i > 0) lines.push([]);
      if (p) lines[lines.length - 1].push(typeof n === "string" ? p : h("span", { class: n.className }, p));
    });
  }
  return lines;
}

/** codeCard: a header, then numbered, highlighted lines (§4.11). */
function codeCard(head, text, lang, start, end, label) {
  let src = String(text).replace(/\r\n?/g, "\n");
  if (src.endsWith("\n")) src = src.slice(0, -1);
  const lines = splitLines(highlight(src, lang)).slice(0, MAX_LINES);
  const body = h(
    "div",
    { class: "code-preview-body", tabindex: "0", role: "region", "aria-label": label },
    lines.map((parts, i) => {
      const n = i + 1;
      const hl = start > 0 && n >= start && n <= Math.max(start, end);
      return h("div", { class: hl ? "code-line hl" : "code-line" }, h("span", { class: "ln", "aria-hidden": "true" }, String(n)), h("span", { class: "code-src" }, parts.length ? parts : " "));
    }),
  );
  return h("div", { class: "code-preview" }, h("div", { class: "code-preview-head" }, head), body);
}

function linkCard(url, p) {
  if (!p || typeof p !== "object") return null;
  const code = p.code && typeof p.code === "object" && typeof p.code.text === "string" ? p.code : null;
  if (code) {
    const path = String(code.path || url);
    const start = Number(code.line_start) || 0;
    const end = Number(code.line_end) || 0;
    const head = [h("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow", class: "code-preview-path" }, path), rangeText(start, end)];
    return codeCard(head, code.text, languageOf(path), start, end, `Preview of ${path}`);
  }
  const title = typeof p.title === "string" ? p.title.trim() : "";
  if (!title) return null;
  const site = typeof p.site_name === "string" ? p.site_name.trim() : "";
  const desc = typeof p.description === "string" ? p.description.trim() : "";
  const img = safeImage(p.image);
  return h(
    "div",
    { class: "link-preview" },
    img ? h("img", { class: "link-preview-image", src: img, alt: "", width: "80", height: "60", loading: "lazy" }) : null,
    h(
      "div",
      { class: "link-preview-main" },
      site ? h("div", { class: "link-preview-site" }, site) : null,
      h("a", { class: "link-preview-title", href: url, target: "_blank", rel: "noopener noreferrer nofollow" }, title),
      desc ? h("div", { class: "link-preview-desc" }, desc) : null,
    ),
  );
}

/** linkPreview is the slot of a message's link card; it fills itself. */
export function linkPreview(url) {
  const slot = h("div", { class: "preview-slot" });
  const key = `link ${url}`;
  if (answers.has(key)) {
    const card = linkCard(url, answers.get(key));
    if (card) slot.append(card);
    return slot;
  }
  whenNear(slot, () => {
    fetchOnce(key, () => get(`/api/v1/link-preview?url=${encodeURIComponent(url)}`)).then((p) => fill(slot, linkCard(url, p)));
  });
  return slot;
}

async function fileText(url) {
  const res = await fetch(url, { credentials: "same-origin" });
  if (!res.ok) return null;
  return res.text();
}

/**
 * filePreview shows a text file as a code card whose header is its
 * download card; until the text is in (or if it never comes) the card
 * alone is shown, so the file appears once either way.
 */
export function filePreview(a, card) {
  const slot = h("div", { class: "preview-slot file-preview" }, card);
  if (!(a.size <= MAX_FILE_BYTES)) return slot;
  const key = `file ${a.url}`;
  const draw = (text) => {
    if (typeof text === "string") fill(slot, codeCard(card, text, languageOf(a.name), 0, 0, `Preview of ${a.name}`));
  };
  if (answers.has(key)) draw(answers.get(key));
  else whenNear(slot, () => fetchOnce(key, () => fileText(a.url)).then(draw));
  return slot;
}
