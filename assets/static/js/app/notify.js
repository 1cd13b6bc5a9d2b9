// Alerts and badges (client.md §8): the new-message sound, OS
// notifications, the unread count in the tab title, the flashing favicon
// and the installed app's badge; and the unread rules of §8.6 that need
// the server's count (a deleted unread message, a read elsewhere).
//
// The page is "active" when visible and focused; alerts are suppressed
// while active unless "Notify while MiniMost is focused" is on. Mentions
// alert in every conversation, not only the open one (the original's
// help promised this and did not do it).

import { get } from "../lib/api.js";
import * as prefs from "../lib/prefs.js";
import { play } from "./sounds.js";

const SOUND_GAP_MS = 1000;
const SETTLE_MS = 6000;
const QUIET_AFTER_MS = 2000;
const FLASH_MS = 1000;
const BODY_CHARS = 140;

/** isActive: the page is visible and its window has the focus (§8.1). */
export function isActive() {
  return document.visibilityState === "visible" && document.hasFocus();
}

function suppressed() {
  return isActive() && !prefs.get("notifyWhenActive");
}

/** mentionsMe reports whether m mentions you (listed, or @everyone from someone else). */
export function mentionsMe(m, me) {
  if (!m || m.system || m.author === me) return false;
  const name = String(me).toLowerCase();
  return !!m.mentions_everyone || (Array.isArray(m.mentions) && m.mentions.some((n) => String(n).toLowerCase() === name));
}

