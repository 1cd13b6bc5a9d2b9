// The Help dialog (client.md §11.4): fourteen sections of what the client
// really does, a row of pills that jump to each section, and a filter
// that narrows the entries as you type (a section whose heading matches
// keeps all of them). The head stays put while the sections scroll.

import { h, id } from "../lib/dom.js";
import { openDialog } from "../ui/dialog.js";

const k = (...keys) => keys.map((key, i) => [i ? "+" : null, h("kbd", { class: "key" }, key)]);

function sections(settings) {
  const upload = Number(settings.max_upload_size_mb) || 25;
  const avatarMB = Number(settings.max_avatar_size_mb) || 5;
  return [
    ["Messaging", [
      [k("Enter"), " sends your message; ", k("Shift", "Enter"), " starts a new line. In Settings you can swap them: ", k("Enter"), " for a new line and ", k("Ctrl", "Enter"), " to send."],
      [k("↑"), " in an empty message box edits your last message; ", k("Ctrl", "Enter"), " saves the edit and ", k("Esc"), " cancels it."],
      ["Point at a message, or move the keyboard focus into it, for its actions: Edit and Delete (your own), Reply, Add reaction and Pin."],
      ["Deleting is immediate and removes the message for everyone."],
      ["Reply puts a quote of the message above yours; ", k("Esc"), " in the message box leaves reply mode. Click a quote to jump to the original."],
      ["A blue ✓ after your message means someone has read it; point at it or focus it to see who."],
      ["While someone types in the open conversation, their name shows above the message box."],
      ["Unsent text stays in each conversation’s box while you switch between them."],
      ["The server removes messages after 770 days and attachments after 30 days (the default retention periods)."],
    ]],
    ["Mentions", [
      ["Type @ and a name to mention someone; @everyone mentions everyone in the conversation."],
      ["Messages that mention you are marked with a gold bar."],
      ["You get a sound and, if enabled, an OS notification for every mention — even in a conversation you are not looking at."],
      ["“@ Mentions” at the top of the sidebar lists your unread mentions while you have any."],
    ]],
    ["Navigation", [
      [k("i"), " jumps to the newest message and puts the cursor in the message box."],
      [k("o"), " starts a direct message."],
      [k("/"), " or ", k("f"), " opens search with every field cleared."],
      [k("j"), " / ", k("k"), " scroll down / up a little; ", k("d"), " / ", k("u"), " scroll further."],
      [k("G"), " goes to the bottom; ", k("g"), " ", k("g"), " (twice, quickly) to the top of what is loaded."],
      [k("v"), " enters visual mode on the newest message."],
      [k("Ctrl", "J"), " / ", k("Ctrl", "K"), " open the next / previous conversation in the sidebar."],
      [k("?"), " opens this help."],
      [k("Esc"), " leaves visual mode or the current field, closes dialogs and panels, and returns to the messages."],
      ["These keys work when the cursor is not in a text field."],
      ["“Jump to latest” appears when you scroll up; it counts new messages that arrived below."],
      ["A red “New messages” line marks where you stopped reading."],
    ]],
    ["Search", [
      ["The search box in the top bar searches every conversation you can read; narrow it by sender (From), channel and dates."],
      [k("↑"), " / ", k("↓"), " pick a result, ", k("Enter"), " opens it at that message, ", k("Esc"), " closes the results."],
    ]],
    ["Visual Mode", [
      [k("v"), " selects the newest message; the top bar shows “-- VISUAL --”."],
      [k("j"), " or ", k("↓"), " selects the next (newer) message, ", k("k"), " or ", k("↑"), " the previous (older) one."],
      [k("d"), " deletes it and ", k("c"), " edits it (your own messages only)."],
      [k("o"), " replies to it, ", k("e"), " opens the reaction picker for it."],
      [k("y"), " copies its text with the formatting marks; ", k("p"), " pins or unpins it and stays on it."],
      [k("Esc"), " leaves visual mode."],
    ]],
    ["Text Formatting", [
      ["**bold**, *italic*, __underline__, ~~strikethrough~~ and `code`."],
      ["```, a language name and a new line start a code block; close it with ```."],
      ["Web addresses become links by themselves."],
    ]],
    ["Reactions", [
      ["Add reaction (the smiley in a message’s actions, or ", k("e"), " in visual mode) opens the picker; type to filter it."],
      ["Click a reaction under a message to add or take back yours; point at it to see who reacted."],
    ]],
    ["Pinned messages", [
      ["Pin from a message’s actions (or ", k("p"), " in visual mode); the message then says who pinned it."],
      ["The pin button in the top bar shows how many messages are pinned and lists them; a conversation holds up to 50 pins."],
    ]],
    ["Calls & screen sharing", [
      ["Calls and screen sharing are not available in this version of MiniMost yet."],
    ]],
    ["Channels & DMs", [
      ["Public channels are set up by the server’s operator; everyone can read them."],
      ["“+” next to PRIVATE CHANNELS creates a private channel; only its members see it. Members can add people, rename it and leave."],
      ["New DM (or ", k("o"), ") starts a direct message with one or more people."],
      ["× on a direct message hides it until a new message arrives there."],
      ["Unread counts show at the right of each conversation in the sidebar, and in the tab’s title."],
    ]],
    ["Media & Display", [
      ["Attach files with the paperclip, by pasting or by dropping them on the message box; up to 10 at a time."],
      [`Maximum attachment size: ${upload} MB per file`],
      ["Images show in the conversation; other files as cards to download."],
      ["Message text size: ", k("Ctrl"), " and the mouse wheel over the messages, a pinch, or the slider in Settings (11–22 px)."],
      ["Theme: Dark, Light or System, in Settings."],
    ]],
    ["Account & Settings", [
      ["Your avatar (top right) opens Account: picture, name colour, bio, your status (Active, Away or Offline), password, sign out and account deletion."],
      [`Avatar pictures up to ${avatarMB} MB.`],
      ["The gear opens Settings: theme, text size, the Enter key, notification sounds, OS notifications and “Notify while MiniMost is focused”. These are kept in this browser."],
      ["Notification sounds off mutes every sound MiniMost makes."],
    ]],
    ["Trusting This Site", [
      ["MiniMost uses its own certificate authority. Import it once per device so your browser trusts this site and can install it as an app."],
      [h("a", { class: "btn", href: "/ca.pem", download: "minimost-ca.pem" }, "⬇ Download certificate")],
      ["Chrome or Edge: Settings → Privacy and security → Security → Manage certificates → Authorities (on Windows: Trusted Root Certification Authorities) → Import, choose minimost-ca.pem, allow it to identify websites, then restart the browser."],
      ["Firefox: Settings → Privacy & Security → Certificates → View Certificates… → Authorities → Import…, choose minimost-ca.pem and tick “Trust this CA to identify websites”."],
    ]],
    ["Status Indicators", [
      [h("span", { class: "status-dot active", "aria-hidden": "true" }), "Active – Currently using the app"],
      [h("span", { class: "status-dot idle", "aria-hidden": "true" }), "Idle – Away or no recent activity"],
      [h("span", { class: "status-dot offline", "aria-hidden": "true" }), "Offline – Not connected"],
    ]],
  ];
}

