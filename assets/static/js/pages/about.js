// About (client.md §2.6): what MiniMost is, for someone about to sign up.

import { h } from "../lib/dom.js";
import { authPage } from "./chrome.js";

const features = [
  ["⚡", "Sign up in seconds"],
  ["🔒", "Your password stays secret"],
  ["📁", "Messages are read-protected"],
  ["📞", "Voice, video & screen sharing"],
  ["🔍", "Every message is saved & searchable"],
  ["📷", "Images show up inline"],
  ["💬", "Group chats that just keep going"],
  ["🖥", "Works on Linux and Windows"],
  ["👀", "Presence, typing & @mentions"],
];

export function render(root) {
  const card = authPage(root, { title: "What is MiniMost?", wide: true });
  card.classList.add("about");
  card.append(
    h("h1", null, "What is MiniMost?"),
    h(
      "p",
      null,
      "MiniMost is a team chat that runs on a server of your own. If you have used Skype or " +
        "Office Communicator, you already know how it works: channels, direct messages, files " +
        "and calls. Everything you write stays on this machine, not in someone else's cloud.",
    ),
    h("p", { class: "cta" }, h("a", { class: "btn primary", href: "/signup" }, "Create your account →")),
    h("p", { class: "note" }, "It takes about ten seconds, and you can delete the account just as easily."),
    h("h2", null, "Why you'll like it"),
    h(
      "ul",
      { class: "features" },
      features.map(([emoji, text]) => h("li", null, h("span", { "aria-hidden": "true" }, emoji), h("span", null, text))),
    ),
    h("p", { class: "cta" }, h("a", { class: "btn primary", href: "/signup" }, "Get started →")),
    h("hr"),
    h("p", { class: "foot" }, "Already have an account? ", h("a", { href: "/login" }, "Log in")),
  );
}
