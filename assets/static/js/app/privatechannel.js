// Private channels (client.md §6.2): the "New Private Channel" dialog
// (name and members, POST /api/v1/channels), renaming (PATCH
// /api/v1/channels/{id}) and leaving (DELETE …/members/me). Adding
// members lives in the Members dialog (members.js).

import { post, patch, del, ApiError } from "../lib/api.js";
import { h, id as uid } from "../lib/dom.js";
import { openDialog } from "../ui/dialog.js";
import { toast } from "../ui/toast.js";
import { nav, userList } from "./context.js";
import { userField } from "./userfield.js";
import { resolveNames, unknownText, openConversation } from "./newdm.js";

/** NAME_MAX is the longest channel name, in characters. */
export const NAME_MAX = 80;

function reason(err, rateText) {
  if (err instanceof ApiError && err.status === 429) return err.message && err.code !== "rate_limited" ? err.message : rateText;
  if (err instanceof ApiError && err.code === "network") return "you appear to be offline";
  return (err && err.message) || "unknown error";
}

/** nameField is a channel-name input with the inline 80-character rule. */
function nameField(label, value = "") {
  const fid = uid("chan-name");
  const eid = uid("chan-name-err");
  const input = h("input", { type: "text", id: fid, name: "name", placeholder: "e.g. minimost-enjoyers", autocomplete: "off", "aria-describedby": eid });
  input.value = value;
  const error = h("p", { class: "field-error", id: eid, "aria-live": "polite" });
  const check = () => {
    const n = [...input.value.trim()].length;
    const bad = n > NAME_MAX;
    error.textContent = bad ? `Channel name must be ${NAME_MAX} characters or fewer (${n}/${NAME_MAX}).` : "";
    input.setAttribute("aria-invalid", String(bad));
    return !bad;
  };
  input.addEventListener("input", check);
  return { el: h("div", { class: "field" }, h("label", { for: fid }, label), input, error), input, check };
}

/** openNewPrivateChannel shows the create dialog (the "+" of PRIVATE CHANNELS). */
export function openNewPrivateChannel() {
  if (!nav.state) return null;
  const name = nameField("Channel name");
  const mid = uid("chan-members");
  const members = h("input", { type: "text", id: mid, name: "members" });
  const create = h("button", { type: "button", class: "btn primary" }, "Create");
  const cancel = h("button", { type: "button", class: "btn" }, "Cancel");
  const field = userField(members, {
    users: userList,
    list: true,
    exclude: () => new Set([nav.state.me.username.toLowerCase()]),
    onSubmit: () => submit(),
  });
  name.input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.isComposing) {
      e.preventDefault();
      submit();
    }
  });
  const dlg = openDialog({
    key: "new-private",
    title: "New Private Channel",
    className: "new-private",
    content: [name.el, h("div", { class: "field" }, h("label", { for: mid }, "Members"), field.el)],
    foot: [cancel, create],
    initialFocus: name.input,
  });
  cancel.addEventListener("click", () => dlg.close());
  create.addEventListener("click", () => submit());
  let busy = false;

  async function submit() {
    if (busy) return;
    const text = name.input.value.trim();
    if (!text) {
      name.input.focus();
      return;
    }
    if (!name.check()) {
      name.input.focus();
      return;
    }
    const { names, unknown } = resolveNames(field.names());
    if (unknown.length) {
      toast(unknownText(unknown));
      members.focus();
      return;
    }
    busy = true;
    create.disabled = true;
    try {
      const channel = await post("/api/v1/channels", { name: text, members: names });
      dlg.close();
      openConversation(channel);
    } catch (err) {
      if (!(err instanceof ApiError && err.handled)) {
        toast(`Failed to create channel: ${reason(err, "You're creating channels too quickly. Please slow down.")}`);
      }
    } finally {
      busy = false;
      create.disabled = false;
    }
  }
  return dlg;
}

/** openRename shows "Rename Channel" for a private channel (the name bar's pencil). */
export function openRename(channel) {
  const name = nameField("Channel name", channel.name || "");
  const save = h("button", { type: "button", class: "btn primary" }, "Rename");
  const cancel = h("button", { type: "button", class: "btn" }, "Cancel");
  const dlg = openDialog({
    key: "rename-channel",
    title: "Rename Channel",
    className: "rename-channel",
    content: name.el,
    foot: [cancel, save],
    initialFocus: name.input,
  });
  name.input.select();
  cancel.addEventListener("click", () => dlg.close());
  let busy = false;
  async function submit() {
    if (busy) return;
    const text = name.input.value.trim();
    if (!text || !name.check()) {
      name.input.focus();
      return;
    }
    if (text === channel.name) {
      dlg.close();
      return;
    }
    busy = true;
    save.disabled = true;
    try {
      const updated = await patch(`/api/v1/channels/${channel.id}`, { name: text });
      if (updated && updated.id != null) nav.state.upsertChannel(updated);
      dlg.close();
    } catch (err) {
      if (!(err instanceof ApiError && err.handled)) toast(`Failed to rename channel: ${reason(err, "You're doing that too quickly. Please slow down.")}`);
    } finally {
      busy = false;
      save.disabled = false;
    }
  }
  save.addEventListener("click", submit);
  name.input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.isComposing) {
      e.preventDefault();
      submit();
    }
  });
  return dlg;
}

/** leaveChannel leaves a private channel and moves to the first public one. */
export async function leaveChannel(channel) {
  await del(`/api/v1/channels/${channel.id}/members/me`);
  nav.state.removeChannel(channel.id);
}
