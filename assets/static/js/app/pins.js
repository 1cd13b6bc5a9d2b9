// Pinned messages (client.md §6.7): the top bar's gold pin button (with
// the count, hidden when there are none) toggles a panel listing the open
// conversation's pins, most recently pinned first
// (GET /api/v1/channels/{id}/pins), kept live from message.updated and
// message.deleted. A row jumps to its message; its "×" unpins.

import { get, del, ApiError } from "../lib/api.js";
import { h, replace } from "../lib/dom.js";
import { paintName } from "../lib/names.js";
import { plainPreview } from "../lib/format.js";
import { icon } from "../ui/icons.js";
import { toast } from "../ui/toast.js";
import { nav } from "./context.js";
import { messageOf } from "./mentions.js";
import { whenFormat } from "./search.js";

const PREVIEW = 140;

let instance = null;

/** togglePins opens or closes the pins panel of the open conversation. */
export function togglePins() {
  instance?.toggle();
}

function previewOf(m) {
  if (m.text) return plainPreview(m.text, PREVIEW) || "[no text]";
  return (m.attachments || []).length ? "[attachment]" : "[no text]";
}

/** pinsButton builds the top bar's button and its panel. */
export function pinsButton() {
  const count = h("span", { class: "pins-count" });
  const button = h("button", { type: "button", class: "icon-btn pins-btn", hidden: true, "aria-expanded": "false", "aria-haspopup": "true" }, icon("pin"), count);
  const list = h("ul", { class: "pins-list" });
  const head = h("h2", { class: "pins-head" }, "Pinned messages");
  const panel = h("div", { class: "pins-panel", hidden: true, role: "region", "aria-label": "Pinned messages" }, head, list);
  const el = h("div", { class: "pins" }, button, panel);
  let pins = []; // Messages, most recently pinned first
  let channelId = null;
  let ticket = 0;

  function sortPins() {
    pins.sort((a, b) => (b.pinned_at || 0) - (a.pinned_at || 0) || b.id - a.id);
  }

  function drawButton() {
    const n = pins.length;
    button.hidden = n === 0 || channelId == null;
    count.textContent = String(n);
    const text = n === 1 ? "1 pinned message" : `${n} pinned messages`;
    button.setAttribute("aria-label", text);
    button.title = text;
    if (n === 0) close(false);
  }

  function row(m) {
    const author = paintName(h("strong", null, m.author), nav.users.get(m.author) || { username: m.author }, "--surface");
    const when = m.pinned_at ? whenFormat.format(new Date(m.pinned_at)) : "";
    const jump = h(
      "button",
      { type: "button", class: "pin-open" },
      h("span", { class: "pin-meta" }, author, ` · pinned by ${m.pinned_by || "someone"}${when ? ` · ${when}` : ""}`),
      h("span", { class: "pin-preview" }, previewOf(m)),
    );
    const unpin = h("button", { type: "button", class: "icon-btn pin-unpin", "aria-label": `Unpin message from ${m.author}`, title: `Unpin message from ${m.author}` }, icon("close"));
    jump.addEventListener("click", async () => {
      close(false);
      const ok = await nav.conv.jump(m.channel_id, m.id);
      if (!ok) toast("Couldn't reach that message — it may have been deleted.");
    });
    unpin.addEventListener("click", async () => {
      unpin.disabled = true;
      try {
        const upd = await del(`/api/v1/messages/${m.id}/pin`);
        apply(upd && upd.id != null ? upd : { ...m, pinned: false });
        toast("Message unpinned");
        (list.querySelector(".pin-open") || button).focus();
      } catch (err) {
        if (!(err instanceof ApiError && err.handled)) toast("Could not pin that message");
        unpin.disabled = false;
      }
    });
    return h("li", { class: "pin-row", "data-id": String(m.id) }, jump, unpin);
  }

  function drawList() {
    replace(list, pins.map(row));
  }

  function apply(m) {
    if (!m || m.channel_id !== channelId) return;
    const at = pins.findIndex((p) => p.id === m.id);
    if (at >= 0 && pins[at].seq > m.seq) return;
    if (m.pinned && !m.deleted) {
      if (at >= 0) pins[at] = m;
      else pins.push(m);
      sortPins();
    } else if (at >= 0) pins.splice(at, 1);
    else return;
    drawButton();
    if (!panel.hidden) drawList();
  }

  function open() {
    drawList();
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    (list.querySelector(".pin-open") || button).focus();
  }

  function close(refocus = true) {
    if (panel.hidden) return;
    const had = el.contains(document.activeElement);
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (refocus && had && !button.hidden) button.focus();
  }

  async function load(id) {
    const t = ++ticket;
    channelId = id;
    pins = [];
    drawButton();
    if (id == null) return;
    try {
      const got = await get(`/api/v1/channels/${id}/pins`);
      if (t !== ticket) return;
      pins = (Array.isArray(got) ? got : []).filter((m) => m && m.pinned && !m.deleted);
      sortPins();
      drawButton();
    } catch {
      // No count is drawn; the transcript still shows each pin.
    }
  }

  button.addEventListener("click", () => (panel.hidden ? open() : close()));
  panel.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      close();
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      const items = [...list.querySelectorAll(".pin-open")];
      const i = items.indexOf(document.activeElement);
      if (i < 0 || !items.length) return;
      e.preventDefault();
      items[(i + (e.key === "ArrowDown" ? 1 : -1) + items.length) % items.length].focus();
    }
  });
  document.addEventListener("mousedown", (e) => {
    if (!panel.hidden && !el.contains(e.target)) close(false);
  });

  instance = {
    toggle: () => (button.hidden ? null : panel.hidden ? open() : close()),
    /** track follows the open conversation and the stream. */
    track(state, live) {
      state.addEventListener("open", (e) => {
        close(false);
        load(e.detail.id);
      });
      for (const t of ["message.updated", "message.created"]) live.addEventListener(t, (e) => apply(messageOf(e)));
      live.addEventListener("message.deleted", (e) => {
        const m = messageOf(e);
        if (m) apply({ ...m, pinned: false, deleted: true, seq: Infinity });
      });
      live.addEventListener("open", (e) => {
        if (e.detail.reconnect) load(channelId);
      });
      load(state.current);
    },
  };
  return { el, button, track: (state, live) => instance.track(state, live) };
}
