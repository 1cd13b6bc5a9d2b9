// Dialogs (client.md §14): a native modal <dialog> (role dialog, modal,
// the rest of the page inert), an accessible name from its heading, focus
// moved inside on open (the requested field, else the "×"), Tab and
// Shift+Tab wrapped inside the top-most dialog, Esc and a backdrop click
// close it, and focus goes back to the opener on close.

import { h, focusables, id } from "../lib/dom.js";
import { icon } from "./icons.js";

const open = new Map(); // key → dialog handle
const stack = []; // open handles, top-most last

/** fallbackFocus is where focus goes when the opener has gone. */
let fallbackFocus = () => document.querySelector("[data-focus-fallback]");

export function setFallbackFocus(fn) {
  fallbackFocus = fn;
}

/**
 * openDialog shows a dialog; opening one that is open (same key) only
 * focuses it. content is a node or a list of nodes for the body; foot
 * an optional sticky button row; headStart and headEnd go before the
 * title and before the "×". Returns {el, body, close}.
 */
export function openDialog({ key, title, content, foot, headStart, headEnd, initialFocus, className = "", onClose }) {
  if (key && open.has(key)) {
    const d = open.get(key);
    d.focusFirst();
    return d;
  }
  const opener = document.activeElement;
  const titleId = id("dlg-title");
  const closeBtn = h("button", { type: "button", class: "icon-btn dlg-close", "aria-label": "Close" }, icon("close"));
  const body = h("div", { class: "dlg-body" }, content);
  const el = h(
    "dialog",
    { class: `dlg ${className}`.trim(), "aria-labelledby": titleId, "aria-modal": "true" },
    h("div", { class: "dlg-head" }, headStart, h("h2", { id: titleId }, title), headEnd, closeBtn),
    body,
    foot ? h("div", { class: "dlg-foot" }, foot) : null,
  );
  let closed = false;
  const handle = {
    el,
    body,
    close() {
      if (closed) return;
      closed = true;
      const hadFocus = el.contains(document.activeElement) || document.activeElement === document.body;
      el.close();
      el.remove();
      if (key) open.delete(key);
      stack.splice(stack.indexOf(handle), 1);
      if (hadFocus) {
        const target = opener && opener.isConnected && opener !== document.body ? opener : fallbackFocus();
        if (target) target.focus();
      }
      if (onClose) onClose();
    },
    focusFirst() {
      const want = typeof initialFocus === "function" ? initialFocus() : initialFocus;
      (want || closeBtn).focus();
    },
  };
  closeBtn.addEventListener("click", () => handle.close());
  // Esc: the native "cancel" event; close our way so focus returns.
  el.addEventListener("cancel", (e) => {
    e.preventDefault();
    handle.close();
  });
  // A click on the backdrop lands on the <dialog> itself, outside its box.
  el.addEventListener("click", (e) => {
    if (e.target !== el) return;
    const r = el.getBoundingClientRect();
    const inside = e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
    if (!inside) handle.close();
  });
  el.addEventListener("keydown", (e) => {
    if (e.key !== "Tab" || stack[stack.length - 1] !== handle) return;
    const items = focusables(el);
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    const inside = el.contains(document.activeElement);
    if (e.shiftKey && (document.activeElement === first || !inside)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (document.activeElement === last || !inside)) {
      e.preventDefault();
      first.focus();
    }
  });
  document.body.append(el);
  el.showModal();
  if (key) open.set(key, handle);
  stack.push(handle);
  handle.focusFirst();
  return handle;
}

/** closeAll closes every open dialog, top-most first (Esc in normal mode). */
export function closeAll() {
  for (const d of [...stack].reverse()) d.close();
}

/** isOpen reports whether any dialog is open. */
export function isOpen() {
  return stack.length > 0;
}
