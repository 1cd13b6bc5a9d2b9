// Mention autocomplete (client.md §5.5): typing "@" and a few letters in
// the composer lists "everyone" and the conversation's members, fuzzy-
// ranked with the matched letters marked. The text area stays focused and
// points at the highlighted option with aria-activedescendant; ↑/↓ move
// (wrapping), Enter or Tab accept, Esc closes only the list.

import { h, id as uid } from "../lib/dom.js";
import { avatar } from "../lib/names.js";

const BLUR_CLOSE_MS = 100;
const MAX_SHOWN = 50;

/**
 * fuzzy matches query as a subsequence of text, case-insensitively:
 * {score, hits} (hits: matched indices) or null. Matches at the start, at
 * word starts and in runs score higher; an empty query matches with 0.
 */
export function fuzzy(query, text) {
  const q = String(query).toLowerCase();
  const t = String(text);
  const lower = t.toLowerCase();
  if (!q) return { score: 0, hits: [] };
  const hits = [];
  let score = 0;
  let from = 0;
  for (const ch of q) {
    const i = lower.indexOf(ch, from);
    if (i < 0) return null;
    score += 1;
    if (i === 0) score += 8;
    else if (/[\s_\-./]/.test(t[i - 1]) || (t[i] !== lower[i] && t[i - 1] === lower[i - 1])) score += 5;
    if (hits.length && hits[hits.length - 1] === i - 1) score += 3;
    hits.push(i);
    from = i + 1;
  }
  return { score: score - (t.length - q.length) * 0.01, hits };
}

/** marked draws text with the hit letters in <mark>. */
export function marked(text, hits) {
  const set = new Set(hits);
  const out = [];
  let run = "";
  [...text].forEach((ch, i) => {
    if (set.has(i)) {
      if (run) out.push(run);
      run = "";
      out.push(h("mark", null, ch));
    } else run += ch;
  });
  if (run) out.push(run);
  return out;
}

/** tokenAt finds the "@abc" being typed before the caret, or null. */
export function tokenAt(value, caret) {
  const m = /(^|\s)@([A-Za-z0-9_-]*)$/.exec(value.slice(0, caret));
  return m ? { start: caret - m[2].length - 1, query: m[2] } : null;
}

/**
 * mentionAutocomplete wires the list to the text area ta. members()
 * returns the candidate users in server order (you excluded); insert(
 * start, end, text) replaces that range of the text. Returns {el, onKey}:
 * el goes above the composer; onKey(e) is called first by the text area's
 * keydown and answers true when the list used the key.
 */
export function mentionAutocomplete(ta, { members, insert }) {
  const listId = uid("mentions");
  const el = h("ul", { id: listId, class: "mention-list", role: "listbox", "aria-label": "Mention someone", hidden: true });
  ta.setAttribute("aria-autocomplete", "list");
  ta.setAttribute("aria-controls", listId);
  let token = null;
  let items = []; // [{username, everyone, li}]
  let at = 0;
  let blurTimer = 0;

  function close() {
    token = null;
    items = [];
    el.hidden = true;
    el.replaceChildren();
    ta.removeAttribute("aria-activedescendant");
  }

  function highlight(i) {
    at = (i + items.length) % items.length;
    items.forEach((it, j) => it.li.setAttribute("aria-selected", String(j === at)));
    const li = items[at].li;
    ta.setAttribute("aria-activedescendant", li.id);
    li.scrollIntoView({ block: "nearest" });
  }

  function accept(i = at) {
    const it = items[i];
    if (!it || !token) return;
    const caret = ta.selectionStart;
    insert(token.start, caret, `@${it.username} `);
    close();
  }

  function check() {
    if (ta.selectionStart !== ta.selectionEnd || document.activeElement !== ta) return close();
    const t = tokenAt(ta.value, ta.selectionStart);
    if (!t) return close();
    token = t;
    const pool = [{ username: "everyone", everyone: true }, ...members()];
    let ranked = pool.map((u, i) => ({ u, i, m: fuzzy(t.query, u.username) })).filter((x) => x.m);
    if (t.query) ranked.sort((a, b) => b.m.score - a.m.score || a.i - b.i);
    ranked = ranked.slice(0, MAX_SHOWN);
    if (!ranked.length) return close();
    items = ranked.map(({ u, m }) => {
      const li = h(
        "li",
        { id: uid("mention-opt"), role: "option", class: u.everyone ? "mention-opt everyone" : "mention-opt", "aria-selected": "false" },
        u.everyone ? h("span", { class: "everyone-disc", "aria-hidden": "true" }, "@") : avatar(u, 22),
        h("span", { class: "mention-name" }, marked(u.username, m.hits)),
        u.everyone ? h("span", { class: "mention-hint" }, "Notify the whole channel") : null,
      );
      return { username: u.username, everyone: !!u.everyone, li };
    });
    el.replaceChildren(...items.map((it) => it.li));
    items.forEach((it, i) => {
      // The text area keeps focus: a press on an option must not take it.
      it.li.addEventListener("mousedown", (e) => e.preventDefault());
      it.li.addEventListener("click", () => accept(i));
    });
    el.hidden = false;
    highlight(0);
  }

  ta.addEventListener("input", check);
  ta.addEventListener("click", check);
  ta.addEventListener("keyup", (e) => {
    if (["ArrowLeft", "ArrowRight", "Home", "End"].includes(e.key)) check();
  });
  ta.addEventListener("focus", () => clearTimeout(blurTimer));
  ta.addEventListener("blur", () => {
    clearTimeout(blurTimer);
    blurTimer = setTimeout(close, BLUR_CLOSE_MS);
  });

  function onKey(e) {
    if (el.hidden || !items.length || e.isComposing) return false;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      highlight(at + (e.key === "ArrowDown" ? 1 : -1));
    } else if ((e.key === "Enter" || e.key === "Tab") && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey) {
      accept();
    } else if (e.key === "Escape") {
      close();
    } else return false;
    e.preventDefault();
    e.stopPropagation();
    return true;
  }

  return { el, onKey, close, get open() { return !el.hidden; } };
}
