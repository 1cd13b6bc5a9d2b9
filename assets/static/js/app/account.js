// The Account dialog (client.md §7.1): header with your avatar, name,
// "Sign out" (at once, §2.8) and "×" (which takes the focus); avatar,
// bio and name colour, applied together on Save; the change-password and
// delete-account views; the presence rows ("SET YOURSELF AS"), which
// apply at once (PUT /api/v1/me/presence-override), not on Save.

import { get, post, put, patch, del, setCsrf, holdSessionEnd, ApiError } from "../lib/api.js";
import { h, id, replace } from "../lib/dom.js";
import { avatar, paintName } from "../lib/names.js";
import { loadPolicy, checklist, matchLine, passwordField, firstFailure } from "../lib/password.js";
import { openDialog } from "../ui/dialog.js";
import { icon } from "../ui/icons.js";
import { toast, toastError } from "../ui/toast.js";
import { userAvatar, overrideChoice, setOverride } from "./presence.js";

export const BIO_MAX = 160;

/** swatches are the 72 name colours of client.md Appendix C, by group. */
export const swatches = [
  ["Red", ["#ff4d4d", "#e06c75", "#d62828", "#c9184a", "#ff0054", "#ff6666"]],
  ["Pink", ["#ff6b9d", "#f72585", "#ff8fa3", "#f48fb1", "#ff85a1", "#e91e8c"]],
  ["Orange", ["#fb5607", "#ff7f2a", "#e76f51", "#ff6f61", "#ff9500", "#ff8c42"]],
  ["Yellow", ["#d19a66", "#e5c07b", "#ffd93d", "#ffb703", "#f9c74f", "#e9c46a"]],
  ["Lime", ["#c5e063", "#b5e48c", "#a7c957", "#90be6d", "#8fc93a", "#d4e157"]],
  ["Green", ["#98c379", "#6bcb77", "#52b788", "#2dc653", "#80ed99", "#b7e4c7"]],
  ["Teal", ["#43aa8b", "#57cc99", "#2ec4b6", "#14b8a6", "#4ecdc4", "#a8dadc"]],
  ["Sky blue", ["#56b6c2", "#00b4d8", "#48cae4", "#90e0ef", "#ade8f4", "#0096c7"]],
  ["Blue", ["#61afef", "#4d96ff", "#3a86ff", "#4895ef", "#4361ee", "#0891b2"]],
  ["Indigo", ["#6741d9", "#7c3aed", "#845ef7", "#6c5ce7", "#6c63ff", "#a78bfa"]],
  ["Purple", ["#c678dd", "#7209b7", "#9d4edd", "#b5179e", "#d0a0f0", "#7b2ff7"]],
  ["Lavender and neutral", ["#da77f2", "#e2d9f3", "#c0b9dd", "#ffffff", "#cccccc", "#aaaaaa"]],
];

/** signOut ends this session and shows the login page's notice. */
export async function signOut() {
  holdSessionEnd(true);
  try {
    await post("/api/v1/logout", undefined, { public: true });
  } catch (err) {
    // A session that had already ended is signed out all the same.
    if (!(err instanceof ApiError) || err.status !== 401) {
      holdSessionEnd(false);
      toast(err instanceof ApiError && err.code === "network" ? "Couldn't sign out: you appear to be offline." : "Couldn't sign out. Please try again.");
      return;
    }
  }
  window.location.assign("/login?logged_out=1");
}

/**
 * squareJPEG centre-crops an image file to a square, scales it to 128×128
 * and re-encodes it as JPEG at quality 0.88 (§7.1).
 */
export async function squareJPEG(file, size = 128) {
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const side = Math.min(img.naturalWidth, img.naturalHeight);
    const canvas = document.createElement("canvas");
    canvas.width = size;
    canvas.height = size;
    const g = canvas.getContext("2d");
    g.drawImage(img, (img.naturalWidth - side) / 2, (img.naturalHeight - side) / 2, side, side, 0, 0, size, size);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.88));
    if (!blob) throw new Error("encoding failed");
    return blob;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** openAccount shows the dialog; onSaved(user) runs after a Save. */
