// The New DM dialog (client.md §6.1): usernames, comma-separated, with
// suggestions; Start checks them against the accounts (real spelling,
// duplicates collapse, unknown names refused), adds you and asks the
// server for the conversation of that set (POST /api/v1/dms: the same set
// always gives the same channel), then opens it with the composer focused.

import { post } from "../lib/api.js";
import { h, id as uid } from "../lib/dom.js";
import { openDialog } from "../ui/dialog.js";
import { toast, toastError } from "../ui/toast.js";
import { nav, userList, isMe } from "./context.js";
import { userField } from "./userfield.js";

/** MAX_OTHERS: a DM holds at most 9 members, you included. */
const MAX_OTHERS = 8;

/**
 * resolveNames maps typed names to the accounts' spelling, without
 * duplicates or you; {names, unknown}. Without a loaded account list the
 * names pass unchecked and the server decides.
 */
export function resolveNames(typed) {
  const byKey = new Map(userList().map((u) => [u.username.toLowerCase(), u.username]));
  const names = [];
  const unknown = [];
  const seen = new Set();
  for (const t of typed) {
    const key = t.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    if (isMe(t)) continue;
    if (byKey.size && !byKey.has(key)) unknown.push(t);
    else names.push(byKey.get(key) || t);
  }
  return { names, unknown };
}

/** unknownText is the refusal for names with no account (§6.1). */
export function unknownText(unknown) {
  return unknown.length === 1 ? `There's no account named "${unknown[0]}".` : `No accounts named: ${unknown.join(", ")}.`;
}

/** openConversation makes a channel known, opens it and focuses the composer. */
export function openConversation(channel) {
  nav.state.upsertChannel(channel);
  nav.state.open(channel.id);
  nav.composer?.focus();
}

/** startDM opens the conversation with these people (client.md §6.3 too). */
export async function startDM(others) {
  const channel = await post("/api/v1/dms", { members: [nav.state.me.username, ...others] });
  openConversation(channel);
  return channel;
}

/** openNewDM shows the dialog (New DM, the "+" of DIRECT MESSAGES, `o`). */
export function openNewDM() {
  if (!nav.state) return null;
  const fieldId = uid("dm-names");
  const input = h("input", { type: "text", id: fieldId, name: "members", class: "dm-names" });
  const start = h("button", { type: "button", class: "btn primary" }, "Start");
  const cancel = h("button", { type: "button", class: "btn" }, "Cancel");
  let busy = false;
  const field = userField(input, {
    users: userList,
    list: true,
    exclude: () => new Set([nav.state.me.username.toLowerCase()]),
    onSubmit: () => submit(),
  });
  const dlg = openDialog({
    key: "new-dm",
    title: "Start Direct Message",
    className: "new-dm",
    content: h("div", { class: "field" }, h("label", { for: fieldId }, "Enter usernames (comma separated)"), field.el),
    foot: [cancel, start],
    initialFocus: input,
  });
  cancel.addEventListener("click", () => dlg.close());
  start.addEventListener("click", () => submit());

  async function submit() {
    if (busy) return;
    const { names, unknown } = resolveNames(field.names());
    if (unknown.length) {
      toast(unknownText(unknown));
      input.focus();
      return;
    }
    if (names.length === 0) {
      toast("Pick someone to message.");
      input.focus();
      return;
    }
    if (names.length > MAX_OTHERS) {
      toast(`A conversation can have at most ${MAX_OTHERS} other people.`);
      input.focus();
      return;
    }
    busy = true;
    start.disabled = true;
    try {
      const channel = await post("/api/v1/dms", { members: [nav.state.me.username, ...names] });
      dlg.close();
      openConversation(channel);
    } catch (err) {
      toastError(err, "Couldn't start the conversation.");
      input.focus();
    } finally {
      busy = false;
      start.disabled = false;
    }
  }
  return dlg;
}
