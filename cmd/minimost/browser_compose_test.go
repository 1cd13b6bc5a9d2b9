package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The composer and the message row in two browsers (issue 7): an image
// pasted in one page shows in the other; the formatting helpers, the
// mention list and the reaction picker work from the keyboard; a link to
// a page on loopback gets a preview card drawn as text; the profile card
// shows a bio and opens the DM.

// loopbackPage serves a page whose title and description carry markup, as
// a hostile site would; it stands for "a page on the LAN" that the
// operator allowed with link_preview_allowed_networks.
func loopbackPage(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head>
<title>Loopback &lt;b&gt;Title&lt;/b&gt;</title>
<meta property="og:site_name" content="Loop Site">
<meta property="og:description" content="A page &lt;img src=x onerror=__xss()&gt; about things">
</head><body><p>hello</p></body></html>`)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}

// pastePNG is JavaScript that pastes a PNG named name into the composer
// the way a browser does: a paste event whose clipboard holds the file.
func pastePNG(t *testing.T, name string, w, ht int) string {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, ht))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 13)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`(() => {
		const bin = atob(%q);
		const f = new File([Uint8Array.from(bin, (c) => c.charCodeAt(0))], %q, { type: "image/png" });
		const dt = new DataTransfer();
		dt.items.add(f);
		const ta = document.querySelector("textarea.composer-text");
		ta.focus();
		const ev = new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true });
		ta.dispatchEvent(ev);
		return String(ev.defaultPrevented);
	})()`, base64.StdEncoding.EncodeToString(buf.Bytes()), name)
}

// composerState is the composer's text and selection as "value|selected".
func composerState(tb *chromiumTab) string {
	return tb.eval(`(() => { const t = document.querySelector("textarea.composer-text"); return t.value + "|" + t.value.slice(t.selectionStart, t.selectionEnd); })()`)
}

func setComposer(tb *chromiumTab, value string, selStart, selEnd int) {
	tb.eval(fmt.Sprintf(`(() => { const t = document.querySelector("textarea.composer-text"); t.focus(); t.value = %q; t.setSelectionRange(%d, %d); t.dispatchEvent(new Event("input")); return ""; })()`, value, selStart, selEnd))
}

func TestBrowserCompose(t *testing.T) {
	start := time.Now()
	addr, pool := browserDaemon(t, `{"rate_limit_enabled": false, "link_preview_allowed_networks": ["127.0.0.0/8"]}`)
	site := loopbackPage(t)
	const pw = "Correct-Horse-Battery-9"
	const bio = "Builds <i>bridges</i> & tunnels"
	alice, bob := signup(t, addr, pool, "alice"), signup(t, addr, pool, "bob")
	bob.do("PATCH", "/api/v1/me/settings", map[string]any{"bio": bio}, true).expect(t, 200, "")
	general := firstPublic(t, alice)

	b := startBrowser(t, addr, pool)
	ta, tbb := chatTab(t, b, "alice", pw), chatTab(t, b, "bob", pw)

	t.Run("a pasted image and a dropped file reach the other page", func(t *testing.T) {
		ta.t, tbb.t = t, t
		if got := ta.eval(pastePNG(t, "pasted.png", 48, 30)); got != "true" {
			t.Errorf("the paste of a file was not taken by the composer (defaultPrevented %s)", got)
		}
		ta.until("the staged thumbnail", `document.querySelector(".staged-file.image img.staged-thumb")?.complete && document.querySelector(".staged-file.image img.staged-thumb").naturalWidth === 48`)
		// A file dropped on the composer is staged too.
		ta.eval(`(() => {
			const dt = new DataTransfer();
			dt.items.add(new File(["def greet():\n    return 'hi'\n"], "greet.py", { type: "text/x-python" }));
			const box = document.querySelector(".composer");
			box.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
			box.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
			return "";
		})()`)
		ta.until("two staged files", `document.querySelectorAll(".staged-file").length === 2`)
		ta.shot("compose-staged")
		if got := ta.eval(`[...document.querySelectorAll(".staged-file .file-name")].map((e) => e.textContent).join(",")`); got != "greet.py" {
			t.Errorf("staged file cards %q", got)
		}
		ta.typeInto("textarea.composer-text", "pasted picture\r")
		tbb.waitText("the text of the upload", "pasted picture")
		tbb.until("the inline image", `document.querySelector('#messages img.inline-image[alt="pasted.png"]')`)
		tbb.eval(`(() => { document.querySelector('#messages img.inline-image[alt="pasted.png"]').scrollIntoView(); return ""; })()`)
		tbb.until("the pasted image to load", `(() => { const i = document.querySelector('#messages img.inline-image[alt="pasted.png"]'); return i.complete && i.naturalWidth === 48 && i.getAttribute("src").startsWith("/api/v1/files/"); })()`)
		// The Python file is previewed as code under its download card.
		tbb.until("the file's code preview", `[...document.querySelectorAll("#messages .code-preview")].some((c) => c.querySelector(".file-card .file-name")?.textContent === "greet.py" && c.querySelector(".code-preview-body").textContent.includes("return 'hi'"))`)
		if got := tbb.eval(`[...document.querySelectorAll("#messages .code-preview .tok-kw")].map((e) => e.textContent).join(",")`); got != "def,return" {
			t.Errorf("highlighted keywords %q", got)
		}
		ta.until("the composer to clear", `document.querySelectorAll(".staged-file").length === 0`)
		ta.clean()
		tbb.clean()
	})

	t.Run("formatting helpers wrap the selection", func(t *testing.T) {
		ta.t = t
		setComposer(ta, "make this bold", 10, 14)
		ta.do(chromedp.KeyEvent("b", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
		if got := composerState(ta); got != "make this **bold**|bold" {
			t.Errorf("after Ctrl+B: %q", got)
		}
		// The toolbar's Italic button, on another selection.
		ta.eval(`(() => { document.querySelector("textarea.composer-text").setSelectionRange(5, 9); return ""; })()`)
		ta.click(`.composer button[aria-label="Italic"]`)
		if got := composerState(ta); got != "make *this* **bold**|this" {
			t.Errorf("after Italic: %q", got)
		}
		// Nothing selected: the pair goes in with the caret between.
		setComposer(ta, "x ", 2, 2)
		ta.do(chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
		ta.typeInto("textarea.composer-text", "gone")
		if got := composerState(ta); got != "x ~~gone~~|" {
			t.Errorf("after Ctrl+S and typing: %q", got)
		}
		// The code-block picker: type to filter, Enter inserts the fences.
		setComposer(ta, "print(1)", 0, 8)
		ta.eval(`(() => { document.querySelector('.composer button[aria-label="Code block"]').focus(); return ""; })()`)
		ta.keys("\r")
		ta.until("the language search", `document.activeElement?.matches(".code-picker-search")`)
		ta.keys("pyt")
		ta.until("Python first", `document.querySelector('.code-picker-opt[aria-selected="true"]')?.textContent === "Python"`)
		ta.keys("\r")
		if got := composerState(ta); got != "```python\nprint(1)\n```|" {
			t.Errorf("after the code-block picker: %q", got)
		}
		if got := ta.eval(`String(document.activeElement === document.querySelector("textarea.composer-text") && document.querySelector(".code-picker").hidden)`); got != "true" {
			t.Errorf("after inserting, focus is not back in the composer / picker still open")
		}
		// The emoji button: search, Enter inserts at the caret and the
		// picker stays for more; Esc closes it and returns to the composer.
		setComposer(ta, "go !", 3, 3)
		ta.eval(`(() => { document.querySelector('.composer button[aria-label="Add emoji"]').focus(); return ""; })()`)
		ta.keys("\r")
		ta.until("the emoji picker, its search box focused", `document.activeElement?.matches(".insert-picker .emoji-search")`)
		ta.keys("rocket")
		ta.until("the search", `document.activeElement?.value === "rocket"`)
		ta.keys("\r")
		if got := composerState(ta); got != "go 🚀!|" {
			t.Errorf("after picking an emoji: %q", got)
		}
		ta.keys(kb.Escape)
		ta.until("the picker to close, focus in the composer", `!document.querySelector(".insert-picker") && document.activeElement.matches("textarea.composer-text")`)
		setComposer(ta, "", 0, 0)
		ta.clean()
	})

	t.Run("mention autocomplete with keys only", func(t *testing.T) {
		ta.t, tbb.t = t, t
		setComposer(ta, "", 0, 0)
		ta.typeInto("textarea.composer-text", "ping @")
		ta.until("the mention list", `!document.querySelector(".mention-list").hidden`)
		if got := ta.eval(`[...document.querySelectorAll(".mention-list [role=option]")].map((o) => o.querySelector(".mention-name").textContent).join(",")`); got != "everyone,bob" {
			t.Errorf("candidates %q, want everyone first, then bob (not yourself)", got)
		}
		ta.shot("compose-mentions")
		ta.keys(kb.ArrowDown)
		ta.until("bob highlighted", `document.querySelector('.mention-list [aria-selected="true"] .mention-name')?.textContent === "bob"`)
		if got := ta.eval(`document.getElementById(document.querySelector("textarea.composer-text").getAttribute("aria-activedescendant"))?.querySelector(".mention-name")?.textContent ?? ""`); got != "bob" {
			t.Errorf("aria-activedescendant names %q", got)
		}
		ta.keys("\r")
		if got := composerState(ta); got != "ping @bob |" {
			t.Errorf("after Enter on bob: %q", got)
		}
		ta.until("the list to close", `document.querySelector(".mention-list").hidden`)
		// Fuzzy: "@bo" finds bob first; Tab accepts. Esc closes only the list.
		ta.typeInto("textarea.composer-text", "and @bo")
		ta.until("bob first", `document.querySelector('.mention-list [aria-selected="true"] .mention-name')?.textContent === "bob"`)
		ta.keys("\t")
		ta.typeInto("textarea.composer-text", "@")
		ta.until("the list again", `!document.querySelector(".mention-list").hidden`)
		ta.keys(kb.Escape)
		ta.until("Esc to close the list", `document.querySelector(".mention-list").hidden && document.activeElement.matches("textarea.composer-text")`)
		ta.keys("\b\r")
		tbb.waitText("the mention in bob's page", "ping @bob and @bob")
		if got := tbb.eval(`String(` + rowOf("ping @bob and @bob") + `.querySelectorAll(".mention.self").length)`); got != "2" {
			t.Errorf("bob's page shows %s pills for his name", got)
		}
		ta.clean()
		tbb.clean()
	})

	t.Run("a reaction picked with keys shows in the other page and goes away", func(t *testing.T) {
		ta.t, tbb.t = t, t
		row := rowOf("ping @bob and @bob")
		tbb.eval(row + `.querySelector('button[aria-label="Add reaction"]').focus(), ""`)
		tbb.keys("\r")
		tbb.until("the picker with its search box focused", `document.activeElement?.matches(".reaction-picker .emoji-search")`)
		if n := tbb.eval(`String(document.querySelectorAll(".reaction-picker .pick").length)`); n != "477" {
			t.Errorf("the picker offers %s emoji, want 477", n)
		}
		// Typing searches; Enter takes the first match.
		tbb.shot("compose-reaction-picker")
		tbb.keys("party")
		tbb.until("the search to filter", `document.activeElement?.matches(".reaction-picker .emoji-search") && document.activeElement.value === "party"`)
		if got := tbb.eval(`[...document.querySelectorAll(".reaction-picker .pick:not([hidden])")].map((b) => b.textContent).join("")`); got != "🎉🥳" {
			t.Errorf("search for party shows %q", got)
		}
		tbb.keys("\r")
		ta.until("bob's reaction in alice's page", row+`?.querySelector(".reaction")?.textContent === "🎉 1"`)
		if got := ta.eval(row + `.querySelector(".reaction").dataset.who`); got != "bob" {
			t.Errorf("reactors %q", got)
		}
		tbb.until("the picker to close", `!document.querySelector(".reaction-picker")`)
		// ↓ enters the grid on 👍; arrows move in it: right twice is ❤️.
		tbb.eval(row + `.querySelector('button[aria-label="Add reaction"]').focus(), ""`)
		tbb.keys("\r")
		tbb.until("the picker again", `document.activeElement?.matches(".reaction-picker .emoji-search")`)
		tbb.keys(kb.ArrowDown)
		tbb.until("the first emoji", `document.activeElement?.matches(".reaction-picker .pick") && document.activeElement.textContent === "👍"`)
		tbb.keys(kb.ArrowRight + kb.ArrowRight + "\r")
		ta.until("the second reaction", row+`?.querySelectorAll(".reaction")[1]?.textContent === "❤️ 1"`)
		// Bob takes the party back by its chip, with Enter.
		tbb.until("bob's chip pressed", row+`?.querySelector('.reaction[aria-pressed="true"]')`)
		tbb.eval(row + `.querySelector(".reaction").focus(), ""`)
		tbb.keys("\r")
		ta.until("the party chip to go", `(() => { const r = `+row+`; return r && [...r.querySelectorAll(".reaction")].map((c) => c.textContent).join(",") === "❤️ 1"; })()`)
		ta.clean()
		tbb.clean()
	})

	t.Run("a link to a loopback page gets a card drawn as text", func(t *testing.T) {
		ta.t, tbb.t = t, t
		text := "look at " + site + "/page please"
		ta.typeInto("textarea.composer-text", text+"\r")
		tbb.waitText("the link message", text)
		card := rowOf(text) + `?.querySelector(".link-preview")`
		tbb.until("the preview card", card)
		if got := tbb.eval(card + `.querySelector(".link-preview-title").textContent`); got != "Loopback <b>Title</b>" {
			t.Errorf("card title %q", got)
		}
		if got := tbb.eval(card + `.querySelector(".link-preview-site").textContent`); got != "Loop Site" {
			t.Errorf("card site %q", got)
		}
		if got := tbb.eval(card + `.querySelector(".link-preview-desc").textContent`); !strings.Contains(got, "<img src=x onerror=__xss()>") {
			t.Errorf("card description %q", got)
		}
		if got := tbb.eval(card + `.querySelector(".link-preview-title").getAttribute("href")`); got != site+"/page" {
			t.Errorf("card link %q", got)
		}
		if bad := tbb.eval(`[...` + card + `.querySelectorAll("*")].filter((e) => !["DIV","A","IMG"].includes(e.tagName)).map((e) => e.tagName).join(",")`); bad != "" {
			t.Errorf("markup from the page in the card: %s", bad)
		}
		if n := tbb.eval(`String(window.__xssCalls)`); n != "0" {
			t.Errorf("the sentinel ran %s times", n)
		}
		ta.until("the card in the sender's page", rowOf(text)+`?.querySelector(".link-preview-title")`)
		tbb.shot("compose-link-preview")
		ta.clean()
		tbb.clean()
	})

	t.Run("the profile card shows the bio and opens the DM", func(t *testing.T) {
		ta.t = t
		bob.do("POST", fmt.Sprintf("/api/v1/channels/%d/messages", general), map[string]any{"text": "hello from bob"}, true).expect(t, 201, "")
		ta.waitText("bob's message", "hello from bob")
		head := `[...document.querySelectorAll("#messages .msg.head")].filter((r) => r.querySelector(".msg-author")?.textContent === "bob").pop()`
		// From the keyboard: the name is a button; the card takes focus.
		ta.eval(head + `.querySelector("button.msg-author").focus(), ""`)
		ta.keys("\r")
		ta.until("the card", `document.querySelector(".hovercard .hovercard-bio")`)
		if got := ta.text(".hovercard .hovercard-bio"); got != bio {
			t.Errorf("card bio %q, want %q", got, bio)
		}
		if got := ta.text(".hovercard .hovercard-name"); got != "bob" {
			t.Errorf("card name %q", got)
		}
		ta.until("focus on Message", `document.activeElement?.matches(".hovercard .hovercard-message")`)
		ta.shot("compose-hovercard")
		ta.keys(kb.Escape)
		ta.until("the card to close, focus back on the name", `!document.querySelector(".hovercard") && document.activeElement?.matches("button.msg-author")`)
		// By the pointer: hovering the avatar opens it too.
		pos := tabEval[[]float64](ta, `(() => { const r = `+head+`.querySelector(".msg-avatar").getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`)
		ta.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, pos[0], pos[1]))
		ta.until("the card on hover", `document.querySelector(".hovercard .hovercard-bio")`)
		ta.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 5, 5))
		ta.until("the card to go when the pointer leaves", `!document.querySelector(".hovercard")`)
		// "Message" opens the DM with bob.
		ta.eval(head + `.querySelector("button.msg-author").focus(), ""`)
		ta.keys("\r")
		ta.until("focus on Message", `document.activeElement?.matches(".hovercard .hovercard-message")`)
		ta.keys("\r")
		ta.until("the DM open", `document.querySelector("textarea.composer-text").placeholder === "Type a message to @bob…"`)
		ta.clean()
	})
	t.Run("accessibility of the popups, both themes", func(t *testing.T) {
		tbb.t = t
		axe, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
		if err != nil {
			t.Fatal(err)
		}
		// The protocol's scripts are not subject to the page's CSP.
		tbb.eval(string(axe) + `; ""`)
		tbb.click(fmt.Sprintf(`button.row[data-channel="%d"]`, general))
		tbb.until("general with its previews", `document.querySelector("#messages .link-preview") && document.querySelector("#messages .code-preview .tok-kw")`)
		audit := func(what string) {
			t.Helper()
			tbb.until("animations to finish", `document.getAnimations().every((a) => a.playState !== "running" || a.effect.getTiming().iterations === Infinity)`)
			for _, theme := range []string{"dark", "light"} {
				tbb.eval(fmt.Sprintf(`(document.documentElement.dataset.theme = %q, document.dispatchEvent(new Event("minimost:theme")), "")`, theme))
				// The parts this test drives: the list, the composer, the popups.
				got := tbb.eval(`axe.run({include: ["#messages", ".composer-wrap", ".emoji-picker", ".hovercard"]
					.filter((s) => document.querySelector(s)).map((s) => [s])}, {resultTypes: ["violations"]}).then((r) => r.violations
					.filter((v) => v.impact === "serious" || v.impact === "critical")
					.map((v) => v.id + " (" + v.impact + "): " + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; "))
					.join("\n"))`)
				if got != "" {
					t.Errorf("%s, %s theme:\n%s", what, theme, got)
				}
			}
			tbb.eval(`(document.documentElement.dataset.theme = "dark", document.dispatchEvent(new Event("minimost:theme")), "")`)
		}
		setComposer(tbb, "", 0, 0)
		tbb.typeInto("textarea.composer-text", "@")
		tbb.until("the mention list", `!document.querySelector(".mention-list").hidden`)
		audit("mention list")
		tbb.keys(kb.Escape)
		setComposer(tbb, "", 0, 0)
		tbb.eval(`(() => { document.querySelector('.composer button[aria-label="Code block"]').click(); return ""; })()`)
		tbb.until("the code picker", `!document.querySelector(".code-picker").hidden`)
		audit("code-block picker")
		tbb.keys(kb.Escape)
		tbb.eval(`(() => { document.querySelector('.composer button[aria-label="Add emoji"]').click(); return ""; })()`)
		tbb.until("the emoji picker", `document.querySelector(".insert-picker")`)
		audit("emoji picker")
		tbb.keys(kb.Escape)
		tbb.eval(`[...document.querySelectorAll("#messages .msg .actions button[aria-label='Add reaction']")].pop().click(), ""`)
		tbb.until("the reaction picker", `document.querySelector(".reaction-picker")`)
		audit("reaction picker")
		tbb.keys(kb.Escape)
		tbb.eval(`[...document.querySelectorAll("#messages button.msg-author")].pop().click(), ""`)
		tbb.until("the profile card", `document.querySelector(".hovercard")`)
		audit("profile card")
		tbb.keys(kb.Escape)
		tbb.clean()
	})
	t.Logf("browser compose tests took %s", time.Since(start).Round(time.Millisecond))
}
