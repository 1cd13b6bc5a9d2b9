// Forgot password (client.md §2.4): resets are an administrator's job.

import { h } from "../lib/dom.js";
import { authPage, registerServiceWorker } from "./chrome.js";

export function render(root) {
  const card = authPage(root, { title: "Forgot Password" });
  card.append(
    h("h1", null, "Forgot your password?"),
    h("p", null, "Passwords are reset by an administrator of this server. Ask one to run:"),
    h("pre", { class: "command", tabindex: "0", "aria-label": "Command for the administrator" }, "minimostctl reset-password <your-username>"),
    h(
      "p",
      null,
      "They will send you a one-time link to choose a new password. The link expires after 60 minutes by default.",
    ),
    h("hr"),
    h("p", { class: "foot" }, h("a", { href: "/login" }, "Back to login")),
  );
  registerServiceWorker();
}
