// A username field with suggestions (client.md §6.1, §6.2, §6.3, §6.4):
// the name being typed (after the last comma, in a list field) is matched
// fuzzily against the accounts, letters highlighted. ↑/↓ move (wrapping),
// Tab or Enter take the highlighted (or first) suggestion, Esc closes only
// the list, a click picks. Enter with no list open is the field's submit.
// The input is an ARIA combobox whose list is a listbox.

import { h, id as uid, replace } from "../lib/dom.js";
import { rank, markPositions } from "./fuzzy.js";
import { userDot } from "./presence.js";

/**
 * userField wires suggestions to input. users() lists the candidates
 * ({username}); list: comma-separated names (picking appends ", ");
 * exclude() a set of lower-case names to leave out; max suggestions;
 * dots: show each user's presence mark; onSubmit: Enter without a list;
 * onPick(name) after a pick. Returns {el, input, close, names()}.
 */
export function userField(input, { users, list = false, exclude = () => new Set(), max = 8, dots = false, onSubmit, onPick } = {}) {
  const listId = uid("suggest");
  const box = h("ul", { class: "suggest", id: listId, role: "listbox", hidden: true, "aria-label": "Suggestions" });
  const el = h("div", { class: "userfield" }, input, box);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", listId);
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("autocomplete", "off");
  input.setAttribute("spellcheck", "false");
  let items = []; // [{name, li}]
  let active = -1;

  /** token is the part being typed: after the last comma in a list field. */
  function token() {
    const v = input.value;
    if (!list) return v.trim();
    return v.slice(v.lastIndexOf(",") + 1).trim();
  }

  /** names lists the names entered so far, trimmed, without blanks. */
  function names() {
    return input.value.split(",").map((s) => s.trim()).filter(Boolean);
  }

  function close() {
    box.hidden = true;
    items = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(i) {
    active = i;
    items.forEach((it, k) => it.li.setAttribute("aria-selected", String(k === i)));
    if (i >= 0) {
      input.setAttribute("aria-activedescendant", items[i].li.id);
      items[i].li.scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  }

  function pick(name) {
    if (list) {
      const v = input.value;
      const cut = v.lastIndexOf(",") + 1;
      input.value = `${v.slice(0, cut)}${cut ? " " : ""}${name}, `;
    } else input.value = name;
    close();
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
    if (onPick) onPick(name);
  }

  function suggest() {
    const q = token();
    if (!q) {
      close();
      return;
    }
    const taken = new Set([...exclude()].map((n) => n.toLowerCase()));
    if (list) for (const n of names().slice(0, -1)) taken.add(n.toLowerCase());
    const found = rank(users().filter((u) => !taken.has(u.username.toLowerCase())), q, (u) => u.username).slice(0, max);
    if (found.length === 0) {
      close();
      return;
    }
    items = found.map(({ item, positions }) => {
      const li = h(
        "li",
        { role: "option", id: uid("opt"), "aria-selected": "false", class: "suggestion" },
        dots ? userDot(item.username) : null,
        h("span", { class: "suggest-name" }, markPositions(item.username, positions)),
      );
      // mousedown, not click: the input keeps its focus.
      li.addEventListener("mousedown", (e) => {
        e.preventDefault();
        pick(item.username);
      });
      return { name: item.username, li };
    });
    replace(box, items.map((it) => it.li));
    box.hidden = false;
    input.setAttribute("aria-expanded", "true");
    highlight(0);
  }

  input.addEventListener("input", suggest);
  input.addEventListener("blur", () => setTimeout(() => document.activeElement !== input && close(), 0));
  input.addEventListener("keydown", (e) => {
    const open = !box.hidden && items.length > 0;
    if (open && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      e.preventDefault();
      const n = items.length;
      highlight(((active < 0 ? (e.key === "ArrowDown" ? -1 : 0) : active) + (e.key === "ArrowDown" ? 1 : -1) + n) % n);
    } else if (open && (e.key === "Enter" || (e.key === "Tab" && !e.shiftKey))) {
      e.preventDefault();
      pick(items[Math.max(0, active)].name);
    } else if (open && e.key === "Escape") {
      // Only the list closes, not the dialog around it.
      e.preventDefault();
      e.stopPropagation();
      close();
    } else if (e.key === "Enter" && !e.isComposing) {
      e.preventDefault();
      if (onSubmit) onSubmit();
    }
  });

  return { el, input, close, names };
}
