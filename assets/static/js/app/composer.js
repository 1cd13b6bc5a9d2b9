// The composer (client.md §5.1–§5.8, §5.10) and the typing indicator
// (§9.3). Enter sends, Shift+Enter is a newline (or the other way round,
// per Settings); a send shows an optimistic copy matched by its client_id;
// files come by paperclip, paste or drop and go multipart; drafts are kept
// per conversation in memory. The toolbar holds the formatting helpers,
// the code-block and emoji pickers; "@" opens the mention list.

import { post, ApiError, errorText } from "../lib/api.js";
import { h, replace, id as uid, plural } from "../lib/dom.js";
import { paintName } from "../lib/names.js";
import { plainPreview } from "../lib/format.js";
import { get as pref } from "../lib/prefs.js";
import { toast } from "../ui/toast.js";
import { label, prefix } from "./state.js";
import { sizeText, fileLogo } from "./message.js";
import { mentionAutocomplete } from "./autocomplete.js";
import { MARKERS, wrapSelection, insertFence, replaceRange, installFormatKeys, codePicker } from "./compose-format.js";
import { openEmojiPicker, closeEmojiPicker } from "./emoji.js";
import { initHovercards } from "./hovercard.js";

const TYPING_EVERY_MS = 2000;
const TYPING_SHOW_MS = 6000;
const MAX_FILES = 10;

