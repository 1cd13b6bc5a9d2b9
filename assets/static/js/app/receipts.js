// Read receipts (client.md §4.12): on your own messages, a marker after
// the text turns into a blue "✓" once someone else's read position has
// reached the message; it names who ("Read by: alice, bob") on hover and,
// being focusable, on keyboard focus too (the original's tooltip was
// hover-only). Positions come from GET /channels/{id}/read-receipts and
// only move forward with read.updated.

import { h } from "../lib/dom.js";

/** readReceipts holds the open conversation's read positions of others. */
export function readReceipts(state) {
  let positions = new Map(); // username → last read message id

  const isMe = (name) => String(name).toLowerCase() === state.me.username.toLowerCase();

  return {
    /** reset replaces the positions with a read-receipts answer. */
    reset(map) {
      positions = new Map();
      for (const [name, id] of Object.entries(map && typeof map === "object" ? map : {})) {
        if (!isMe(name) && Number.isFinite(Number(id))) positions.set(name, Number(id));
      }
    },

    /** advance applies read.updated; true when a position moved. */
    advance(name, id) {
      const n = Number(id);
      if (isMe(name) || !Number.isFinite(n) || n <= (positions.get(name) ?? 0)) return false;
      positions.set(name, n);
      return true;
    },

    /** readers lists, sorted, who has read up to message id. */
    readers(id) {
      return [...positions].filter(([, at]) => at >= id).map(([name]) => name).sort((a, b) => a.localeCompare(b));
    },

    /** mark draws (or updates) the marker of your own message m in row. */
    mark(row, m) {
      if (m.pending || m.system || m.author !== state.me.username) return;
      const body = row.querySelector(".msg-body");
      if (!body) return;
      let el = body.querySelector(":scope > .receipt");
      if (!el) {
        el = h("span", { class: "receipt" }, "✓");
        const text = body.querySelector(":scope > .msg-text");
        const chips = body.querySelector(":scope > .reactions");
        if (text) text.after(el);
        else if (chips) chips.before(el);
        else body.append(el);
      }
      const who = this.readers(m.id);
      const tip = `Read by: ${who.join(", ")}`;
      if (who.length === 0) {
        el.classList.remove("read");
        for (const a of ["role", "tabindex", "aria-label", "data-tip"]) el.removeAttribute(a);
        el.setAttribute("aria-hidden", "true");
      } else if (el.getAttribute("data-tip") !== tip) {
        el.classList.add("read");
        el.removeAttribute("aria-hidden");
        el.setAttribute("role", "img");
        el.setAttribute("tabindex", "0");
        el.setAttribute("aria-label", tip);
        el.setAttribute("data-tip", tip);
      }
    },
  };
}