export function openAccount(state, { onSaved } = {}) {
  const me = state.me;
  const settings = state.settings || {};
  const initial = { color: settings.name_color ?? me.name_color ?? null, bio: settings.bio ?? me.bio ?? "" };
  // Pending edits, applied on Save.
  const edit = { color: initial.color, bio: initial.bio, avatar: null, removeAvatar: false };

  const out = h("button", { type: "button", class: "btn danger", "data-action": "sign-out" }, icon("power"), "Sign out");
  out.addEventListener("click", () => {
    out.disabled = true;
    signOut().finally(() => {
      out.disabled = false;
    });
  });
  const headAvatar = h("span", { class: "head-avatar" }, userAvatar(me, 48));

  // AVATAR
  const preview = h("span", { class: "avatar-preview" });
  let previewURL = null;
  function drawPreview() {
    if (previewURL) URL.revokeObjectURL(previewURL);
    previewURL = null;
    if (edit.avatar) {
      previewURL = URL.createObjectURL(edit.avatar);
      replace(preview, h("span", { class: "avatar", style: { width: "64px", height: "64px" } }, h("img", { src: previewURL, alt: "New avatar preview" })));
    } else if (edit.removeAvatar) {
      replace(preview, avatar({ ...me, has_avatar: false, name_color: edit.color }, 64));
    } else {
      replace(preview, avatar({ ...me, name_color: edit.color }, 64));
    }
  }
  const fileInput = h("input", {
    type: "file",
    accept: "image/*",
    class: "visually-hidden",
    id: id("avatar-file"),
    tabindex: "-1",
    "aria-label": "Avatar image file",
  });
  const upload = h("button", { type: "button", class: "btn" }, "Upload Image");
  upload.addEventListener("click", () => fileInput.click());
  const maxMB = Number(settings.max_avatar_size_mb) || 5;
  fileInput.addEventListener("change", async () => {
    const file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    if (!file) return;
    if (file.size > maxMB * 1024 * 1024) {
      toast(`Avatar image must be under ${maxMB} MB.`);
      return;
    }
    try {
      edit.avatar = await squareJPEG(file);
      edit.removeAvatar = false;
      drawPreview();
    } catch {
      toast("That file could not be read as an image.");
    }
  });
  const remove = h("button", { type: "button", class: "link-btn" }, "Remove avatar");
  remove.addEventListener("click", () => {
    edit.avatar = null;
    edit.removeAvatar = true;
    drawPreview();
  });

  // PROFILE
  const bioId = id("bio");
  const bio = h("textarea", { id: bioId, maxlength: String(BIO_MAX), rows: "3", placeholder: "Tell people a little about yourself…" });
  bio.value = initial.bio;
  const counter = h("p", { class: "counter", "aria-live": "polite" });
  const drawCounter = () => {
    counter.textContent = `${[...bio.value].length}/${BIO_MAX}`;
  };
  bio.addEventListener("input", () => {
    edit.bio = bio.value;
    drawCounter();
  });
  drawCounter();

  // APPEARANCE
  const chip = h("span", { class: "name-chip" }, me.username);
  const picker = h("input", { type: "color", "aria-label": "Pick any name colour" });
  const resetColor = h("button", { type: "button", class: "link-btn" }, "Reset to default");
  const swatchButtons = [];
  const swatchRow = h(
    "div",
    { class: "swatches", role: "group", "aria-label": "Name colours" },
    swatches.flatMap(([group, colors]) =>
      colors.map((c, i) => {
        const b = h("button", { type: "button", class: "swatch", "aria-label": `${group} ${i + 1} (${c})`, title: c, "aria-pressed": "false", style: { background: c } });
        b.addEventListener("click", () => setColor(c));
        swatchButtons.push([c, b]);
        return b;
      }),
    ),
  );
  function setColor(c) {
    edit.color = c;
    paintName(chip, { username: me.username, name_color: c }, "--code-bg");
    picker.value = c || "#888888";
    for (const [sc, b] of swatchButtons) b.setAttribute("aria-pressed", String(sc === c));
    if (!edit.avatar && !me.has_avatar) drawPreview();
  }
  picker.addEventListener("input", () => setColor(picker.value.toLowerCase()));
  resetColor.addEventListener("click", () => setColor(null));

  // PASSWORD and DANGER ZONE open sub-views in place of the sections.
  const changePw = h("button", { type: "button", class: "btn" }, "Change Password");
  const softDelete = h("button", { type: "button", class: "btn danger" }, "Soft Delete Account");
  const hardDelete = h("button", { type: "button", class: "btn danger" }, "Hard Delete Account");

  const sections = h(
    "div",
    { class: "account-sections" },
    presenceRows(),
    h("h3", { class: "section-title" }, "Avatar"),
    h("div", { class: "avatar-row" }, preview, h("div", { class: "avatar-actions" }, upload, remove), fileInput),
    h("h3", { class: "section-title" }, "Profile"),
    h("div", { class: "field" }, h("label", { for: bioId }, "Bio"), bio, counter),
    h("h3", { class: "section-title" }, "Appearance"),
    h("div", { class: "field" }, h("span", { class: "label" }, "Name Color"), h("div", { class: "color-row" }, chip, picker, resetColor), swatchRow),
    h("h3", { class: "section-title" }, "Password"),
    changePw,
    h("h3", { class: "section-title danger-title" }, "Danger zone"),
    h("div", { class: "danger-row" }, softDelete, hardDelete),
  );
  const view = h("div", null, sections);

  const save = h("button", { type: "button", class: "btn primary" }, "Save");
  const cancel = h("button", { type: "button", class: "btn" }, "Cancel");

  const dlg = openDialog({
    key: "account",
    title: me.username,
    className: "account",
    headStart: headAvatar,
    headEnd: out,
    content: view,
    foot: [cancel, save],
    onClose() {
      if (previewURL) URL.revokeObjectURL(previewURL);
    },
  });
  const foot = dlg.el.querySelector(".dlg-foot");
  setColor(initial.color);
  drawPreview();

  function back() {
    replace(view, sections);
    foot.hidden = false;
  }

  cancel.addEventListener("click", () => dlg.close());
  save.addEventListener("click", async () => {
    save.disabled = true;
    try {
      let user = me;
      if (edit.avatar) {
        const form = new FormData();
        form.append("file", edit.avatar, "avatar.jpg");
        user = (await put("/api/v1/me/avatar", form)).user;
      } else if (edit.removeAvatar && me.has_avatar) {
        await del("/api/v1/me/avatar");
        user = { ...user, has_avatar: false };
      }
      const body = {};
      if (edit.color !== initial.color) body.name_color = edit.color;
      if (edit.bio.trim() !== initial.bio) body.bio = edit.bio;
      let saved = null;
      if (Object.keys(body).length) saved = await patch("/api/v1/me/settings", body);
      const next = { ...user, name_color: saved ? saved.name_color : edit.color, bio: saved ? saved.bio : edit.bio.trim() };
      state.setMe(next, saved);
      if (onSaved) onSaved(next);
      dlg.close();
    } catch (err) {
      if (err instanceof ApiError && err.handled) return;
      if (err instanceof ApiError && err.status === 429) {
        toast(err.message && err.code !== "rate_limited" ? err.message : "You're updating your avatar too quickly. Please slow down.");
      } else {
        toast("Failed to save account.");
      }
    } finally {
      save.disabled = false;
    }
  });

  changePw.addEventListener("click", () => passwordView(view, foot, back, state));
  softDelete.addEventListener("click", () => deleteView(view, foot, back, "soft"));
  hardDelete.addEventListener("click", () => deleteView(view, foot, back, "hard"));
  return dlg;
}