/** openHelp shows the Help dialog (focus in its filter). */
export function openHelp(state) {
  const filter = h("input", { type: "search", class: "help-filter", placeholder: "Filter help…", "aria-label": "Filter help" });
  const pills = h("nav", { class: "help-pills", "aria-label": "Help sections" });
  const scroller = h("div", { class: "help-scroll", tabindex: "0", "aria-label": "Help topics", role: "region" });
  const empty = h("p", { class: "help-empty", hidden: true }, "Nothing matches that. Try a different word, or clear the filter.");
  const built = sections(state.settings || {}).map(([title, entries]) => {
    const headId = id("help");
    const heading = h("h3", { id: headId }, title);
    const items = entries.map((parts) => h("li", null, parts));
    const el = h("section", { class: "help-section", "aria-labelledby": headId }, heading, h("ul", null, items));
    const pill = h("button", { type: "button", class: "help-pill" }, title);
    pill.addEventListener("click", () => el.scrollIntoView({ block: "start" }));
    pills.append(pill);
    return { title: title.toLowerCase(), el, items };
  });
  scroller.append(...built.map((s) => s.el), empty);

  filter.addEventListener("input", () => {
    const q = filter.value.trim().toLowerCase();
    let any = false;
    for (const s of built) {
      const whole = !q || s.title.includes(q);
      let shown = 0;
      for (const li of s.items) {
        li.hidden = !whole && !li.textContent.toLowerCase().includes(q);
        if (!li.hidden) shown++;
      }
      s.el.hidden = shown === 0;
      any ||= shown > 0;
    }
    pills.hidden = !!q;
    empty.hidden = any;
  });

  return openDialog({
    key: "help",
    title: ["Mini", h("span", { class: "most" }, "Most"), " Help"],
    className: "help",
    headEnd: filter,
    content: [pills, scroller],
    initialFocus: filter,
  });
}
