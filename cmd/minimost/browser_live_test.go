package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The live layer and the keyboard of the chat (client.md §4.1, §4.12,
// §8, §9.3, §11), with two users in two pages: alerts for a mention in a
// conversation not being read, the unread count in the title and the
// favicon, the typing line expiring on its own, read receipts, the
// shortcuts and visual mode driven by keys only, Help, and the
// jump-to-latest pill.

// pageStubs replaces, before any page script runs, the two browser parts
// a headless test cannot observe: OS notifications (recorded with title
// and body, permission granted) and Web Audio (recorded contexts and the
// oscillators started, with their pitches).
const pageStubs = `(() => {
	window.__notes = [];
	window.__noteObjects = [];
	window.Notification = class extends EventTarget {
		constructor(title, options) {
			super();
			window.__notes.push({ title, body: options && options.body });
			window.__noteObjects.push(this);
		}
		close() {}
	};
	window.Notification.permission = "granted";
	window.Notification.requestPermission = () => Promise.resolve("granted");
	window.__audio = { contexts: 0, started: 0, pitches: [] };
	const param = () => ({ setValueAtTime() {}, exponentialRampToValueAtTime() {} });
	window.AudioContext = class {
		constructor() {
			window.__audio.contexts++;
			this.state = "running";
			this.currentTime = 0;
			this.destination = {};
		}
		createOscillator() {
			return {
				frequency: { setValueAtTime(v) { window.__audio.pitches.push(v); } },
				connect() {},
				start() { window.__audio.started++; },
				stop() {},
			};
		}
		createGain() {
			return { gain: param(), connect() {}, disconnect() {} };
		}
		resume() {
			return Promise.resolve();
		}
	};
})();`

// stubbedTab is chatTab with pageStubs in place before the first page.
func stubbedTab(t *testing.T, b *chromium, user, pw string) *chromiumTab {
	t.Helper()
	tb := b.tab(t)
	if _, err := chromedp.Call(tb.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: pageStubs}); err != nil {
		t.Fatal(err)
	}
	tb.login(user, pw)
	tb.inApp()
	tb.until("the composer", `document.querySelector("textarea.composer-text")`)
	return tb
}

// keyWith presses one key with a modifier held.
func (tb *chromiumTab) keyWith(k string, mod chromedp.Modifier) {
	tb.t.Helper()
	tb.do(chromedp.KeyEvent(k, chromedp.KeyModifiers(mod)))
}

