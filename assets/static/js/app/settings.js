// The Settings dialog (client.md §7.2): per-browser choices, applied on
// Save; Cancel, Esc, × and the backdrop discard them and undo the live
// previews (the original kept the font preview after Cancel).

import { h, id } from "../lib/dom.js";
import * as prefs from "../lib/prefs.js";
import { openDialog } from "../ui/dialog.js";

const BLOCKED = "Blocked by browser — update site permissions to enable";

function switchRow(labelText, checked, hint) {
  const inputId = id("sw");
  const hintId = hint ? id("sw-hint") : null;
  const input = h("input", { type: "checkbox", role: "switch", id: inputId, "aria-describedby": hintId });
  input.checked = checked;
  const hintEl = hint ? h("p", { class: "hint", id: hintId }, hint) : null;
  return { input, hintEl, row: h("div", null, h("div", { class: "switch-row" }, h("label", { for: inputId }, labelText), input), hintEl) };
}

export function openSettings() {
  const saved = {
    theme: prefs.get("theme"),
    chatFontSize: prefs.clampFont(prefs.get("chatFontSize")),
    enterToSend: prefs.get("enterToSend"),
    notifMuted: prefs.get("notifMuted"),
    nativeNotifEnabled: prefs.get("nativeNotifEnabled"),
    notifyWhenActive: prefs.get("notifyWhenActive"),
  };

  // Theme: Dark (default), Light or System (client.md §1.1).
  const themeName = id("theme");
  const themes = [
    ["dark", "Dark"],
    ["light", "Light"],
    ["system", "System"],
  ].map(([value, text]) => {
    const input = h("input", { type: "radio", name: themeName, value });
    input.checked = saved.theme === value;
    input.addEventListener("change", () => prefs.applyTheme(value));
    return { input, label: h("label", null, input, text) };
  });
  const themeSet = h("fieldset", { class: "radio-row plain" }, h("legend", { class: "label" }, "Theme"), themes.map((t) => t.label));

  const fontId = id("font");
  const fontLabel = h("label", { for: fontId, class: "label" });
  const font = h("input", { type: "range", id: fontId, min: prefs.FONT_MIN, max: prefs.FONT_MAX, step: "1" });
  font.value = String(Math.round(saved.chatFontSize));
  const drawFont = () => {
    fontLabel.textContent = `Font Size (${font.value}px)`;
    prefs.applyFontSize(Number(font.value));
  };
  font.addEventListener("input", drawFont);
  fontLabel.textContent = `Font Size (${font.value}px)`;

  const enterId = id("enter");
  const enter = h(
    "select",
    { id: enterId },
    h("option", { value: "send" }, "Send message"),
    h("option", { value: "newline" }, "New line (use Ctrl+Enter to send)"),
  );
  enter.value = saved.enterToSend ? "send" : "newline";

  const sounds = switchRow("Notification sounds", !saved.notifMuted);
  const supported = "Notification" in window;
  const denied = !supported || window.Notification.permission === "denied";
  const native = switchRow("Native OS notifications", saved.nativeNotifEnabled && !denied, denied ? BLOCKED : null);
  native.input.disabled = denied;
  native.input.addEventListener("change", async () => {
    if (!native.input.checked || !supported || window.Notification.permission === "granted") return;
    const answer = await window.Notification.requestPermission().catch(() => "denied");
    if (answer !== "granted") {
      native.input.checked = false;
      if (native.hintEl) native.hintEl.textContent = BLOCKED;
      else native.row.append(h("p", { class: "hint" }, BLOCKED));
    }
  });
  const focused = switchRow(
    "Notify while MiniMost is focused",
    saved.notifyWhenActive,
    "Off by default: alerts only fire when MiniMost is in the background",
  );

  let committed = false;
  const save = h("button", { type: "button", class: "btn primary" }, "Save");
  const cancel = h("button", { type: "button", class: "btn" }, "Cancel");
  const dlg = openDialog({
    key: "settings",
    title: "Settings",
    className: "settings",
    content: [
      h("h3", { class: "section-title" }, "Appearance"),
      themeSet,
      h("div", { class: "field" }, fontLabel, font),
      h("h3", { class: "section-title" }, "Messaging"),
      h("div", { class: "field" }, h("label", { for: enterId }, "Enter key"), enter),
      sounds.row,
      native.row,
      focused.row,
    ],
    foot: [cancel, save],
    onClose() {
      if (committed) return;
      prefs.applyTheme(saved.theme);
      prefs.applyFontSize(saved.chatFontSize);
    },
  });
  cancel.addEventListener("click", () => dlg.close());
  save.addEventListener("click", () => {
    const theme = themes.find((t) => t.input.checked);
    prefs.set("theme", theme ? theme.input.value : "dark");
    prefs.set("chatFontSize", Number(font.value));
    prefs.set("enterToSend", enter.value === "send");
    prefs.set("notifMuted", !sounds.input.checked);
    prefs.set("nativeNotifEnabled", native.input.checked);
    prefs.set("notifyWhenActive", focused.input.checked);
    committed = true;
    prefs.applyTheme();
    prefs.applyFontSize();
    dlg.close();
  });
  drawFont();
  return dlg;
}
