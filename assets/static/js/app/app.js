// The chat page (client.md §3): loads the session, draws the layout and
// fills the sidebar from GET /api/v1/channels.
//
// Where the rest of the chat plugs in:
//   state.js         the model; the live stream (GET /api/v1/ws) feeds
//                    upsertChannel/removeChannel/open and the views redraw
//   conversation.js  the message list (replace drawMessages)
//   topbar.js        the search box goes in .topbar-center
//   account.js       the presence rows of the Account dialog
//   lib/api.js       sessionEnded() for session.revoked

import { get, setCsrf, ApiError, networkText } from "../lib/api.js";
import { h, replace } from "../lib/dom.js";
import { setFallbackFocus } from "../ui/dialog.js";
import { toastError } from "../ui/toast.js";
import { registerServiceWorker } from "../pages/chrome.js";
import { State } from "./state.js";
import { sidebar } from "./sidebar.js";
import { topbar } from "./topbar.js";
import { conversation } from "./conversation.js";
import { composer as makeComposer } from "./composer.js";
import { Live } from "../lib/live.js";
import { openAccount } from "./account.js";
import { openSettings } from "./settings.js";
import { wireNavigation } from "./navigation.js";
import { keyboard } from "./keys.js";
import { openHelp } from "./help.js";
import { alerts } from "./notify.js";

function unreachable(root, err) {
  document.title = "MiniMost";
  const retry = h("button", { type: "button", class: "btn primary" }, "Try again");
  retry.addEventListener("click", () => window.location.reload());
  replace(
    root,
    h(
      "main",
      { class: "auth", id: "main" },
      h(
        "section",
        { class: "card" },
        h("h1", null, "Can't reach MiniMost"),
        h("div", { class: "alert", role: "alert" }, err.code === "network" ? networkText : err.message),
        retry,
      ),
    ),
  );
  retry.focus();
}

/** loadChannels fills the sidebar; a server without the route shows none. */
export async function loadChannels(state) {
  try {
    const list = await get("/api/v1/channels");
    state.setChannels(Array.isArray(list) ? list : []);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return;
    toastError(err, "Couldn't load your conversations.");
  }
}

export async function start(root) {
  let session;
  try {
    session = await get("/api/v1/session");
  } catch (err) {
    if (err instanceof ApiError && err.handled) return;
    unreachable(root, err);
    return;
  }
  setCsrf(session.csrf_token);
  document.title = "MiniMost";
  const state = new State(session);

  const shell = h("div", { class: "app" });
  const closeDrawer = () => {
    shell.classList.remove("drawer-open");
    bar.hamburger.setAttribute("aria-expanded", "false");
  };
  const side = sidebar(state, {
    onPick(id) {
      state.open(id);
      closeDrawer();
    },
  });
  const bar = topbar(state, {
    onAccount: () => openAccount(state),
    onSettings: () => openSettings(),
    onMenu() {
      const open = shell.classList.toggle("drawer-open");
      bar.hamburger.setAttribute("aria-expanded", String(open));
      if (open) side.rowButtons()[0]?.focus();
    },
  });
  const banners = h("div", { class: "banners" });
  const live = new Live(banners);
  const users = new Map();
  const conv = conversation(state, { live, users });
  const backdrop = h("button", { type: "button", class: "drawer-backdrop", "aria-label": "Close sidebar", tabindex: "-1" });
  backdrop.addEventListener("click", closeDrawer);
  const composer = h("div", { class: "composer-slot" });
  const comp = makeComposer(state, { live, conv, users });
  composer.append(comp.el);
  const main = h("main", { class: "main", id: "main" }, bar.el, banners, conv.el, composer);
  shell.append(h("a", { class: "skip-link", href: "#messages" }, "Skip to messages"), backdrop, side.el, main);
  replace(root, shell);
  setFallbackFocus(() => conv.list);
  wireNavigation({ state, live, users, conv, composer: comp, bar });
  const help = h("button", { type: "button", class: "icon-btn help-btn", "aria-label": "Help", title: "Help" }, "?");
  help.addEventListener("click", () => openHelp(state));
  bar.settings.before(help);
  keyboard(state, { conv, composer: comp, sidebar: side, topbar: bar, openHelp: () => openHelp(state) });
  alerts(state, live, conv);

  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && shell.classList.contains("drawer-open")) closeDrawer();
  });

  registerServiceWorker();
  wireLive(state, live, users);
  loadUsers(users).then(() => state.emit("users", {}));
  await loadChannels(state);
  if (state.current == null) state.open(state.fallbackChannel());
  live.connect();
  return state;
}

async function loadUsers(users) {
  try {
    const list = await get("/api/v1/users");
    for (const u of Array.isArray(list) ? list : []) users.set(u.username, u);
  } catch {
    // Names still show, coloured by hash, without avatars.
  }
}

/**
 * wireLive feeds the stream into the model (client.md Appendix E): the
 * channel list, unread and mention counts of conversations not being
 * read, users; after a reconnect the list is reloaded.
 */
function wireLive(state, live, users) {
  live.addEventListener("open", (e) => {
    if (e.detail.reconnect) {
      loadChannels(state);
      loadUsers(users);
    }
  });
  // Channel events carry {channel: Channel}, drawn from each viewer's side.
  const channelOf = (d) => (d && d.channel && typeof d.channel === "object" ? d.channel : d);
  for (const type of ["channel.created", "channel.updated"]) {
    live.addEventListener(type, (e) => {
      const c = channelOf(e.detail.data);
      if (c && c.id != null) state.upsertChannel(c);
    });
  }
  live.addEventListener("channel.removed", (e) => state.removeChannel(e.detail.data && e.detail.data.channel_id));
  live.addEventListener("user.updated", (e) => {
    const u = e.detail.data && e.detail.data.user;
    if (u) users.set(u.username, u);
  });
  live.addEventListener("message.created", (e) => {
    const m = e.detail.data;
    if (!m) return;
    const c = state.channels.get(m.channel_id);
    if (!c) return;
    const mine = m.author === state.me.username;
    const next = { ...c, last_message_at: m.created_at, hidden: false };
    const reading = state.current === m.channel_id && document.visibilityState !== "hidden";
    if (!mine && !reading) {
      next.unread = (Number(c.unread) || 0) + 1;
      const me = state.me.username.toLowerCase();
      if (m.mentions_everyone || (m.mentions || []).some((n) => String(n).toLowerCase() === me)) next.mentions = (Number(c.mentions) || 0) + 1;
    }
    state.upsertChannel(next);
  });
}
