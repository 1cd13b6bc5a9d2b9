// Search (client.md §6.4): the top bar's box opens a panel with filters
// (From, Channel, After, Before) and the results. Searching is live, 250 ms
// after the last change, over everything you can read
// (GET /api/v1/search); the server's 50 newest matches are re-ranked by
// fuzzy score, drawn with the server's highlight ranges (UTF-16 offsets)
// as <mark> text nodes, and older matches are paged in on request.
// ↑/↓ pick a result, Enter opens it (its conversation, scrolled to the
// message, flashed), Esc closes the panel.

import { get, ApiError } from "../lib/api.js";
import { h, id as uid, replace } from "../lib/dom.js";
import { paintName } from "../lib/names.js";
import { icon } from "../ui/icons.js";
import { toast, toastError } from "../ui/toast.js";
import { nav, userList } from "./context.js";
import { fuzzy, markRanges } from "./fuzzy.js";
import { userField } from "./userfield.js";
import { label, prefix } from "./state.js";

const LIMIT = 50;
const DEBOUNCE_MS = 250;
const QUERY_MAX = 200;
const SNIPPET = 120;
const LEAD = 30;

/** whenFormat: "Jan 5, 03:05 PM" (§6.4). */
export const whenFormat = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

/** sidebarLabel names a conversation as the sidebar does ("# general"). */
export function sidebarLabel(c) {
  const pre = prefix(c);
  return pre ? `${pre} ${label(c)}` : label(c);
}

/**
 * snippet cuts about 120 characters of text around its first highlight
 * (30 before it), with "…" at cut ends, and shifts the ranges to match.
 */
export function snippet(text, ranges) {
  const flat = text.replace(/[\r\n\t]/g, " ");
  let start = ranges.length ? Math.max(0, ranges[0][0] - LEAD) : 0;
  let end = Math.min(flat.length, start + SNIPPET);
  // Never cut a surrogate pair in half.
  if (start > 0 && /[\uDC00-\uDFFF]/.test(flat[start])) start--;
  if (end < flat.length && /[\uD800-\uDBFF]/.test(flat[end - 1])) end++;
  const cut = flat.slice(start, end);
  const shifted = ranges
    .map(([s, e]) => [Math.max(0, s - start), Math.min(cut.length, e - start)])
    .filter(([s, e]) => e > s);
  const nodes = markRanges(cut, shifted);
  if (start > 0) nodes.unshift("…");
  if (end < flat.length) nodes.push("…");
  return nodes;
}

/** dayStart is local midnight of a yyyy-mm-dd date input's value, in ms. */
function dayStart(value, plusDays = 0) {
  const [y, m, d] = value.split("-").map(Number);
  return new Date(y, m - 1, d + plusDays).getTime();
}

let instance = null;

/** focusSearch opens the panel with every field cleared (`/` and `f`, §11). */
export function focusSearch() {
  instance?.focusCleared();
}

