// The top bar (client.md §3.3): channel context on the left (members
// button with the count, pins button, the name), the search box in the
// centre, your avatar and Settings on the right. Private channels carry
// their name in the name bar under it, with a pencil to rename.

import { h, replace } from "../lib/dom.js";
import { icon } from "../ui/icons.js";
import { label, prefix } from "./state.js";
import { searchBox } from "./search.js";
import { pinsButton } from "./pins.js";
import { memberCount, openMembers } from "./members.js";
import { mentionsOpen, mentionEvents } from "./mentions.js";
import { openRename } from "./privatechannel.js";
import { userAvatar } from "./presence.js";

export function topbar(state, { onAccount, onSettings, onMenu }) {
  const hamburger = h(
    "button",
    { type: "button", class: "icon-btn hamburger", "aria-label": "Open sidebar", "aria-controls": "sidebar", "aria-expanded": "false" },
    icon("menu"),
  );
  hamburger.addEventListener("click", onMenu);
  const title = h("h1", { class: "channel-title", id: "channel-title" });
  const memberNum = h("span", { class: "members-count" });
  // Named by its content ("Members: " hidden, then the count shown), so the
  // count the eye reads is part of its name (WCAG 2.5.3).
  const members = h("button", { type: "button", class: "icon-btn members-btn", hidden: true }, icon("people"), h("span", { class: "visually-hidden" }, "Members: "), memberNum);
  members.addEventListener("click", () => openMembers());
  const pins = pinsButton();
  const search = searchBox();
  // Named by hidden text, not aria-label, so the initials drawn inside do
  // not contradict the name (WCAG 2.5.3).
  const account = h("button", { type: "button", class: "icon-btn account-btn", title: "Account" });
  account.addEventListener("click", onAccount);
  const settings = h("button", { type: "button", class: "icon-btn", "aria-label": "Settings", title: "Settings" }, icon("gear"));
  settings.addEventListener("click", onSettings);
  const el = h(
    "header",
    { class: "topbar" },
    h("div", { class: "topbar-left" }, hamburger, members, pins.el, title),
    h("div", { class: "topbar-center" }, search.el),
    h("div", { class: "topbar-right" }, account, settings),
  );
  const nameText = h("span", { class: "name-bar-text" });
  const rename = h("button", { type: "button", class: "icon-btn", "aria-label": "Rename channel", title: "Rename channel" }, icon("pencil"));
  rename.addEventListener("click", () => state.channel && openRename(state.channel));
  const nameBar = h("div", { class: "name-bar", hidden: true }, nameText, rename);

  function drawTitle() {
    const c = state.channel;
    const mentions = mentionsOpen();
    nameBar.hidden = !c || c.kind !== "private";
    members.hidden = !c;
    if (mentions && !c) {
      replace(title, "Mentions");
      return;
    }
    if (!c) {
      replace(title, "MiniMost");
      return;
    }
    const n = memberCount(c);
    memberNum.textContent = String(n);
    members.title = "Members";
    const pre = prefix(c);
    // Private channels carry their name in the name bar, not here (§3.3).
    if (c.kind === "private") {
      replace(title, h("span", { class: "visually-hidden" }, label(c)));
      nameText.textContent = label(c);
    } else replace(title, pre ? h("span", { class: "prefix", "aria-hidden": "true" }, pre) : null, label(c));
  }
  function drawMe() {
    replace(account, userAvatar(state.me, 26), h("span", { class: "visually-hidden" }, `Account: ${state.me.username}`));
  }
  state.addEventListener("open", drawTitle);
  state.addEventListener("channels", drawTitle);
  state.addEventListener("me", drawMe);
  mentionEvents.addEventListener("change", drawTitle);
  state.addEventListener("users", drawTitle);
  drawTitle();
  drawMe();
  return {
    el,
    hamburger,
    account,
    settings,
    nameBar,
    search,
    pins,
    /** redraw refreshes the counts (the user list arrived). */
    redraw: drawTitle,
  };
}
