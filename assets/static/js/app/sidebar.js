// The sidebar (client.md §3.2): New DM, "@ Mentions" while you have
// unread mentions, then public channels, private channels and direct
// messages from GET /api/v1/channels. Rows are real buttons named with
// their unread count; the open one is marked current. Rows are reused
// across redraws, so focus survives updates. DM rows show the first other
// participant with a live presence dot and a "×" that hides the
// conversation (POST /api/v1/channels/{id}/hide).

import { post } from "../lib/api.js";
import { h, reconcile, replace } from "../lib/dom.js";
import { icon } from "../ui/icons.js";
import { toastError } from "../ui/toast.js";
import { label, prefix } from "./state.js";
import { openNewDM } from "./newdm.js";
import { openNewPrivateChannel } from "./privatechannel.js";
import { mentionCount, mentionsOpen, mentionEvents, openMentions } from "./mentions.js";
import { userAvatar } from "./presence.js";
import { nav } from "./context.js";

export function sidebar(state, { onPick }) {
  const lists = {
    public: h("ul", { class: "rows", "aria-labelledby": "sb-public" }),
    private: h("ul", { class: "rows", "aria-labelledby": "sb-private" }),
    dm: h("ul", { class: "rows", "aria-labelledby": "sb-dm" }),
  };
  const newDM = h("button", { type: "button", class: "btn", "data-action": "new-dm" }, icon("chat"), "New DM");
  const newPrivate = h(
    "button",
    { type: "button", class: "icon-btn", title: "New private channel", "aria-label": "New private channel", "data-action": "new-private" },
    icon("plus"),
  );
  const newDMPlus = h(
    "button",
    { type: "button", class: "icon-btn", title: "New direct message", "aria-label": "New direct message", "data-action": "new-dm-plus" },
    icon("plus"),
  );
  newDM.addEventListener("click", () => openNewDM());
  newDMPlus.addEventListener("click", () => openNewDM());
  newPrivate.addEventListener("click", () => openNewPrivateChannel());
  const mentionsLabel = h("span", { class: "label" }, "@ Mentions");
  const mentionsBadge = h("span", { class: "badge mention", "aria-hidden": "true" });
  const mentionsRow = h("button", { type: "button", class: "row mentions-row", "data-action": "mentions" }, mentionsLabel, mentionsBadge);
  mentionsRow.addEventListener("click", () => {
    onPick(null);
    openMentions();
  });
  const mentionsEntry = h("ul", { class: "rows mentions-entry", hidden: true, "aria-label": "Mentions" }, h("li", null, mentionsRow));
  const note = h("p", { class: "sidebar-note", hidden: true });
  const tip = h("div", { class: "member-tip", role: "tooltip", hidden: true });
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
      mentionsEntry,
      section("public", "Public channels", lists.public),
      section("private", "Private channels", lists.private, newPrivate),
      section("dm", "Direct messages", lists.dm, newDMPlus),
      note,
    ),
    tip,
  );

  const rows = new Map(); // channel id → {li, button, labelEl, badge}

  function rowFor(c) {
    let r = rows.get(c.id);
    if (!r) {
      const labelEl = h("span", { class: "label" });
      const badge = h("span", { class: "badge", "aria-hidden": "true", hidden: true });
      const button = h("button", { type: "button", class: "row", "data-channel": String(c.id) }, labelEl, badge);
      button.addEventListener("click", () => onPick(c.id));
      const li = h("li", { class: c.kind === "dm" ? "dm-item" : null }, button);
      if (c.kind === "dm") li.append(hideButton(c.id));
      if (c.kind === "private") memberTip(button, c.id);
      r = { li, button, labelEl, badge, avatarFor: null };
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
        r.button.prepend(userAvatar(nav.users.get(other) || { username: other }, 28));
        r.avatarFor = other;
      }
    }
    return r;
  }

  // A private channel's members show after 3 s of hovering its row (§3.2)
  // and hide 120 ms after the pointer leaves both the row and the list.
  let tipTimer = 0;
  let hideTimer = 0;
  const hideTip = () => {
    clearTimeout(tipTimer);
    clearTimeout(hideTimer);
    hideTimer = setTimeout(() => {
      tip.hidden = true;
    }, 120);
  };
  tip.addEventListener("mouseenter", () => clearTimeout(hideTimer));
  tip.addEventListener("mouseleave", hideTip);
  function memberTip(button, id) {
    button.addEventListener("mouseenter", () => {
      clearTimeout(hideTimer);
      clearTimeout(tipTimer);
      tipTimer = setTimeout(() => {
        const c = state.channels.get(id);
        if (!c || !button.isConnected) return;
        replace(
          tip,
          (c.members || []).map((name) =>
            h("div", { class: "member-tip-row" }, userAvatar(nav.users.get(name) || { username: name }, 22), h("span", null, name)),
          ),
        );
        const r = button.getBoundingClientRect();
        tip.style.setProperty("top", `${Math.round(r.top)}px`);
        tip.style.setProperty("left", `${Math.round(r.right + 6)}px`);
        tip.hidden = false;
      }, 3000);
    });
    button.addEventListener("mouseleave", hideTip);
  }

  function hideButton(id) {
    const x = h("button", { type: "button", class: "icon-btn dm-hide", title: "Close conversation", "aria-label": "Close conversation" }, icon("close"));
    x.addEventListener("click", async () => {
      const c = state.channels.get(id);
      if (!c) return;
      try {
        await post(`/api/v1/channels/${id}/hide`);
        state.upsertChannel({ ...state.channels.get(id), hidden: true });
        if (state.current === id) state.open(state.fallbackChannel());
      } catch (err) {
        toastError(err, "Couldn't close the conversation.");
      }
    });
    return x;
  }

  function drawMentions() {
    const n = mentionCount();
    const open = mentionsOpen();
    mentionsEntry.hidden = n === 0 && !open;
    mentionsBadge.hidden = n === 0;
    mentionsBadge.textContent = String(n);
    mentionsRow.setAttribute("aria-label", n ? `Mentions, ${n} unread` : "Mentions");
    if (open) mentionsRow.setAttribute("aria-current", "true");
    else mentionsRow.removeAttribute("aria-current");
  }

  function draw() {
    drawMentions();
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
  mentionEvents.addEventListener("change", drawMentions);
  // Avatars are redrawn once the accounts (pictures, colours) are known.
  state.addEventListener("users", () => {
    for (const r of rows.values()) r.avatarFor = null;
    draw();
  });
  draw();

  return {
    el,
    /** rowButtons lists the conversation buttons in sidebar order (Ctrl+J/K). */
    rowButtons: () => [...el.querySelectorAll("button.row")],
  };
}
