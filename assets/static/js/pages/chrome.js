// The shared chrome of the auth family (client.md §2.1): the wordmark above
// a card, centred, and the version tag in the corner.

import { h, replace } from "../lib/dom.js";

/** wordmark is "Mini" + "Most" in the accent colour. */
export function wordmark(tag = "a") {
  const attrs = tag === "a" ? { class: "wordmark", href: "/login", "aria-label": "MiniMost" } : { class: "wordmark", "aria-label": "MiniMost" };
  return h(tag, attrs, h("span", { "aria-hidden": "true" }, "Mini"), h("span", { class: "most", "aria-hidden": "true" }, "Most"));
}

/**
 * authPage fills root with the chrome and returns the card to fill. The
 * tab title is "<title> – MiniMost".
 */
export function authPage(root, { title, wide = false, version = true }) {
  document.title = `${title} – MiniMost`;
  const card = h("section", { class: wide ? "card wide" : "card" });
  const main = h("main", { class: "auth", id: "main" }, wordmark(), card);
  const appVersion = document.documentElement.dataset.version;
  // Releases read "# v1.2.3"; an unstamped build says what it is ("# dev").
  const tag = appVersion && /^\d/.test(appVersion) ? `# v${appVersion}` : `# ${appVersion}`;
  replace(root, main, version && appVersion ? h("p", { class: "version-tag" }, tag) : null);
  return card;
}

/** alertBox is the error/notice box above a form; set(text, kind) shows it. */
export function alertBox() {
  const el = h("div", { class: "alert", role: "alert", hidden: true });
  return {
    el,
    set(text, kind = "error") {
      el.className = kind === "error" ? "alert" : `alert ${kind}`;
      el.setAttribute("role", kind === "error" ? "alert" : "status");
      el.textContent = text || "";
      el.hidden = !text;
    },
  };
}

/** registerServiceWorker installs /sw.js; failures are silent (no offline shell). */
export function registerServiceWorker() {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
}
