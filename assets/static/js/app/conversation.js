// The conversation column (client.md §3.1, §3.5, §4): the message list, a
// log region labelled "Messages". This foundation draws the empty states
// and a plain, escape-first list; the full message view (grouping,
// dividers, formatting, paging, live updates) replaces drawMessages.

import { get, ApiError } from "../lib/api.js";
import { h, replace } from "../lib/dom.js";
import { paintName } from "../lib/names.js";
import { toastError } from "../ui/toast.js";
import { label } from "./state.js";

/** startText is the §3.5 line for an empty conversation. */
export function startText(c, me) {
  if (c.kind === "dm") {
    const others = (c.members || []).filter((m) => m.toLowerCase() !== me.username.toLowerCase());
    const names = (others.length ? others : [label(c)]).map((n) => `@${n}`).join(", ");
    return `This is the start of your conversation with ${names}`;
  }
  return c.kind === "public" ? `This is the start of #${label(c)}` : `This is the start of ${label(c)}`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });

export function conversation(state) {
  const list = h("div", {
    class: "message-list scroll",
    id: "messages",
    role: "log",
    "aria-label": "Messages",
    "aria-live": "polite",
    tabindex: "0",
    "data-focus-fallback": "",
  });
  const el = h("section", { class: "conversation", "aria-labelledby": "channel-title" }, list);
  let loading = 0;

  function emptyWelcome() {
    replace(
      list,
      h(
        "div",
        { class: "empty-state" },
        h("h2", null, `Welcome to MiniMost, ${state.me.username}!`),
        h("p", null, state.channelsKnown ? "You have no conversations yet." : "There are no conversations to show yet."),
      ),
    );
  }

  function emptyConversation(c) {
    replace(list, h("div", { class: "empty-state" }, h("h2", null, startText(c, state.me)), h("p", null, "Send a message to get things going.")));
  }

  function drawMessages(c, messages) {
    const shown = messages.filter((m) => !m.deleted);
    if (shown.length === 0) {
      emptyConversation(c);
      return;
    }
    list.setAttribute("aria-busy", "true");
    replace(
      list,
      shown.map((m) =>
        h(
          "article",
          { class: "msg", "data-id": String(m.id) },
          h(
            "header",
            { class: "msg-head" },
            paintName(h("span", { class: "msg-author" }, m.author), { username: m.author }),
            " ",
            h("time", { datetime: new Date(m.created_at).toISOString() }, timeFormat.format(new Date(m.created_at))),
          ),
          h("div", { class: "msg-text" }, m.text),
        ),
      ),
    );
    list.removeAttribute("aria-busy");
    list.scrollTop = list.scrollHeight;
  }

  async function open() {
    const c = state.channel;
    const ticket = ++loading;
    if (!c) {
      emptyWelcome();
      return;
    }
    replace(list);
    try {
      const page = await get(`/api/v1/channels/${c.id}/messages?limit=100`);
      if (ticket !== loading) return;
      drawMessages(c, (page && page.messages) || []);
    } catch (err) {
      if (ticket !== loading) return;
      // No message history on this server yet: the conversation is empty.
      if (err instanceof ApiError && err.status === 404) emptyConversation(c);
      else toastError(err, "Couldn't load messages.");
    }
  }

  state.addEventListener("open", open);
  open();
  return { el, list };
}
