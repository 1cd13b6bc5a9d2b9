// Presence (client.md §9). What others see: every dot drawn through
// userAvatar or userDot carries its username and follows the `presence`
// events live; states come from hello's map (refreshed on every
// reconnect). What this client reports (§9.1): `active` on activity,
// `idle` when the tab is hidden or after 5 minutes without activity.
// The manual override of the Account dialog (§7.1) is set here too.

import { put } from "../lib/api.js";
import { h } from "../lib/dom.js";
import { avatar } from "../lib/names.js";

const IDLE_AFTER_MS = 5 * 60 * 1000;
const CHECK_EVERY_MS = 5000;

const states = new Map(); // lower-case username → state
let meKey = "";
let choice = null; // the override chosen here: null (Automatic), active, idle, hidden

/** presenceEvents fires "change" {username, state} for every change. */
export const presenceEvents = new EventTarget();

/** shown maps a state to the dot drawn for it: hidden reads offline (§9.2). */
function shown(st) {
  return st === "active" || st === "idle" ? st : "offline";
}

/** presenceOf is a user's state as this viewer knows it. */
export function presenceOf(name) {
  return states.get(String(name).toLowerCase()) || "offline";
}

/** presenceLabel names a state for people and screen readers. */
export function presenceLabel(st) {
  return st === "active" ? "Active" : st === "idle" ? "Away" : "Offline";
}

function setState(name, st) {
  const key = String(name).toLowerCase();
  if (!key || states.get(key) === st) return;
  states.set(key, st);
  for (const dot of document.querySelectorAll(".presence-dot[data-user]")) {
    if (dot.dataset.user === key) {
      dot.dataset.state = shown(st);
      dot.title = presenceLabel(st);
    }
  }
  presenceEvents.dispatchEvent(new CustomEvent("change", { detail: { username: name, state: st } }));
}

function tag(el, name) {
  const dot = el.querySelector(".presence-dot");
  if (!dot) return;
  const st = presenceOf(name);
  dot.dataset.user = String(name).toLowerCase();
  dot.dataset.state = shown(st);
  dot.title = presenceLabel(st);
}

/** userAvatar draws a user's avatar with a live presence dot. */
export function userAvatar(user, size) {
  const el = avatar({ ...user, presence: presenceOf(user.username) }, size, { presence: true });
  tag(el, user.username);
  // A picture that fails to load is redrawn as initials with a new dot.
  el.querySelector("img")?.addEventListener("error", () => tag(el, user.username));
  return el;
}

/** userDot is the coloured "●" of the add-member suggestions (§9.2). */
export function userDot(name) {
  const st = presenceOf(name);
  return h("span", { class: "presence-mark", "data-user": String(name).toLowerCase(), "data-state": shown(st), "aria-label": presenceLabel(st), role: "img" }, "●");
}

/**
 * overrideChoice is the Account dialog's current row: what was chosen here,
 * checked against what the server says of you (the server clears an
 * override when your last session ends; "hidden" only comes from one).
 */
export function overrideChoice() {
  const own = states.get(meKey);
  if (own === "hidden") return "hidden";
  if (choice === "hidden" || ((choice === "active" || choice === "idle") && own && own !== choice)) choice = null;
  return choice;
}

/** setOverride applies a manual state at once (§7.1); null is Automatic. */
export async function setOverride(state) {
  await put("/api/v1/me/presence-override", { state });
  choice = state;
  try {
    sessionStorage.setItem("minimost.presence", state || "");
  } catch {
    // Storage may be off; the choice then lasts this page only.
  }
}

/**
 * trackPresence feeds the states from the stream and reports this
 * client's activity on it.
 */
export function trackPresence(live, me) {
  meKey = me.username.toLowerCase();
  try {
    choice = sessionStorage.getItem("minimost.presence") || null;
  } catch {
    choice = null;
  }
  if (me.presence) setState(me.username, me.presence);
  let sent = "active";
  let lastActivity = Date.now();
  function report(st) {
    if (st !== sent && live.send("presence", { state: st })) sent = st;
  }
  live.addEventListener("open", (e) => {
    const hello = e.detail.hello || {};
    const map = hello.presence && typeof hello.presence === "object" ? hello.presence : {};
    const seen = new Set();
    for (const [name, st] of Object.entries(map)) {
      seen.add(name.toLowerCase());
      setState(name, String(st));
    }
    for (const key of [...states.keys()]) if (!seen.has(key) && key !== meKey) setState(key, "offline");
    if (hello.user && hello.user.username) setState(hello.user.username, hello.user.presence || "active");
    // A new stream starts active (§9.1).
    sent = "active";
    if (document.visibilityState === "hidden") report("idle");
  });
  live.addEventListener("presence", (e) => {
    const d = e.detail.data || {};
    if (d.username && d.state) setState(d.username, String(d.state));
  });

  const activity = () => {
    lastActivity = Date.now();
    if (document.visibilityState !== "hidden") report("active");
  };
  for (const type of ["mousemove", "keydown", "mousedown", "touchstart"]) {
    window.addEventListener(type, activity, { capture: true, passive: true });
  }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") report("idle");
    else activity();
  });
  setInterval(() => {
    if (document.visibilityState !== "hidden" && Date.now() - lastActivity >= IDLE_AFTER_MS) report("idle");
  }, CHECK_EVERY_MS);
}
