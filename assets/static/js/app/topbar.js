// The top bar (client.md §3.3): channel context on the left, the search
// box in the centre (it comes with search), your avatar and Settings on
// the right.

import { h, replace } from "../lib/dom.js";
import { avatar } from "../lib/names.js";
import { icon } from "../ui/icons.js";
import { label, prefix } from "./state.js";

export function topbar(state, { onAccount, onSettings, onMenu }) {
  const hamburger = h(
    "button",
    { type: "button", class: "icon-btn hamburger", "aria-label": "Open sidebar", "aria-controls": "sidebar", "aria-expanded": "false" },
    icon("menu"),
  );
  hamburger.addEventListener("click", onMenu);
  const title = h("h1", { class: "channel-title", id: "channel-title" });
  // Named by hidden text, not aria-label, so the initials drawn inside do
  // not contradict the name (WCAG 2.5.3).
  const account = h("button", { type: "button", class: "icon-btn account-btn", title: "Account" });
  account.addEventListener("click", onAccount);
  const settings = h("button", { type: "button", class: "icon-btn", "aria-label": "Settings", title: "Settings" }, icon("gear"));
  settings.addEventListener("click", onSettings);
  const el = h(
    "header",
    { class: "topbar" },
    h("div", { class: "topbar-left" }, hamburger, title),
    h("div", { class: "topbar-center" }),
    h("div", { class: "topbar-right" }, account, settings),
  );

  function drawTitle() {
    const c = state.channel;
    if (!c) {
      replace(title, "MiniMost");
      return;
    }
    const pre = prefix(c);
    // Private channels carry their name in the name bar, not here (§3.3).
    if (c.kind === "private") replace(title, h("span", { class: "visually-hidden" }, label(c)));
    else replace(title, pre ? h("span", { class: "prefix", "aria-hidden": "true" }, pre) : null, label(c));
  }
  function drawMe() {
    replace(account, avatar(state.me, 26, { presence: true }), h("span", { class: "visually-hidden" }, `Account: ${state.me.username}`));
  }
  state.addEventListener("open", drawTitle);
  state.addEventListener("channels", drawTitle);
  state.addEventListener("me", drawMe);
  drawTitle();
  drawMe();
  return { el, hamburger, account, settings };
}
