// The Members dialog (client.md §6.3): who is in the open conversation,
// from GET /api/v1/channels/{id}/members, yours first, with live presence,
// a fuzzy filter and a "Direct message" button per person. Private
// channels add "Add Member" (POST …/members) and "Leave channel" with an
// in-place confirmation (§6.2). It follows the channel live: a member
// added or removed elsewhere shows up while it is open.

import { get, post, ApiError } from "../lib/api.js";
import { h, id as uid, replace } from "../lib/dom.js";
import { paintName } from "../lib/names.js";
import { openDialog } from "../ui/dialog.js";
import { toast, toastError } from "../ui/toast.js";
import { nav, userList, isMe } from "./context.js";
import { rank, markPositions } from "./fuzzy.js";
import { userAvatar } from "./presence.js";
import { userField } from "./userfield.js";
import { startDM } from "./newdm.js";
import { leaveChannel } from "./privatechannel.js";

/** memberCount is the top bar's number (§6.3): everyone for public channels. */
export function memberCount(c) {
  if (!c) return 0;
  if (c.kind === "public") return userList().length;
  return (c.members || []).length;
}

function reason(err) {
  if (err instanceof ApiError && err.status === 404) return "user not found";
  if (err instanceof ApiError && err.status === 409) return "already a member";
  if (err instanceof ApiError && err.code === "network") return "you appear to be offline";
  return (err && err.message) || "unknown error";
}

/** openMembers shows the dialog for the open conversation. */
export function openMembers() {
  const state = nav.state;
  const c = state && state.channel;
  if (!c) return null;
  const searchId = uid("members-search");
  const search = h("input", { type: "search", id: searchId, class: "members-search", placeholder: "Search members…", "aria-label": "Search members", autocomplete: "off" });
  const list = h("ul", { class: "member-list", "aria-label": "Members" });
  const status = h("p", { class: "members-status", role: "status" }, "Loading…");
  let members = [];

  function row(u, positions) {
    const me = isMe(u.username);
    const name = paintName(h("span", { class: "member-name" }, markPositions(u.username, positions), me ? " (you)" : ""), u, "--surface");
    const info = h("div", { class: "member-info" }, name, u.bio ? h("span", { class: "member-bio" }, u.bio) : null);
    const li = h("li", { class: "member" }, userAvatar(u, 40), info);
    if (!me && !u.deleted) {
      const dm = h("button", { type: "button", class: "btn member-dm", "aria-label": `Direct message ${u.username}` }, "Direct message");
      dm.addEventListener("click", async () => {
        dlg.close();
        try {
          await startDM([u.username]);
        } catch (err) {
          toastError(err, "Couldn't start the conversation.");
        }
      });
      li.append(h("div", { class: "member-actions" }, dm));
    }
    return li;
  }

  function draw() {
    const q = search.value.trim();
    const sorted = [...members].sort((a, b) => (isMe(b.username) ? 1 : 0) - (isMe(a.username) ? 1 : 0));
    const found = rank(sorted, q, (u) => u.username);
    replace(list, found.map(({ item, positions }) => row(item, positions)));
    status.hidden = found.length > 0 || members.length === 0;
    if (!status.hidden) status.textContent = "No matching members";
  }

  let ticket = 0;
  async function load() {
    const t = ++ticket;
    try {
      const got = await get(`/api/v1/channels/${c.id}/members`);
      if (t !== ticket) return;
      members = (Array.isArray(got) ? got : []).map((u) => ({ ...nav.users.get(u.username), ...u }));
      status.hidden = true;
      draw();
    } catch (err) {
      if (t !== ticket) return;
      if (err instanceof ApiError && err.handled) return;
      status.hidden = false;
      status.textContent = "Failed to load members.";
    }
  }
  search.addEventListener("input", draw);

  const parts = [h("div", { class: "field" }, search), status, list];
  if (c.kind === "private") parts.push(addSection(c, load), leaveSection(c, () => dlg.close()));
  const dlg = openDialog({
    key: "members",
    title: c.kind === "private" ? `Members: ${c.name}` : "Members",
    className: "members",
    content: parts,
    initialFocus: search,
    onClose() {
      state.removeEventListener("channels", onChannels);
    },
  });
  // A membership change elsewhere redraws the list while it is open.
  let known = JSON.stringify(c.members || null);
  function onChannels(e) {
    if (!e.detail.ids.includes(c.id)) return;
    const now = state.channels.get(c.id);
    if (!now) {
      dlg.close();
      return;
    }
    const m = JSON.stringify(now.members || null);
    if (m !== known) {
      known = m;
      load();
    }
  }
  state.addEventListener("channels", onChannels);
  load();
  return dlg;
}

function addSection(c, reload) {
  const fid = uid("add-member");
  const input = h("input", { type: "text", id: fid, name: "username", placeholder: "Username" });
  const add = h("button", { type: "button", class: "btn" }, "Add");
  let busy = false;
  const field = userField(input, {
    users: userList,
    dots: true,
    exclude: () => new Set((nav.state.channels.get(c.id)?.members || c.members || []).map((n) => n.toLowerCase())),
    onSubmit: () => submit(),
  });
  async function submit() {
    const name = input.value.trim();
    if (!name || busy) {
      input.focus();
      return;
    }
    busy = true;
    add.disabled = true;
    try {
      await post(`/api/v1/channels/${c.id}/members`, { username: name });
      input.value = "";
      const cur = nav.state.channels.get(c.id);
      const real = userList().find((u) => u.username.toLowerCase() === name.toLowerCase());
      if (cur && !(cur.members || []).some((n) => n.toLowerCase() === name.toLowerCase())) {
        nav.state.upsertChannel({ ...cur, members: [...(cur.members || []), real ? real.username : name] });
      } else reload();
    } catch (err) {
      if (!(err instanceof ApiError && err.handled)) toast(`Failed to add member: ${reason(err)}`);
    } finally {
      busy = false;
      add.disabled = false;
      input.focus();
    }
  }
  add.addEventListener("click", submit);
  return h(
    "section",
    { class: "members-add", "aria-labelledby": `${fid}-title` },
    h("h3", { class: "section-title", id: `${fid}-title` }, "Add Member"),
    h("label", { for: fid, class: "visually-hidden" }, "Username to add"),
    h("div", { class: "add-row" }, field.el, add),
  );
}

function leaveSection(c, closeDialog) {
  const leave = h("button", { type: "button", class: "btn danger" }, "Leave channel");
  const confirm = h("div", { class: "leave-confirm", hidden: true, role: "group", "aria-label": "Confirm leaving" });
  const yes = h("button", { type: "button", class: "btn danger-solid" }, "Leave");
  const no = h("button", { type: "button", class: "btn" }, "Cancel");
  replace(confirm, h("p", null, `Leave "${c.name}"? You'll need an invite from a member to rejoin.`), h("div", { class: "foot-row" }, no, yes));
  leave.addEventListener("click", () => {
    leave.hidden = true;
    confirm.hidden = false;
    no.focus();
  });
  no.addEventListener("click", () => {
    confirm.hidden = true;
    leave.hidden = false;
    leave.focus();
  });
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    try {
      closeDialog();
      await leaveChannel(c);
    } catch (err) {
      toastError(err, "Couldn't leave the channel.");
    } finally {
      yes.disabled = false;
    }
  });
  return h("div", { class: "members-leave" }, leave, confirm);
}
