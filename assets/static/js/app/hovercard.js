// The profile hover card (client.md §5.9): hovering a sender's name or
// avatar shows their picture with presence, name and bio; the name is
// also a button, so the card opens from the keyboard (§14 "Improve"). The
// card offers "Message", which opens (or creates) the DM with them.
// Profiles come from GET /api/v1/users/{username}, once each, and are
// refreshed by user.updated and presence events.

import { get, post } from "../lib/api.js";
import { h, id as uid } from "../lib/dom.js";
import { avatar, paintName } from "../lib/names.js";
import { toastError } from "../ui/toast.js";

const SHOW_MS = 250;
const HIDE_MS = 150;

let env = null; // {state, users}
const profiles = new Map(); // lower-case username → User
const fetched = new Set();
let card = null; // {el, trigger, username, viaKeys}
let showTimer = 0;
let hideTimer = 0;

/** initHovercards connects the cards to the model and the live stream. */
export function initHovercards({ state, live, users }) {
  env = { state, users };
  live.addEventListener("user.updated", (e) => {
    const u = e.detail.data && e.detail.data.user;
    if (!u || !u.username) return;
    profiles.set(u.username.toLowerCase(), u);
    if (card && card.username.toLowerCase() === u.username.toLowerCase()) draw();
  });
  live.addEventListener("presence", (e) => {
    const d = e.detail.data || {};
    const key = String(d.username || "").toLowerCase();
    const p = profiles.get(key);
    if (p) profiles.set(key, { ...p, presence: d.state });
    if (card && card.username.toLowerCase() === key) draw();
  });
}

function profileOf(name) {
  const key = name.toLowerCase();
  return profiles.get(key) || (env && env.users && env.users.get(name)) || { username: name };
}

function load(name) {
  const key = name.toLowerCase();
  if (fetched.has(key)) return;
  fetched.add(key);
  get(`/api/v1/users/${encodeURIComponent(name)}`)
    .then((u) => {
      if (!u || !u.username) return;
      profiles.set(key, { ...u, presence: profiles.get(key)?.presence || u.presence });
      if (card && card.username.toLowerCase() === key) draw();
    })
    .catch(() => fetched.delete(key));
}

async function message(name) {
  try {
    const c = await post("/api/v1/dms", { members: [name] });
    close(false);
    if (c && c.id != null && env) {
      env.state.upsertChannel(c);
      env.state.open(c.id);
    }
  } catch (err) {
    toastError(err, "Couldn't open the conversation.");
  }
}

function draw() {
  const u = profileOf(card.username);
  const me = env && env.state.me && env.state.me.username.toLowerCase() === u.username.toLowerCase();
  const nameId = uid("hc-name");
  const bio = typeof u.bio === "string" ? u.bio.trim() : "";
  const presence = u.presence === "active" ? "Online" : u.presence === "idle" ? "Away" : "Offline";
  const focusedMessage = card.el.contains(document.activeElement) && document.activeElement.matches(".hovercard-message");
  card.el.setAttribute("aria-labelledby", nameId);
  card.el.replaceChildren(
    avatar(u, 64, { presence: true }),
    h(
      "div",
      { class: "hovercard-main" },
      paintName(h("strong", { id: nameId, class: "hovercard-name" }, u.username), u, "--surface"),
      h("span", { class: "hovercard-presence" }, presence),
      bio ? h("p", { class: "hovercard-bio" }, bio) : null,
      me ? null : h("button", { type: "button", class: "btn hovercard-message", onclick: () => message(u.username) }, "Message"),
    ),
  );
  if (focusedMessage) card.el.querySelector(".hovercard-message")?.focus();
}

function place() {
  const r = card.trigger.getBoundingClientRect();
  const el = card.el;
  const w = el.offsetWidth;
  const ht = el.offsetHeight;
  let left = r.right + 10;
  if (left + w > window.innerWidth - 8) left = Math.max(8, r.left - w - 10);
  const top = Math.max(8, Math.min(r.top + r.height / 2 - ht / 2, window.innerHeight - ht - 8));
  el.style.setProperty("left", `${Math.round(left)}px`);
  el.style.setProperty("top", `${Math.round(top)}px`);
}

function show(trigger, username, viaKeys) {
  clearTimeout(hideTimer);
  if (card && card.trigger === trigger) {
    if (viaKeys) focusCard();
    return;
  }
  close(false);
  const el = h("div", { class: "hovercard", role: "dialog", tabindex: "-1" });
  card = { el, trigger, username, viaKeys };
  el.addEventListener("mouseenter", () => clearTimeout(hideTimer));
  el.addEventListener("mouseleave", () => scheduleHide());
  el.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      close(true);
    }
  });
  el.addEventListener("focusout", (e) => {
    if (card && card.el === el && e.relatedTarget && !el.contains(e.relatedTarget) && e.relatedTarget !== trigger) close(false);
  });
  draw();
  document.body.append(el);
  place();
  trigger.setAttribute("aria-expanded", "true");
  load(username);
  if (viaKeys) focusCard();
}

function focusCard() {
  (card.el.querySelector(".hovercard-message") || card.el).focus();
}

/** close removes the card; refocus gives focus back to what opened it. */
function close(refocus) {
  clearTimeout(showTimer);
  clearTimeout(hideTimer);
  if (!card) return;
  const { el, trigger } = card;
  card = null;
  el.remove();
  trigger.setAttribute("aria-expanded", "false");
  if (refocus && trigger.isConnected) trigger.focus();
}

function scheduleHide() {
  clearTimeout(showTimer);
  clearTimeout(hideTimer);
  hideTimer = setTimeout(() => close(false), HIDE_MS);
}

/**
 * attachHovercard makes trigger open username's card: on hover (with a
 * short delay, as a pointer crossing the list should not flash cards) and,
 * when trigger is a button, on activation, with focus moved into the card.
 */
export function attachHovercard(trigger, username) {
  trigger.addEventListener("mouseenter", () => {
    clearTimeout(hideTimer);
    clearTimeout(showTimer);
    showTimer = setTimeout(() => trigger.isConnected && show(trigger, username, false), SHOW_MS);
  });
  trigger.addEventListener("mouseleave", () => scheduleHide());
  if (trigger.tagName === "BUTTON") {
    trigger.setAttribute("aria-haspopup", "dialog");
    trigger.setAttribute("aria-expanded", "false");
    trigger.addEventListener("click", () => {
      if (card && card.trigger === trigger && !card.viaKeys) focusCard();
      else if (card && card.trigger === trigger) close(true);
      else show(trigger, username, true);
      if (card) card.viaKeys = true;
    });
  }
  return trigger;
}

document.addEventListener("pointerdown", (e) => {
  if (card && !card.el.contains(e.target) && !card.trigger.contains(e.target)) close(false);
});