function newClientId() {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return "c-" + [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

function toolButton(cls, labelText, shortcut, glyph) {
  const b = h(
    "button",
    { type: "button", class: `icon-btn fmt ${cls}`, title: shortcut ? `${labelText} (Ctrl+${shortcut})` : labelText, "aria-label": labelText },
    glyph,
  );
  if (shortcut) b.setAttribute("aria-keyshortcuts", `Control+${shortcut}`);
  // A press must not move focus out of the text area: the selection stays.
  b.addEventListener("mousedown", (e) => e.preventDefault());
  return b;
}

export function composer(state, { live, conv, users = new Map() }) {
  installFormatKeys();
  initHovercards({ state, live, users });
  const taId = uid("composer");
  const ta = h("textarea", { id: taId, class: "composer-text", rows: "3", "aria-label": "Message" });
  const replyBar = h("div", { class: "reply-bar", hidden: true });
  const staged = h("ul", { class: "staged", "aria-label": "Attachments to send", hidden: true });
  const fileInput = h("input", { type: "file", multiple: true, class: "visually-hidden", tabindex: "-1", "aria-hidden": "true" });
  const attach = h("button", { type: "button", class: "icon-btn attach", title: "Attach Image", "aria-label": "Attach files" }, "📎");
  const send = h("button", { type: "button", class: "btn primary send", "aria-label": "Send" }, "Send");
  const counter = h("span", { class: "counter", "aria-live": "polite" });
  const typingLine = h("div", { class: "typing-line", "aria-live": "polite" });
  const uploadLine = h("div", { class: "upload-line", role: "status" });
  const fmt = {
    bold: toolButton("bold", "Bold", "B", h("b", null, "B")),
    italic: toolButton("italic", "Italic", "I", h("i", null, "I")),
    underline: toolButton("underline", "Underline", "U", h("u", null, "U")),
    strike: toolButton("strike", "Strikethrough", "S", h("s", null, "S")),
  };
  const codeBtn = toolButton("code", "Code block", "", "</>");
  const emojiBtn = toolButton("emoji", "Add emoji", "", "☺");
  const code = codePicker(codeBtn, {
    onPick: (tag, byEnter) => {
      enterSent = byEnter;
      insertFence(ta, tag);
    },
    onDone: () => ta.focus(),
  });
  const mention = mentionAutocomplete(ta, {
    members: () => candidates(),
    insert: (start, end, text) => replaceRange(ta, start, end, text),
  });
  const box = h(
    "div",
    { class: "composer" },
    mention.el,
    code.el,
    replyBar,
    staged,
    ta,
    h(
      "div",
      { class: "composer-tools", role: "toolbar", "aria-label": "Message tools", "aria-controls": taId },
      h("div", { class: "tools-left" }, fmt.bold, fmt.italic, fmt.underline, fmt.strike, codeBtn),
      h("div", { class: "tools-right" }, counter, emojiBtn, fileInput, attach, send),
    ),
  );
  const el = h("div", { class: "composer-wrap" }, box, uploadLine, typingLine);

  for (const [style, b] of Object.entries(fmt)) b.addEventListener("click", () => wrapSelection(ta, MARKERS[style]));
  codeBtn.addEventListener("click", () => code.toggle());
  emojiBtn.addEventListener("click", () => {
    let caret = [ta.selectionStart, ta.selectionEnd];
    openEmojiPicker(emojiBtn, {
      kind: "insert",
      onPick(ch) {
        // Focus stays in the picker for more picks: insert at the caret the
        // text area had, without focusing it.
        ta.setRangeText(ch, caret[0], caret[1], "end");
        caret = [ta.selectionEnd, ta.selectionEnd];
        ta.dispatchEvent(new Event("input"));
      },
      onClose: (viaKeys) => {
        if (viaKeys) ta.focus();
      },
    });
  });

  /** candidates: who "@" offers here, you excluded, in server order (§5.5). */
  function candidates() {
    const c = state.channel;
    const me = state.me.username.toLowerCase();
    if (!c) return [];
    if (c.kind === "public") return [...users.values()].filter((u) => !u.deleted && u.username.toLowerCase() !== me);
    return (c.members || []).filter((n) => String(n).toLowerCase() !== me).map((n) => users.get(n) || { username: String(n) });
  }

  // An Enter that was used (to send, or to pick from a list) must not also
  // insert its line break: some input paths deliver the character apart
  // from the prevented keydown.
  let enterSent = false;
  const drafts = new Map(); // channel id → {text, files, reply}
  let files = [];
  let reply = null;
  let lastTyping = 0;
  const maxLen = () => Number(state.settings.max_message_length) || 10000;
  const maxMB = () => Number(state.settings.max_upload_size_mb) || 25;

  function refresh() {
    const n = [...ta.value.trim()].length;
    const over = n > maxLen();
    counter.textContent = n >= maxLen() * 0.9 ? `${n} / ${maxLen()}` : "";
    counter.classList.toggle("over", over);
    const can = (n > 0 || files.length > 0) && !over;
    send.classList.toggle("inactive", !can);
    send.setAttribute("aria-disabled", String(!can));
    return can;
  }

  let thumbs = [];
  function drawStaged() {
    for (const u of thumbs) URL.revokeObjectURL(u);
    thumbs = [];
    staged.hidden = files.length === 0;
    replace(
      staged,
      files.map((f, i) => {
        const x = h("button", { type: "button", class: "unstage", "aria-label": `Remove ${f.name}`, title: "Remove" }, "×");
        x.addEventListener("click", () => {
          files.splice(i, 1);
          drawStaged();
          ta.focus();
        });
        if (/^image\/(?:png|jpeg|gif|webp)$/.test(f.type)) {
          const u = URL.createObjectURL(f);
          thumbs.push(u);
          return h("li", { class: "staged-file image" }, h("img", { src: u, alt: f.name, class: "staged-thumb" }), x);
        }
        return h("li", { class: "staged-file" }, fileLogo(f.name), h("span", { class: "file-name" }, f.name), " ", h("span", { class: "file-size" }, sizeText(f.size)), x);
      }),
    );
    refresh();
  }

  function stage(list) {
    for (const f of list) {
      if (f.size > maxMB() * 1024 * 1024) {
        toast(`"${f.name}" exceeds the ${maxMB()} MB upload limit.`);
        continue;
      }
      if (f.size === 0) {
        toast(`"${f.name}" is empty.`);
        continue;
      }
      if (files.length >= MAX_FILES) break;
      files.push(f);
    }
    drawStaged();
  }

  function setReply(m) {
    reply = m;
    if (!m) {
      replyBar.hidden = true;
      replyBar.replaceChildren();
      return;
    }
    const cancel = h("button", { type: "button", class: "icon-btn", "aria-label": "Cancel reply", title: "Cancel reply" }, "×");
    cancel.addEventListener("click", () => {
      setReply(null);
      ta.focus();
    });
    const preview = m.text ? plainPreview(m.text, 80) : "[attachment]";
    replace(replyBar, h("span", null, "Replying to ", paintName(h("strong", null, m.author), { username: m.author }), ": ", preview), cancel);
    replyBar.hidden = false;
  }

  async function doSend() {
    const c = state.channel;
    if (!c || !refresh()) return;
    const text = ta.value.trim();
    const clientId = newClientId();
    const sending = { text, files: files.slice(), reply };
    const pending = {
      id: `pending-${clientId}`, channel_id: c.id, author: state.me.username, text, created_at: Date.now(),
      client_id: clientId, pending: true, attachments: [], reactions: [], mentions: [], reply_to: reply ? { id: reply.id, author: reply.author, excerpt: reply.text } : null, seq: 0,
    };
    ta.value = "";
    files = [];
    setReply(null);
    drawStaged();
    conv.addPending(pending);
    const uploading = sending.files.length;
    if (uploading) uploadLine.textContent = `Uploading ${plural(uploading, "file")}…`;
    const attempt = async () => {
      if (sending.files.length) {
        const fd = new FormData();
        if (text) fd.append("text", text);
        if (sending.reply) fd.append("reply_to", String(sending.reply.id));
        fd.append("client_id", clientId);
        for (const f of sending.files) fd.append("file", f, f.name);
        return post(`/api/v1/channels/${c.id}/messages`, fd);
      }
      const body = { text, client_id: clientId };
      if (sending.reply) body.reply_to = sending.reply.id;
      return post(`/api/v1/channels/${c.id}/messages`, body);
    };
    try {
      let res;
      try {
        res = await attempt();
      } catch (err) {
        // A lost answer is retried once with the same client_id: never twice posted.
        if (err instanceof ApiError && err.code === "network") res = await attempt();
        else throw err;
      }
      conv.dropPending(clientId);
      conv.applyAll((res && res.messages) || []);
      // Posting ended "typing" on the server; say so again if still typing.
      lastTyping = 0;
      if (ta.value) ta.dispatchEvent(new Event("input"));
    } catch (err) {
      conv.dropPending(clientId);
      if (state.current === c.id && !ta.value && !files.length) {
        ta.value = text;
        files = sending.files;
        setReply(sending.reply);
        drawStaged();
      }
      if (!(err instanceof ApiError && err.handled)) toast(errorText(err, "Couldn't send the message."));
    } finally {
      if (uploading) uploadLine.textContent = "";
    }
  }

  ta.addEventListener("keydown", (e) => {
    if (e.isComposing) return;
    if (mention.onKey(e)) {
      enterSent = e.key === "Enter";
      return;
    }
    // Enter sends and Ctrl+Enter too, unless Settings make Enter a newline.
    const sends = e.key === "Enter" && !e.shiftKey && !e.altKey && ((e.ctrlKey || e.metaKey) || pref("enterToSend"));
    if (sends) {
      e.preventDefault();
      enterSent = true;
      doSend();
    } else if (e.key === "ArrowUp" && !ta.value && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey) {
      if (conv.editNewest()) e.preventDefault();
    } else if (e.key === "Escape" && reply) {
      e.preventDefault();
      setReply(null);
    }
  });
  ta.addEventListener("beforeinput", (e) => {
    if (enterSent && (e.inputType === "insertLineBreak" || e.inputType === "insertParagraph")) e.preventDefault();
  });
  ta.addEventListener("keyup", (e) => {
    if (e.key === "Enter") enterSent = false;
  });
  ta.addEventListener("input", () => {
    refresh();
    const now = Date.now();
    if (ta.value && state.current != null && now - lastTyping >= TYPING_EVERY_MS) {
      if (live.send("typing", { channel_id: state.current })) lastTyping = now;
    }
  });
  ta.addEventListener("paste", (e) => {
    const fs = [...(e.clipboardData?.files || [])];
    if (fs.length) {
      e.preventDefault();
      stage(fs);
    }
  });
  // Files dragged over the composer light it up (§5.3 "Improve"); the
  // depth count keeps it lit while the pointer crosses its children.
  let dragDepth = 0;
  const carriesFiles = (e) => [...(e.dataTransfer?.types || [])].includes("Files");
  box.addEventListener("dragenter", (e) => {
    if (!carriesFiles(e)) return;
    dragDepth++;
    box.classList.add("dropping");
  });
  box.addEventListener("dragover", (e) => {
    if (carriesFiles(e)) {
      e.preventDefault();
      box.classList.add("dropping");
    }
  });
  box.addEventListener("dragleave", () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) box.classList.remove("dropping");
  });
  box.addEventListener("drop", (e) => {
    dragDepth = 0;
    box.classList.remove("dropping");
    const fs = [...(e.dataTransfer?.files || [])];
    if (fs.length) {
      e.preventDefault();
      stage(fs);
    }
  });
  attach.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    stage([...fileInput.files]);
    fileInput.value = "";
    ta.focus();
  });
  send.addEventListener("click", () => {
    doSend();
    ta.focus();
  });

  // Typing indicator (§9.3): the server's list for the open conversation.
  const typing = new Map(); // channel id → {users, at}
  let typingTimer = 0;
  function drawTyping() {
    clearTimeout(typingTimer);
    const t = typing.get(state.current);
    const who = t && Date.now() - t.at < TYPING_SHOW_MS ? t.users.filter((u) => u !== state.me.username) : [];
    typingLine.textContent =
      who.length === 0 ? "" : who.length === 1 ? `${who[0]} is typing…` : who.length === 2 ? `${who[0]} and ${who[1]} are typing…` : "Several people are typing…";
    if (who.length) typingTimer = setTimeout(drawTyping, TYPING_SHOW_MS - (Date.now() - t.at) + 50);
  }
  live.addEventListener("typing", (e) => {
    const d = e.detail.data || {};
    typing.set(d.channel_id, { users: Array.isArray(d.users) ? d.users.map(String) : [], at: Date.now() });
    drawTyping();
  });
  live.addEventListener("message.created", (e) => {
    const m = e.detail.data;
    const t = m && typing.get(m.channel_id);
    if (t) {
      t.users = t.users.filter((u) => u !== m.author);
      drawTyping();
    }
  });

  state.addEventListener("open", (e) => {
    const { id: next, previous } = e.detail;
    mention.close();
    code.close(false);
    closeEmojiPicker();
    if (previous != null) drafts.set(previous, { text: ta.value, files, reply });
    const d = drafts.get(next) || { text: "", files: [], reply: null };
    drafts.delete(next);
    ta.value = d.text;
    files = d.files;
    setReply(d.reply);
    drawStaged();
    const c = state.channel;
    el.hidden = !c;
    if (c) ta.placeholder = `Type a message to ${prefix(c)}${label(c)}…`;
    drawTyping();
  });
  const c = state.channel;
  el.hidden = !c;
  if (c) ta.placeholder = `Type a message to ${prefix(c)}${label(c)}…`;
  refresh();

  conv.hooks.onReply = (m) => {
    setReply(m);
    ta.focus();
  };
  conv.hooks.focusComposer = () => ta.focus();

  return { el, ta, focus: () => ta.focus() };
}