func TestBrowserLive(t *testing.T) {
	start := time.Now()
	addr, pool := browserDaemon(t, `{"rate_limit_enabled": false, "channels": ["general", "random"]}`)
	const pw = "Correct-Horse-Battery-9"
	alice, bob := signup(t, addr, pool, "alice"), signup(t, addr, pool, "bob")
	var chans []map[string]any
	if err := json.Unmarshal([]byte(alice.do("GET", "/api/v1/channels", nil, false).expect(t, 200, "").raw), &chans); err != nil || len(chans) < 2 {
		t.Fatalf("alice's channels: %v %v", chans, err)
	}
	ids := map[string]int64{}
	for _, c := range chans {
		ids[c["name"].(string)] = int64(c["id"].(float64))
	}
	general, random := ids["general"], ids["random"]
	postAs := func(c *apiClient, ch int64, text string) {
		t.Helper()
		c.do("POST", fmt.Sprintf("/api/v1/channels/%d/messages", ch), map[string]any{"text": text}, true).expect(t, 201, "")
	}
	row := func(ch int64) string { return fmt.Sprintf(`button.row[data-channel="%d"]`, ch) }
	current := func(ch int64) string {
		return fmt.Sprintf(`document.querySelector('%s[aria-current="true"]')`, row(ch))
	}

	b := startBrowser(t, addr, pool)
	ta := stubbedTab(t, b, "alice", pw)
	tbb := chatTab(t, b, "bob", pw)

	t.Run("a mention elsewhere alerts; title and favicon count unread", func(t *testing.T) {
		ta.t, tbb.t = t, t
		ta.click(row(random))
		ta.until("random open", current(random))
		plain := ta.eval(`document.querySelector('link[rel="icon"]').getAttribute("href")`)
		if strings.HasPrefix(plain, "data:") || ta.eval(`document.title`) != "MiniMost" {
			t.Fatalf("before anything is unread: icon %q, title %q", plain, ta.eval(`document.title`))
		}
		postAs(bob, general, "@alice have a look at the plan")
		ta.until("the notification", `window.__notes.length > 0`)
		var notes []struct{ Title, Body string }
		json.Unmarshal([]byte(ta.eval(`JSON.stringify(window.__notes)`)), &notes)
		if len(notes) == 0 || notes[0].Title != "bob mentioned you — MiniMost" || notes[0].Body != "@alice have a look at the plan" {
			t.Errorf("notifications %+v", notes)
		}
		ta.until("the sound", `window.__audio.contexts === 1 && window.__audio.started >= 2`)
		if got := ta.eval(`String(new Set(window.__audio.pitches).size >= 2)`); got != "true" {
			t.Errorf("the ding is not two notes: pitches %s", ta.eval(`JSON.stringify(window.__audio.pitches)`))
		}
		ta.until("the count in the title", `document.title === "(1) MiniMost"`)
		ta.until("the count on the favicon", `decodeURIComponent(document.querySelector('link[rel="icon"]').getAttribute("href")).includes(">1</text>")`)
		ta.until("the mention badge", fmt.Sprintf(`document.querySelector('%s .badge.mention:not([hidden])')`, row(general)))

		// Clicking the notification opens general at the mention; reading
		// it clears the title and stops the favicon.
		ta.eval(`window.__noteObjects[0].dispatchEvent(new Event("click")), ""`)
		ta.until("general opened by the notification", current(general))
		ta.waitText("the mention", "@alice have a look at the plan")
		ta.until("the title without a count", `document.title === "MiniMost"`)
		ta.until("the plain favicon", fmt.Sprintf(`document.querySelector('link[rel="icon"]').getAttribute("href") === %q`, plain))
		changes := ta.eval(`new Promise((done) => {
			let n = 0;
			const o = new MutationObserver(() => n++);
			o.observe(document.querySelector('link[rel="icon"]'), { attributes: true });
			setTimeout(() => { o.disconnect(); done(String(n)); }, 2500);
		})`)
		if changes != "0" {
			t.Errorf("the favicon still changed %s times after everything was read", changes)
		}
		ta.clean()
	})

	t.Run("the typing line expires on its own", func(t *testing.T) {
		ta.t, tbb.t = t, t
		tbb.typeInto("textarea.composer-text", "still thinking")
		ta.until("bob is typing", `document.querySelector(".typing-line").textContent.includes("bob is typing")`)
		// Bob stops without sending or clearing: the line goes by itself.
		ta.until("the line to expire", `!document.querySelector(".typing-line").textContent.includes("typing")`)
		if v := tbb.eval(`document.querySelector("textarea.composer-text").value`); v != "still thinking" {
			t.Errorf("bob's composer holds %q", v)
		}
		tbb.eval(`(() => { const t = document.querySelector("textarea.composer-text"); t.value = ""; t.dispatchEvent(new Event("input")); return ""; })()`)
	})

	t.Run("read receipts show who read", func(t *testing.T) {
		ta.t, tbb.t = t, t
		tbb.click(row(random))
		tbb.until("bob in random", current(random))
		ta.typeInto("textarea.composer-text", "did you read this\r")
		ta.waitText("alice's message", "did you read this")
		mark := rowOf("did you read this") + `.querySelector(".receipt")`
		ta.until("the unread marker", mark)
		if ta.eval(mark+`.classList.contains("read") ? "read" : ""`) != "" {
			t.Error("the message shows as read before bob opened general")
		}
		tbb.click(row(general))
		tbb.waitText("the message in bob's page", "did you read this")
		ta.until("the ✓", mark+`.classList.contains("read")`)
		ta.shot("live-receipt")
		if got := ta.eval(mark + `.getAttribute("aria-label")`); got != "Read by: bob" {
			t.Errorf("receipt label %q", got)
		}
		if got := ta.eval(mark + `.textContent`); got != "✓" {
			t.Errorf("receipt mark %q", got)
		}
		ta.clean()
		tbb.clean()
	})

	t.Run("keyboard only: send, reply, react, visual mode, channels", func(t *testing.T) {
		ta.t, tbb.t = t, t
		postAs(bob, general, "please answer this")
		ta.waitText("bob's question", "please answer this")
		ta.keys(kb.Escape)
		ta.until("focus on the messages", `document.activeElement.id === "messages"`)
		ta.keys("i")
		ta.until("the composer focused", `document.activeElement.matches("textarea.composer-text")`)
		ta.keys("sent by keys\r")
		tbb.waitText("the keyed message", "sent by keys")
		if v := ta.eval(`document.querySelector("textarea.composer-text").value`); v != "" {
			t.Errorf("composer after sending holds %q", v)
		}

		// Visual mode: v selects the newest, k the one before it.
		ta.keys(kb.Escape)
		ta.keys("v")
		ta.until("visual mode", `!document.querySelector(".visual-indicator").hidden && document.querySelector(".msg.selected")`)
		if got := ta.eval(`getComputedStyle(document.querySelector(".visual-indicator")).textTransform + " " + document.querySelector(".visual-indicator").textContent`); got != "uppercase -- visual --" {
			t.Errorf("indicator %q", got)
		}
		ta.shot("live-visual")
		if got := ta.eval(`document.querySelector(".msg.selected .msg-text").textContent`); got != "sent by keys" {
			t.Errorf("v selected %q", got)
		}
		ta.keys("k")
		ta.until("the question selected", `document.querySelector(".msg.selected .msg-text")?.textContent === "please answer this"`)
		ta.keys("d")
		ta.until("the refusal", `[...document.querySelectorAll(".toast")].some((t) => t.textContent === "You can only delete your own messages")`)
		ta.until("visual mode left", `document.querySelector(".visual-indicator").hidden && !document.querySelector(".msg.selected")`)

		// o replies to the selected message.
		ta.keys("v")
		ta.keys("k")
		ta.until("the question selected", `document.querySelector(".msg.selected .msg-text")?.textContent === "please answer this"`)
		ta.keys("o")
		ta.until("reply mode in the composer", `!document.querySelector(".reply-bar").hidden && document.activeElement.matches("textarea.composer-text")`)
		ta.keys("answered by keys\r")
		tbb.waitText("the reply in bob's page", "answered by keys")
		if got := tbb.eval(rowOf("answered by keys") + `.querySelector(".reply-quote").textContent`); !strings.Contains(got, "please answer this") {
			t.Errorf("reply quote %q", got)
		}

		// e opens the reaction picker on the selected message; Enter picks.
		ta.keys(kb.Escape)
		ta.keys("v")
		ta.keys("k")
		ta.keys(kb.ArrowUp)
		ta.until("the question selected", `document.querySelector(".msg.selected .msg-text")?.textContent === "please answer this"`)
		ta.keys("e")
		ta.until("the picker focused", `document.activeElement && document.activeElement.closest(".reaction-picker, .emoji-picker, [role='menu'], [role='dialog']")`)
		ta.keys("\r")
		tbb.until("alice's reaction in bob's page", rowOf("please answer this")+`?.querySelector(".reaction")?.textContent.includes("1")`)

		// y copies the raw text and stays in visual mode.
		ta.keys(kb.Escape)
		ta.keys("v")
		ta.keys("y")
		ta.until("the copy toast", `[...document.querySelectorAll(".toast")].some((t) => t.textContent === "Message copied" || t.textContent === "Could not copy — clipboard unavailable")`)
		if ta.eval(`String(!document.querySelector(".visual-indicator").hidden)`) != "true" {
			t.Error("y left visual mode")
		}
		ta.keys(kb.Escape)
		ta.until("visual mode left by Esc", `document.querySelector(".visual-indicator").hidden`)

		// Ctrl+J / Ctrl+K walk the sidebar.
		ta.keyWith("j", chromedp.ModifierCtrl)
		ta.until("the next conversation", "!"+current(general))
		ta.keyWith("k", chromedp.ModifierCtrl)
		ta.until("general again", current(general))
		ta.clean()
		tbb.clean()
	})

	t.Run("help opens with ? and closes with Esc", func(t *testing.T) {
		ta.t = t
		ta.keys(kb.Escape)
		ta.keys("?")
		ta.until("the help dialog", `document.querySelector("dialog.help[open]") && document.activeElement.matches(".help-filter")`)
		if n := ta.eval(`String(document.querySelectorAll("dialog.help .help-section").length)`); n != "14" {
			t.Errorf("help has %s sections", n)
		}
		if got := ta.eval(`[...document.querySelectorAll("dialog.help li")].map((l) => l.textContent).find((s) => s.startsWith("Maximum attachment size")) || ""`); got != "Maximum attachment size: 25 MB per file" {
			t.Errorf("upload limit line %q", got)
		}
		ta.shot("live-help")
		ta.keys("visual mode")
		ta.until("the filter to narrow", `document.querySelector(".help-pills").hidden && [...document.querySelectorAll("dialog.help .help-section")].filter((s) => !s.hidden).length < 14`)
		if got := ta.eval(`[...document.querySelectorAll("dialog.help .help-section:not([hidden]) h3")].map((h) => h.textContent).join(",")`); !strings.Contains(got, "Visual Mode") {
			t.Errorf("sections left by the filter: %q", got)
		}
		ta.keys("zzqx")
		ta.until("the empty state", `!document.querySelector(".help-empty").hidden`)
		ta.keys(kb.Escape)
		ta.until("help closed", `!document.querySelector("dialog.help")`)
		ta.clean()
	})

	t.Run("jump to latest", func(t *testing.T) {
		ta.t, tbb.t = t, t
		for i := 1; i <= 60; i++ {
			postAs(bob, general, fmt.Sprintf("filler %02d", i))
		}
		ta.waitText("the last filler", "filler 60")
		ta.keys(kb.Escape)
		ta.keys("gg")
		ta.until("the pill", `!document.querySelector(".jump-latest").hidden && document.querySelector(".jump-latest").textContent === "Jump to latest"`)
		postAs(bob, general, "news below")
		ta.until("the count on the pill", `document.querySelector(".jump-latest").textContent === "1 new message"`)
		ta.shot("live-pill")
		if got := ta.eval(`document.querySelector(".jump-latest").getAttribute("aria-label")`); !strings.Contains(got, "1 new message") {
			t.Errorf("pill label %q", got)
		}
		ta.click(".jump-latest")
		ta.until("the bottom", `(() => { const l = document.querySelector("#messages"); return l.scrollHeight - l.scrollTop - l.clientHeight <= 40; })()`)
		ta.until("the pill gone", `document.querySelector(".jump-latest").hidden`)
		ta.clean()
		tbb.clean()
	})
	t.Logf("browser live tests took %s", time.Since(start).Round(time.Millisecond))
}
