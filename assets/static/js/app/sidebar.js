// The sidebar (client.md §3.2): New DM, then public channels, private
// channels and direct messages from GET /api/v1/channels. Rows are real
// buttons named with their unread count; the open one is marked current.
// Rows are reused across redraws, so focus survives updates.

import { h, reconcile } from "../lib/dom.js";
import { avatar } from "../lib/names.js";
import { icon } from "../ui/icons.js";
import { label, prefix } from "./state.js";

export function sidebar(state, { onPick }) {
  const lists = {
    public: h("ul", { class: "rows", "aria-labelledby": "sb-public" }),
    private: h("ul", { class: "rows", "aria-labelledby": "sb-private" }),
    dm: h("ul", { class: "rows", "aria-labelledby": "sb-dm" }),
  };
  // The dialogs behind these buttons come with the chat; until then they
  // are drawn but disabled rather than left doing nothing.
  const newDM = h("button", { type: "button", class: "btn", disabled: true, "data-action": "new-dm" }, icon("chat"), "New DM");
  const newPrivate = h(
    "button",
    { type: "button", class: "icon-btn", disabled: true, title: "New private channel", "aria-label": "New private channel", "data-action": "new-private" },
    icon("plus"),
  );
  const newDMPlus = h(
    "button",
    { type: "button", class: "icon-btn", disabled: true, title: "New direct message", "aria-label": "New direct message", "data-action": "new-dm-plus" },
    icon("plus"),
  );
  const note = h("p", { class: "sidebar-note", hidden: true });
  const section = (key, title, list, action) =>
    h(
      "section",
      { class: "sidebar-section", "data-section": key },
      h("div", { class: "section-head" }, h("h2", { id: `sb-${key}` }, title), action),
      list,
    );
  const el = h(
    "nav",
    { class: "sidebar", id: "sidebar", "aria-label": "Conversations" },
    h("div", { class: "sidebar-top" }, newDM),
    h(
      "div",
      { class: "sidebar-scroll scroll" },
      section("public", "Public channels", lists.public),
      section("private", "Private channels", lists.private, newPrivate),
      section("dm", "Direct messages", lists.dm, newDMPlus),
      note,
    ),
  );

  const rows = new Map(); // channel id → {li, button, labelEl, badge}

  function rowFor(c) {
    let r = rows.get(c.id);
    if (!r) {
      const labelEl = h("span", { class: "label" });
      const badge = h("span", { class: "badge", "aria-hidden": "true", hidden: true });
      const button = h("button", { type: "button", class: "row", "data-channel": String(c.id) }, labelEl, badge);
      button.addEventListener("click", () => onPick(c.id));
      r = { li: h("li", null, button), button, labelEl, badge, avatarFor: null };
      rows.set(c.id, r);
    }
    const name = label(c);
    const pre = prefix(c);
    r.labelEl.textContent = pre ? `${pre} ${name}` : name;
    const unread = Number(c.unread) > 0 ? Number(c.unread) : 0;
    r.badge.hidden = unread === 0;
    r.badge.textContent = unread ? String(unread) : "";
    const mentions = Number(c.mentions) > 0 ? Number(c.mentions) : 0;
    r.button.classList.toggle("unread", unread > 0);
    r.badge.classList.toggle("mention", mentions > 0);
    if (mentions) r.badge.textContent = `@${mentions}`;
    r.badge.hidden = unread === 0 && mentions === 0;
    r.button.setAttribute("aria-label", unread ? `${name}, ${unread} unread${mentions ? `, ${mentions} mention${mentions === 1 ? "" : "s"}` : ""}` : name);
    if (state.current === c.id) r.button.setAttribute("aria-current", "true");
    else r.button.removeAttribute("aria-current");
    if (c.kind === "dm") {
      const other = (c.members || []).find((m) => m.toLowerCase() !== state.me.username.toLowerCase());
      if (other && r.avatarFor !== other) {
        r.button.querySelector(".avatar")?.remove();
        r.button.prepend(avatar({ username: other }, 28));
        r.avatarFor = other;
      }
    }
    return r;
  }

  function draw() {
    const groups = state.byKind();
    const seen = new Set();
    for (const key of ["public", "private", "dm"]) {
      reconcile(
        lists[key],
        groups[key].map((c) => {
          seen.add(c.id);
          return rowFor(c).li;
        }),
      );
    }
    for (const id of [...rows.keys()]) if (!seen.has(id)) rows.delete(id);
    const empty = seen.size === 0;
    note.hidden = !empty;
    note.textContent = state.channelsKnown ? "No conversations yet." : "Conversations will appear here.";
  }

  state.addEventListener("channels", draw);
  state.addEventListener("open", draw);
  draw();

  return {
    el,
    /** rowButtons lists the conversation buttons in sidebar order (Ctrl+J/K). */
    rowButtons: () => [...el.querySelectorAll("button.row")],
  };
}