/** PRESENCE_CHOICES are the rows of "SET YOURSELF AS" (§7.1) and what each sends. */
const PRESENCE_CHOICES = [
  ["Automatic", null, "auto"],
  ["Online", "active", "active"],
  ["Away", "idle", "idle"],
  ["Offline", "hidden", "offline"],
];

/** presenceRows is the "SET YOURSELF AS" group; a choice applies at once. */
function presenceRows() {
  const titleId = id("presence-title");
  const name = id("presence");
  let current = overrideChoice();
  const inputs = [];
  const rows = PRESENCE_CHOICES.map(([text, value, look]) => {
    const input = h("input", { type: "radio", name, value: value || "auto", class: "visually-hidden" });
    input.checked = value === current;
    inputs.push([input, value]);
    input.addEventListener("change", async () => {
      if (!input.checked) return;
      try {
        await setOverride(value);
        current = value;
      } catch (err) {
        toastError(err, "Couldn't change your status.");
        for (const [i, v] of inputs) i.checked = v === current;
      }
    });
    return h("label", { class: "presence-choice" }, input, h("span", { class: "choice-dot", "data-look": look, "aria-hidden": "true" }), text);
  });
  return h(
    "div",
    { class: "presence-choices", role: "radiogroup", "aria-labelledby": titleId },
    h("h3", { class: "section-title", id: titleId }, "Set yourself as"),
    rows,
  );
}

/** statusLine is a polite live line for a sub-view's outcome. */
function statusLine() {
  const el = h("p", { class: "status-line", role: "status", "aria-live": "polite" });
  return {
    el,
    set(text, kind = "bad") {
      el.className = text ? `status-line ${kind}` : "status-line";
      el.textContent = text || "";
    },
  };
}

