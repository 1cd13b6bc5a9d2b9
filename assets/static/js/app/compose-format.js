// Formatting helpers (client.md §5.4): wrapping the selection in markers,
// the Ctrl+B/I/U/S shortcuts of every text field, and the code-block
// language picker. Text changes go through the browser's editing command
// where it exists, so they land on the field's undo stack and fire input.

import { h, id as uid } from "../lib/dom.js";
import { fuzzy, marked } from "./autocomplete.js";

/** MARKERS are the wrapping pairs of the four styles. */
export const MARKERS = { bold: "**", italic: "*", underline: "__", strike: "~~" };
const KEYS = { b: "bold", i: "italic", u: "underline", s: "strike" };

/** replaceRange puts text over field's [start, end) and fires input. */
export function replaceRange(field, start, end, text) {
  field.focus();
  field.setSelectionRange(start, end);
  // execCommand keeps the change undoable; where it is gone, do it by hand.
  if (!document.execCommand("insertText", false, text)) {
    field.setRangeText(text, start, end, "end");
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }
}

/**
 * wrapSelection wraps the selection in marker and keeps it selected; with
 * no selection it inserts the pair and puts the caret between them.
 */
export function wrapSelection(field, marker) {
  const { selectionStart: s, selectionEnd: e, value } = field;
  const sel = value.slice(s, e);
  replaceRange(field, s, e, marker + sel + marker);
  field.setSelectionRange(s + marker.length, s + marker.length + sel.length);
}

/** insertFence puts ```lang and ``` on their own lines around the selection. */
export function insertFence(field, lang) {
  const { selectionStart: s, selectionEnd: e, value } = field;
  const sel = value.slice(s, e);
  const before = s > 0 && value[s - 1] !== "\n" ? "\n" : "";
  const after = e < value.length && value[e] !== "\n" ? "\n" : "";
  const open = `${before}\`\`\`${lang}\n`;
  replaceRange(field, s, e, `${open}${sel}\n\`\`\`${after}`);
  const caret = s + open.length + sel.length;
  field.setSelectionRange(caret, caret);
}

function isTextField(el) {
  if (!el) return false;
  if (el.tagName === "TEXTAREA") return !el.readOnly;
  return el.tagName === "INPUT" && ["text", "search", ""].includes(el.getAttribute("type") || "") && !el.readOnly;
}

let keysInstalled = false;
/** installFormatKeys makes Ctrl/Cmd+B, I, U, S wrap the selection in any text field. */
export function installFormatKeys() {
  if (keysInstalled) return;
  keysInstalled = true;
  document.addEventListener("keydown", (e) => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey || e.isComposing) return;
    const style = KEYS[e.key.toLowerCase()];
    if (!style || !isTextField(e.target)) return;
    e.preventDefault();
    wrapSelection(e.target, MARKERS[style]);
  });
}

/** LANGUAGES are the code-block picker's entries: [label, fence tag]. */
export const LANGUAGES = [
  ["Plain text", ""], ["Python", "python"], ["JavaScript", "javascript"], ["TypeScript", "typescript"],
  ["C", "c"], ["C++", "cpp"], ["Java", "java"], ["Go", "go"], ["Rust", "rust"], ["Bash / Shell", "bash"],
  ["Makefile", "makefile"], ["CMake", "cmake"], ["Groovy", "groovy"], ["VHDL", "vhdl"], ["Verilog", "verilog"],
  ["HTML", "html"], ["XML", "xml"], ["JSON", "json"],
];

/**
 * codePicker builds the language picker for button; onPick(tag, byEnter) inserts,
 * onDone() gives focus back to the composer. Returns {el, toggle, close}.
 */
export function codePicker(button, { onPick, onDone }) {
  const listId = uid("langs");
  const search = h("input", {
    type: "search", class: "code-picker-search", placeholder: "Search language…", "aria-label": "Search language",
    autocomplete: "off", spellcheck: "false", "aria-autocomplete": "list", "aria-controls": listId,
  });
  const list = h("ul", { id: listId, class: "code-picker-list", role: "listbox", "aria-label": "Languages" });
  const el = h("div", { class: "code-picker", role: "dialog", "aria-label": "Code block", hidden: true }, search, list);
  let shown = [];
  let at = 0;

  function draw() {
    const q = search.value.trim();
    let ranked = LANGUAGES.map(([label, tag], i) => ({ label, tag, i, m: fuzzy(q, label) })).filter((x) => x.m);
    if (q) ranked.sort((a, b) => b.m.score - a.m.score || a.i - b.i);
    shown = ranked;
    at = 0;
    list.replaceChildren(
      ...ranked.map((x, i) => {
        const li = h("li", { id: uid("lang"), role: "option", class: "code-picker-opt", "aria-selected": String(i === 0) }, marked(x.label, x.m.hits));
        li.addEventListener("mousedown", (e) => e.preventDefault());
        li.addEventListener("click", () => pick(i));
        return li;
      }),
    );
    mark();
  }

  function mark() {
    [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === at)));
    const li = list.children[at];
    if (li) {
      search.setAttribute("aria-activedescendant", li.id);
      li.scrollIntoView({ block: "nearest" });
    } else search.removeAttribute("aria-activedescendant");
  }

  function pick(i, byEnter = false) {
    const x = shown[i];
    if (!x) return;
    close(false);
    onPick(x.tag, byEnter);
  }

  function close(refocus = true) {
    if (el.hidden) return;
    el.hidden = true;
    button.setAttribute("aria-expanded", "false");
    document.removeEventListener("pointerdown", outside, true);
    if (refocus) onDone();
  }

  function outside(e) {
    if (!el.contains(e.target) && !button.contains(e.target)) close(false);
  }

  function toggle() {
    if (!el.hidden) return close();
    search.value = "";
    draw();
    el.hidden = false;
    button.setAttribute("aria-expanded", "true");
    document.addEventListener("pointerdown", outside, true);
    search.focus();
  }

  search.addEventListener("input", draw);
  search.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (shown.length) {
        at = (at + (e.key === "ArrowDown" ? 1 : -1) + shown.length) % shown.length;
        mark();
      }
    } else if ((e.key === "Enter" || e.key === "Tab") && !e.shiftKey) {
      e.preventDefault();
      pick(at, e.key === "Enter");
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      close();
    }
  });
  el.addEventListener("focusout", (e) => {
    if (e.relatedTarget && !el.contains(e.relatedTarget)) close(false);
  });
  button.setAttribute("aria-haspopup", "dialog");
  button.setAttribute("aria-expanded", "false");
  return { el, toggle, close };
}
