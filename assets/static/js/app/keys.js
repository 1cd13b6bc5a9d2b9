// Keyboard shortcuts (client.md §11): the global keys of normal mode
// (focus outside text fields, no Ctrl/Alt/Cmd), the vim-style visual mode
// that walks the messages, and Esc. Keys a field, menu or open dialog
// handles itself (defaultPrevented) are left to it, and letter shortcuts
// stay quiet while a dialog is open (the original fired them behind a
// dialog whose focus was on a button).
//
// Search, the new-DM dialog and pins are navigation.js's entry points;
// the reaction picker opens through the message's own "Add reaction"
// button, so it is whichever picker the message row offers.

import { h } from "../lib/dom.js";
import { closeAll, isOpen } from "../ui/dialog.js";
import { toast } from "../ui/toast.js";
import { focusSearch, openNewDM, togglePins } from "./navigation.js";

const CHORD_MS = 500;
const STEP_PX = 200;
const PAGE_PX = 400;

function inField(el) {
  return !!el && (el.isContentEditable || (el.matches && el.matches("input, textarea, select")));
}

function dialogOpen() {
  return isOpen() || !!document.querySelector("dialog[open]");
}

/**
 * keyboard installs the shortcuts. conv: the conversation view; composer:
 * {ta, focus}; sidebar: {rowButtons}; topbar: {el}; openHelp: shows Help.
 */
export function keyboard(state, { conv, composer, sidebar, topbar, openHelp }) {
  const indicator = h("span", { class: "visual-indicator", hidden: true }, "-- visual --");
  topbar.el.querySelector(".topbar-left")?.append(indicator);

  let visual = null; // id of the selected message while in visual mode
  let chordAt = 0; // time of a lone "g"

  function enterVisual() {
    const ms = conv.messages();
    if (!ms.length) return;
    pick(ms[ms.length - 1].id);
    indicator.hidden = false;
  }

  function exitVisual() {
    if (visual == null) return;
    visual = null;
    conv.select(null);
    indicator.hidden = true;
  }

  function pick(id) {
    visual = id;
    conv.select(id);
    conv.row(id)?.focus({ preventScroll: true });
  }

  function current() {
    const m = conv.messages().find((x) => x.id === visual);
    if (!m) exitVisual();
    return m || null;
  }

  function mine(m) {
    return !m.system && m.author === state.me.username;
  }

  async function copy(m) {
    try {
      if (!navigator.clipboard) throw new Error("no clipboard");
      await navigator.clipboard.writeText(m.text || "");
      toast("Message copied");
    } catch {
      toast("Could not copy — clipboard unavailable");
    }
  }

  function visualKey(e) {
    const m = current();
    if (!m) return;
    const ms = conv.messages();
    const i = ms.findIndex((x) => x.id === m.id);
    const act = conv.actions;
    switch (e.key) {
      case "j":
      case "ArrowDown":
        pick(ms[Math.min(ms.length - 1, i + 1)].id);
        break;
      case "k":
      case "ArrowUp":
        pick(ms[Math.max(0, i - 1)].id);
        break;
      case "d":
        exitVisual();
        if (mine(m)) act.onDelete(m);
        else toast("You can only delete your own messages");
        break;
      case "c":
        exitVisual();
        if (!mine(m)) toast("You can only edit your own messages");
        else if (!m.text) toast("This message has no text to edit");
        else act.onEdit(m);
        break;
      case "o":
        exitVisual();
        act.onReply(m);
        break;
      case "y":
        copy(m);
        break;
      case "e": {
        const button = conv.row(m.id)?.querySelector('button[aria-label="Add reaction"]');
        exitVisual();
        if (button) button.click();
        break;
      }
      case "p":
        act.onPin(m);
        break;
      case "?":
        openHelp();
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  function normalKey(e) {
    const chord = e.key === "g" && Date.now() - chordAt <= CHORD_MS;
    chordAt = e.key === "g" && !chord ? Date.now() : 0;
    switch (e.key) {
      case "i":
        conv.toBottom(false);
        composer.focus();
        composer.ta.setSelectionRange(composer.ta.value.length, composer.ta.value.length);
        break;
      case "o":
        openNewDM();
        break;
      case "/":
      case "f":
        focusSearch();
        break;
      case "j":
        conv.scrollBy(STEP_PX);
        break;
      case "k":
        conv.scrollBy(-STEP_PX);
        break;
      case "d":
        conv.scrollBy(PAGE_PX);
        break;
      case "u":
        conv.scrollBy(-PAGE_PX);
        break;
      case "G":
        conv.toBottom();
        break;
      case "g":
        if (chord) conv.toTop();
        break;
      case "v":
        enterVisual();
        break;
      case "?":
        openHelp();
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  /** cycle opens the next (dir 1) or previous (-1) sidebar entry, wrapping. */
  function cycle(dir) {
    const rows = sidebar.rowButtons();
    if (!rows.length) return;
    const at = rows.findIndex((b) => b.getAttribute("aria-current") === "true");
    const next = at < 0 ? (dir > 0 ? 0 : rows.length - 1) : (at + dir + rows.length) % rows.length;
    rows[next].click();
  }

  function escape(e) {
    if (visual != null) {
      exitVisual();
      e.preventDefault();
      return;
    }
    const hadDialog = dialogOpen();
    closeAll();
    // The search panel closes as focus leaves it; the pins panel is told.
    if (document.querySelector('.pins-btn[aria-expanded="true"]')) togglePins();
    if (!hadDialog) {
      if (inField(document.activeElement)) document.activeElement.blur();
      conv.list.focus({ preventScroll: true });
    }
  }

  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.isComposing) return;
    if (e.key === "Escape") {
      escape(e);
      return;
    }
    const field = inField(document.activeElement);
    if (e.altKey || e.metaKey) return;
    if (e.ctrlKey) {
      const k = e.key.toLowerCase();
      if (!field && !dialogOpen() && (k === "j" || k === "k")) {
        e.preventDefault();
        cycle(k === "j" ? 1 : -1);
      }
      return;
    }
    if (field || dialogOpen()) return;
    // Menus and lists (the reaction picker, suggestions) keep their keys.
    if (document.activeElement?.closest('[role="menu"], [role="listbox"]')) return;
    if (visual != null) visualKey(e);
    else normalKey(e);
    swallow = e.defaultPrevented;
  });
  // A shortcut that moved focus into a field (i, /, ?) must not also type
  // its letter there: some input paths deliver the character apart from
  // the prevented keydown.
  let swallow = false;
  document.addEventListener(
    "keypress",
    (e) => {
      if (swallow) e.preventDefault();
      swallow = false;
    },
    true,
  );
  document.addEventListener("keyup", () => (swallow = false), true);

  state.addEventListener("open", exitVisual);
}