/** badgeIcon is the favicon's flash frame: a red dot carrying the count. */
export function badgeIcon(n) {
  const text = n > 99 ? "99+" : String(Math.max(0, Math.floor(n)));
  const size = text.length > 2 ? 13 : text.length > 1 ? 17 : 21;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">` +
    `<circle cx="16" cy="16" r="16" fill="#e74c3c"/>` +
    `<text x="16" y="${16 + size * 0.36}" text-anchor="middle" font-family="sans-serif" font-weight="700" font-size="${size}" fill="#ffffff">${text}</text>` +
    `</svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

/**
 * alerts wires §8 to the model and the stream; conv (the conversation
 * view) takes a click on a mention's notification to the message.
 */
export function alerts(state, live, conv) {
  const loadedAt = Date.now();
  let lastSound = 0;
  let lastMention = 0;
  let lastActiveRender = 0;
  let lastTotal = null;
  let unreadNote = null;

  function ding() {
    const now = Date.now();
    if (now - lastSound < SOUND_GAP_MS) return;
    lastSound = now;
    play("ding");
  }

  const appIcon = () => document.querySelector('link[rel="apple-touch-icon"]')?.href || undefined;

  /**
   * notify raises an OS notification; a click brings MiniMost forward and
   * opens channelId (at messageId when given).
   */
  function notify(title, body, { channelId = null, messageId = null, tag } = {}) {
    const N = window.Notification;
    if (!prefs.get("nativeNotifEnabled") || !N || N.permission !== "granted") return null;
    const options = { body, icon: appIcon(), tag };
    let n;
    try {
      n = new N(title, options);
    } catch {
      // Some platforms allow notifications only through the service worker.
      navigator.serviceWorker?.ready.then((r) => r.showNotification(title, options)).catch(() => {});
      return null;
    }
    n.addEventListener?.("click", () => {
      window.focus();
      if (channelId != null && messageId != null && conv && conv.jump) conv.jump(channelId, messageId);
      else if (channelId != null && state.current !== channelId) state.open(channelId);
      n.close?.();
    });
    return n;
  }

  // The permission prompt waits for your first click or key in the app (§8.3).
  function askPermission() {
    document.removeEventListener("pointerdown", askPermission, true);
    document.removeEventListener("keydown", askPermission, true);
    const N = window.Notification;
    if (prefs.get("nativeNotifEnabled") && N && N.permission === "default" && typeof N.requestPermission === "function") {
      Promise.resolve(N.requestPermission()).catch(() => {});
    }
  }
  document.addEventListener("pointerdown", askPermission, true);
  document.addEventListener("keydown", askPermission, true);

  live.addEventListener("message.created", (e) => {
    const m = e.detail.data;
    if (!m || m.system || m.author === state.me.username || !state.channels.has(m.channel_id)) return;
    const open = m.channel_id === state.current;
    if (open && isActive()) lastActiveRender = Date.now();
    if (mentionsMe(m, state.me.username)) {
      lastMention = Date.now();
      const body = m.text ? [...m.text].slice(0, BODY_CHARS).join("") : "Sent an attachment";
      notify(`${m.author} mentioned you — MiniMost`, body, { channelId: m.channel_id, messageId: m.id });
      ding();
    } else if (open && (!isActive() || prefs.get("notifyWhenActive"))) {
      ding();
    }
  });

  // Title, favicon and app badge follow the counts (§8.5).
  const icon = document.querySelector('link[rel="icon"]');
  const plainIcon = icon ? icon.getAttribute("href") : null;
  let flashTimer = 0;
  let flashOn = false;
  let total = 0;
  let dmTotal = -1;

  function drawIcon() {
    if (!icon) return;
    icon.setAttribute("href", flashOn ? badgeIcon(total) : plainIcon);
  }

  function setBadge(n) {
    if (n === dmTotal) return;
    dmTotal = n;
    try {
      if (n > 0 && navigator.setAppBadge) navigator.setAppBadge(n).catch(() => {});
      else if (n === 0 && navigator.clearAppBadge) navigator.clearAppBadge().catch(() => {});
    } catch {
      // Not installed, or the platform has no badges.
    }
  }

  function counts() {
    total = 0;
    let dm = 0;
    for (const c of state.channels.values()) {
      const n = Number(c.unread) > 0 ? Number(c.unread) : 0;
      total += n;
      if (c.kind === "dm") dm += n;
    }
    document.title = total > 0 ? `(${total}) MiniMost` : "MiniMost";
    if (total > 0 && !flashTimer) {
      flashTimer = setInterval(() => {
        flashOn = !flashOn;
        drawIcon();
      }, FLASH_MS);
    } else if (total === 0 && flashTimer) {
      clearInterval(flashTimer);
      flashTimer = 0;
    }
    if (total === 0) flashOn = false;
    drawIcon();
    setBadge(dm);
    return total;
  }

  // The grand total rising alerts, after the stream handlers of the same
  // frame have run (a mention alert of that frame wins).
  function totalChanged() {
    const before = lastTotal;
    const now = counts();
    // The first list is the baseline: what was unread at load never alerts.
    if (!state.channelsKnown) return;
    lastTotal = now;
    if (before == null || now <= before || Date.now() - loadedAt < SETTLE_MS || suppressed()) return;
    ding();
    const t = Date.now();
    if (t - lastMention < QUIET_AFTER_MS || t - lastActiveRender < QUIET_AFTER_MS) return;
    unreadNote?.close?.();
    unreadNote = notify("MiniMost", `You have ${now} unread message${now === 1 ? "" : "s"}`, { tag: "minimost-unread" });
  }
  let pending = false;
  const onCounts = () => {
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      totalChanged();
    });
  };
  state.addEventListener("channels", onCounts);
  state.addEventListener("open", onCounts);

  // §8.6: a deleted unread message, or a read from another tab or device,
  // changes a count the client cannot work out alone: ask the server.
  const refreshing = new Map();
  function refresh(id) {
    if (id == null || refreshing.has(id) || !state.channels.has(id)) return;
    refreshing.set(
      id,
      setTimeout(async () => {
        refreshing.delete(id);
        try {
          const c = await get(`/api/v1/channels/${id}`);
          if (!c || c.id == null || !state.channels.has(c.id)) return;
          const reading = state.current === c.id && document.visibilityState === "visible";
          state.upsertChannel(reading ? { ...c, unread: 0, mentions: 0 } : c);
        } catch {
          // Background refresh: the next reload of the list corrects it.
        }
      }, 250),
    );
  }
  live.addEventListener("message.deleted", (e) => {
    const m = e.detail.data;
    const c = m && state.channels.get(m.channel_id);
    if (c && m.author !== state.me.username && (Number(c.unread) > 0 || Number(c.mentions) > 0)) refresh(c.id);
  });
  live.addEventListener("read.updated", (e) => {
    const d = e.detail.data || {};
    const c = state.channels.get(d.channel_id);
    if (!c || d.username !== state.me.username) return;
    if (Number(c.unread) > 0 || Number(c.mentions) > 0) refresh(c.id);
  });

  totalChanged();
}
