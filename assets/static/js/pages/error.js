// The error page (client.md §2.7): the status, a generic message and a way
// home. It has no version tag and links no manifest.

import { h } from "../lib/dom.js";
import { authPage } from "./chrome.js";

export const messages = {
  400: "Bad request.",
  403: "You do not have permission to access this resource.",
  404: "The requested resource was not found.",
  405: "Method not allowed.",
  413: "The request is too large.",
  429: "Too many requests. Please slow down and try again.",
  500: "An internal error occurred. Please try again later.",
};

export function render(root, status) {
  const code = messages[status] ? status : 500;
  const card = authPage(root, { title: String(status), version: false });
  card.append(
    h("h1", { class: "status-code" }, String(status)),
    h("div", { class: "alert", role: "alert" }, messages[code]),
    h("p", { class: "foot" }, h("a", { href: "/" }, "Return home")),
  );
}