async function passwordView(view, foot, back, state) {
  foot.hidden = true;
  const current = passwordField({ label: "Current password", name: "current_password", autocomplete: "current-password" });
  const next = passwordField({ label: "New password", name: "new_password", autocomplete: "new-password" });
  const confirm = passwordField({ label: "Confirm new password", name: "confirm", autocomplete: "new-password" });
  const slot = h("div");
  const match = matchLine();
  const status = statusLine();
  const submit = h("button", { type: "submit", class: "btn primary", disabled: true }, "Change password");
  const cancel = h("button", { type: "button", class: "btn" }, "Cancel");
  cancel.addEventListener("click", back);
  const form = h(
    "form",
    { class: "subview", novalidate: true, "aria-labelledby": "pw-view-title" },
    h("h3", { id: "pw-view-title", class: "subview-title" }, "Change password"),
    current.field,
    next.field,
    slot,
    confirm.field,
    match.el,
    status.el,
    h("div", { class: "foot-row" }, cancel, submit),
  );
  replace(view, form);
  current.input.focus();

  const policy = await loadPolicy();
  const list = checklist(policy);
  slot.replaceWith(list.el);
  let busy = false;
  const validate = () => {
    const rulesOk = list.update(next.input.value);
    const matchOk = match.update(next.input.value, confirm.input.value);
    submit.disabled = busy || !(rulesOk && matchOk);
    return rulesOk && matchOk;
  };
  next.input.addEventListener("input", validate);
  confirm.input.addEventListener("input", validate);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (busy || !validate()) return;
    if (!current.input.value) {
      status.set("Please enter your current password.");
      current.input.focus();
      return;
    }
    busy = true;
    submit.disabled = true;
    submit.textContent = "Changing…";
    try {
      await post("/api/v1/me/password", { current_password: current.input.value, new_password: next.input.value });
      for (const f of [current, next, confirm]) f.input.value = "";
      validate();
      status.set("Password changed.", "ok");
      // The session lives on under a new id; refresh its CSRF token.
      const session = await get("/api/v1/session").catch(() => null);
      if (session) setCsrf(session.csrf_token);
      if (state) state.settings = session ? session.settings : state.settings;
    } catch (err) {
      if (err instanceof ApiError && err.handled) return;
      if (!(err instanceof ApiError) || err.code === "network") status.set("Network error. Please try again.");
      else if (err.code === "invalid_credentials") status.set("Current password is incorrect");
      else if (err.code === "weak_password") status.set(firstFailure(policy, next.input.value) || err.message);
      else if (err.code === "password_reused") status.set("New password must not match any of your recent passwords.");
      else status.set(err.message);
    } finally {
      busy = false;
      submit.textContent = "Change password";
      validate();
    }
  });
}

function deleteView(view, foot, back, mode) {
  foot.hidden = true;
  const hard = mode === "hard";
  const title = hard ? "Hard Delete Account" : "Soft Delete Account";
  const warning = hard
    ? "Your account and every message you ever sent will be deleted everywhere. This cannot be undone."
    : "Your login will be removed. Your messages stay, attributed to “Deleted User”. This cannot be undone.";
  const pw = passwordField({ label: "Confirm your password", name: "password", autocomplete: "current-password" });
  const status = statusLine();
  const confirm = h("button", { type: "submit", class: "btn danger-solid" }, hard ? "Permanently Delete Everything" : "Soft Delete My Account");
  const cancel = h("button", { type: "button", class: "btn" }, "Cancel");
  cancel.addEventListener("click", back);
  const form = h(
    "form",
    { class: "subview", novalidate: true, "aria-labelledby": "delete-view-title" },
    h("h3", { id: "delete-view-title", class: "subview-title danger-title" }, title),
    h("div", { class: "danger-box" }, warning),
    pw.field,
    status.el,
    h("div", { class: "foot-row" }, cancel, confirm),
  );
  replace(view, form);
  pw.input.focus();
  let busy = false;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (busy) return;
    if (!pw.input.value) {
      status.set("Please enter your password.");
      pw.input.focus();
      return;
    }
    busy = true;
    const label = confirm.textContent;
    confirm.disabled = true;
    confirm.textContent = "Deleting…";
    try {
      await del("/api/v1/me", { password: pw.input.value, mode });
      window.location.assign("/login");
      return;
    } catch (err) {
      if (err instanceof ApiError && err.handled) return;
      if (!(err instanceof ApiError) || err.code === "network") status.set("Network error. Please try again.");
      else if (err.code === "invalid_credentials") status.set("Incorrect password.");
      else status.set("Deletion failed. Please try again.");
      pw.input.focus();
    }
    busy = false;
    confirm.disabled = false;
    confirm.textContent = label;
  });
}