/** searchBox builds the top bar's search component. */
export function searchBox() {
  const panelId = uid("search-panel");
  const listId = uid("search-results");
  const input = h("input", {
    type: "search",
    class: "search-input",
    placeholder: "Search messages…",
    "aria-label": "Search messages",
    maxlength: String(QUERY_MAX),
    role: "combobox",
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": listId,
    autocomplete: "off",
    spellcheck: "false",
  });
  const fromId = uid("search-from");
  const from = h("input", { type: "text", id: fromId, class: "search-from", placeholder: "Anyone" });
  const fromField = userField(from, { users: userList, onSubmit: () => openActive(), onPick: () => schedule() });
  const chanId = uid("search-channel");
  const channel = h("select", { id: chanId, class: "search-channel" });
  const afterId = uid("search-after");
  const after = h("input", { type: "date", id: afterId, class: "search-after" });
  const beforeId = uid("search-before");
  const before = h("input", { type: "date", id: beforeId, class: "search-before" });
  const results = h("ul", { class: "search-results", id: listId, role: "listbox", "aria-label": "Search results" });
  const status = h("p", { class: "search-status", role: "status", "aria-live": "polite" });
  const more = h("button", { type: "button", class: "btn search-more", hidden: true }, "Show older results");
  const filters = h(
    "div",
    { class: "search-filters" },
    h("div", { class: "search-filter" }, h("label", { for: fromId }, "From"), fromField.el),
    h("div", { class: "search-filter" }, h("label", { for: chanId }, "Channel"), channel),
    h("div", { class: "search-filter" }, h("label", { for: afterId }, "After"), after),
    h("div", { class: "search-filter" }, h("label", { for: beforeId }, "Before"), before),
  );
  const panel = h("div", { class: "search-panel", id: panelId, hidden: true, role: "region", "aria-label": "Search" }, filters, status, results, more);
  const box = h("div", { class: "search-box" }, icon("search"), input);
  const el = h("div", { class: "search" }, box, panel);

  let shown = []; // [{message, highlights, li}]
  let held = new Map(); // id → result, every page fetched for this query
  let active = -1;
  let timer = 0;
  let ticket = 0;
  let lastFull = false;
  let controller = null;

  function fillChannels() {
    const keep = channel.value;
    const groups = nav.state ? nav.state.byKind() : { public: [], private: [], dm: [] };
    const opts = [h("option", { value: "" }, "All channels")];
    for (const c of [...groups.public, ...groups.private, ...groups.dm]) opts.push(h("option", { value: String(c.id) }, sidebarLabel(c)));
    replace(channel, opts);
    channel.value = [...channel.options].some((o) => o.value === keep) ? keep : "";
  }

  function place() {
    const r = box.getBoundingClientRect();
    const w = Math.min(600, window.innerWidth * 0.92);
    const left = Math.min(Math.max(8, r.left + r.width / 2 - w / 2), window.innerWidth - w - 8);
    panel.style.setProperty("top", `${Math.round(r.bottom + 6)}px`);
    panel.style.setProperty("left", `${Math.round(Math.max(8, left))}px`);
    panel.style.setProperty("width", `${Math.round(w)}px`);
  }

  function open() {
    if (!panel.hidden) return;
    fillChannels();
    place();
    panel.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function close() {
    if (panel.hidden) return;
    panel.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    fromField.close();
  }

  function params(extraBefore) {
    const q = input.value.trim().slice(0, QUERY_MAX);
    const p = new URLSearchParams();
    p.set("q", q);
    if (channel.value) p.set("channel_id", channel.value);
    if (from.value.trim()) p.set("from", from.value.trim());
    if (after.value) p.set("after", String(dayStart(after.value)));
    let b = before.value ? dayStart(before.value, 1) : 0;
    if (extraBefore && (!b || extraBefore < b)) b = extraBefore;
    if (b) p.set("before", String(b));
    p.set("limit", String(LIMIT));
    const empty = !q && !channel.value && !from.value.trim() && !after.value && !before.value;
    return { p, q, empty };
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(() => run(), DEBOUNCE_MS);
  }

  async function run(older = false) {
    const { q, empty } = params();
    if (empty) {
      ticket++;
      controller?.abort();
      held = new Map();
      draw("");
      return;
    }
    let extra = 0;
    if (older && held.size) extra = Math.min(...[...held.values()].map((r) => r.message.created_at)) + 1;
    const { p } = params(extra);
    const t = ++ticket;
    controller?.abort();
    controller = new AbortController();
    if (!older) status.textContent = "Searching…";
    try {
      const ans = await get(`/api/v1/search?${p}`, { signal: controller.signal });
      if (t !== ticket) return;
      const page = Array.isArray(ans && ans.results) ? ans.results : [];
      if (!older) held = new Map();
      let added = 0;
      for (const r of page) {
        if (!r || !r.message || held.has(r.message.id)) continue;
        held.set(r.message.id, r);
        added++;
      }
      lastFull = page.length >= LIMIT && added > 0;
      draw(q, older);
    } catch (err) {
      if (t !== ticket || (err && err.name === "AbortError")) return;
      if (err instanceof ApiError && err.handled) return;
      status.textContent = err instanceof ApiError && err.status === 404 ? "No matching messages" : "Search failed. Please try again.";
      if (!(err instanceof ApiError && err.status === 404)) toastError(err, "Search failed.");
    }
  }

  function row(r, i) {
    const m = r.message;
    const c = nav.state.channels.get(m.channel_id);
    const highlights = (Array.isArray(r.highlights) ? r.highlights : []).filter((x) => Array.isArray(x) && x.length === 2);
    const li = h(
      "li",
      { role: "option", id: `${listId}-${i}`, class: "search-result", "aria-selected": "false", "data-id": String(m.id) },
      h(
        "div",
        { class: "result-meta" },
        h("span", { class: "result-channel" }, c ? sidebarLabel(c) : "Conversation"),
        " · ",
        h("time", { datetime: new Date(m.created_at).toISOString() }, whenFormat.format(new Date(m.created_at))),
        " · ",
        paintName(h("strong", { class: "result-author" }, m.author), nav.users.get(m.author) || { username: m.author }, "--surface"),
      ),
      h("div", { class: "result-text" }, m.text ? snippet(m.text, highlights) : "📎 attachment"),
    );
    li.addEventListener("mousedown", (e) => e.preventDefault());
    li.addEventListener("click", () => openResult(m));
    return li;
  }

  function draw(q, keepActive = false) {
    let list = [...held.values()];
    if (q) {
      // Re-rank by fuzzy score; newest first among equals (§6.4).
      list = list
        .map((r, i) => ({ r, i, m: fuzzy(q, r.message.text || "") }))
        .filter((x) => x.m)
        .sort((a, b) => b.m.score - a.m.score || a.i - b.i)
        .map((x) => x.r);
    }
    const prevId = keepActive && shown[active] ? shown[active].message.id : null;
    shown = list.map((r, i) => ({ ...r, li: row(r, i) }));
    replace(results, shown.map((s) => s.li));
    const empty = !q && held.size === 0 && params().empty;
    status.textContent = empty ? "" : shown.length ? `${shown.length} result${shown.length === 1 ? "" : "s"}` : "No matching messages";
    status.classList.toggle("visually-hidden", shown.length > 0);
    more.hidden = !lastFull || shown.length === 0;
    const again = prevId == null ? -1 : shown.findIndex((s) => s.message.id === prevId);
    highlight(again >= 0 ? again : shown.length ? 0 : -1);
  }

  function highlight(i) {
    active = i;
    shown.forEach((s, k) => s.li.setAttribute("aria-selected", String(k === i)));
    if (i >= 0 && shown[i]) {
      input.setAttribute("aria-activedescendant", shown[i].li.id);
      shown[i].li.scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  }

  async function openResult(m) {
    close();
    input.blur();
    const ok = await nav.conv.jump(m.channel_id, m.id);
    if (!ok) toast("Couldn't reach that message — it may have been deleted.");
  }

  function openActive() {
    if (active >= 0 && shown[active]) openResult(shown[active].message);
  }

  function keys(e) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!shown.length) return;
      e.preventDefault();
      open();
      const n = shown.length;
      highlight((Math.max(active, e.key === "ArrowDown" ? -1 : 0) + (e.key === "ArrowDown" ? 1 : -1) + n) % n);
    } else if (e.key === "Enter" && !e.isComposing) {
      e.preventDefault();
      if (panel.hidden) open();
      else openActive();
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      if (!panel.hidden) close();
      else input.blur();
    }
  }

  input.addEventListener("focus", open);
  from.addEventListener("focus", open);
  input.addEventListener("input", () => {
    open();
    schedule();
  });
  input.addEventListener("keydown", keys);
  from.addEventListener("input", schedule);
  // The From field's own list takes the keys while it is open.
  from.addEventListener("keydown", (e) => {
    if (e.defaultPrevented) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp" || e.key === "Escape") keys(e);
  });
  for (const f of [channel, after, before]) f.addEventListener("change", schedule);
  panel.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !e.defaultPrevented) {
      e.preventDefault();
      close();
      input.focus();
    }
  });
  more.addEventListener("click", () => run(true));
  document.addEventListener("mousedown", (e) => {
    if (!panel.hidden && !el.contains(e.target)) close();
  });
  el.addEventListener("focusout", (e) => {
    if (!panel.hidden && e.relatedTarget && !el.contains(e.relatedTarget)) close();
  });
  window.addEventListener("resize", () => {
    if (!panel.hidden) place();
  });

  instance = {
    focusCleared() {
      input.value = "";
      from.value = "";
      channel.value = "";
      after.value = "";
      before.value = "";
      held = new Map();
      ticket++;
      draw("");
      input.focus();
      open();
    },
  };
  return { el, input, focus: () => instance.focusCleared(), close };
}
