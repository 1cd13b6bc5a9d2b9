// Toasts (client.md §13.1): bottom-centre stack in a polite status
// region; each stays 5 s, then fades over 0.2 s. They never block clicks.

import { h } from "../lib/dom.js";
import { ApiError, errorText } from "../lib/api.js";

const SHOW_MS = 5000;
const FADE_MS = 200;

function region() {
  let el = document.getElementById("toasts");
  if (!el) {
    el = h("div", { id: "toasts", class: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(el);
  }
  return el;
}

/** toast shows a message (plain text). */
export function toast(text) {
  const el = h("div", { class: "toast" }, text);
  region().append(el);
  setTimeout(() => {
    el.classList.add("leaving");
    setTimeout(() => el.remove(), FADE_MS);
  }, SHOW_MS);
  return el;
}

/**
 * toastError shows the server's text for a failed call, else fallback;
 * errors the client already handled (a 401 on its way to the login page)
 * show nothing.
 */
export function toastError(err, fallback) {
  if (err instanceof ApiError && err.handled) return null;
  return toast(errorText(err, fallback));
}
