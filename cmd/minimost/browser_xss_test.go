package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Issue 7's safety acceptance: a corpus of hostile strings (testdata/
// xss-payloads.txt) sent as messages, private channel names, file names,
// bios and link-preview fields never runs script in the reader's page and
// shows as text.

// xssSentinel runs before any page script: every payload would call
// __xss() (or one of the dialogs, pointed at it too), so a count above
// zero means script from user data ran.
const xssSentinel = `window.__xssCalls = 0;
window.__xss = () => { window.__xssCalls++; };
for (const k of ["alert", "confirm", "prompt"]) window[k] = () => { window.__xssCalls++; };`

// xssDOMCheck lists whatever in the document could only have come from
// markup in user data: active elements, event-handler attributes and
// URLs with a scheme the client never writes.
const xssDOMCheck = `(() => {
	const bad = [];
	for (const el of document.querySelectorAll("*")) {
		const tag = el.tagName.toLowerCase();
		const fromApp = el.closest("#root");
		if (fromApp && ["iframe", "object", "embed", "frame", "frameset", "base", "form", "math", "template", "noscript", "marquee", "video", "audio", "source"].includes(tag)) bad.push("element " + tag);
		if (tag === "script" && !(el.getAttribute("src") || "").startsWith("/assets/")) bad.push("script " + (el.getAttribute("src") || "inline"));
		if (tag === "style" && el.closest("body")) bad.push("style element in the body");
		if (tag === "link" && !(el.getAttribute("href") || "").startsWith("/")) bad.push("link " + el.getAttribute("href"));
		if (tag === "meta" && el.getAttribute("http-equiv")) bad.push("meta http-equiv");
		for (const a of el.attributes) {
			const n = a.name.toLowerCase();
			if (n.startsWith("on")) bad.push(tag + " @" + n);
			if (["href", "src", "action", "formaction", "data", "srcdoc", "xlink:href"].includes(n)) {
				const v = a.value.trim().toLowerCase();
				const ok = v === "" || v.startsWith("/") || v.startsWith("#") || v.startsWith("https://") || v.startsWith("http://") ||
					v.startsWith("blob:") || v.startsWith("data:image/");
				if (!ok || n === "srcdoc") bad.push(tag + " @" + n + "=" + a.value);
			}
		}
	}
	return bad.join("; ");
})()`

func loadPayloads(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "xss-payloads.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "# ") {
			continue
		}
		out = append(out, line)
	}
	if len(out) < 50 {
		t.Fatalf("the corpus holds %d payloads, want at least 50", len(out))
	}
	return out
}

// markdownFree reports whether a payload's text should show exactly as
// sent: no markdown delimiters, mention or link the renderer turns into
// something else.
func markdownFree(p string) bool {
	return !strings.ContainsAny(p, "*_~`[@:") && !strings.Contains(p, "www.") && strings.TrimSpace(p) == p
}

// hostilePages serves, on loopback, one page per payload whose title,
// description and site name are payloads (escaped as HTML, so the
// preview's fields are the payloads themselves once parsed).
func hostilePages(payloads []string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/p/"))
		if err != nil || i < 0 || i >= len(payloads) {
			http.NotFound(w, r)
			return
		}
		at := func(k int) string { return html.EscapeString(payloads[(i+k)%len(payloads)]) }
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>%s</title>
<meta property="og:title" content="%s">
<meta property="og:description" content="%s">
<meta property="og:site_name" content="%s">
</head><body>page %d</body></html>`, at(0), at(0), at(1), at(2), i)
	}))
}

// collapsed is a preview field as the server returns it: whitespace runs
// collapsed, control and bidirectional override characters dropped
// (behavior.md §12), at most limit characters.
func collapsed(s string, limit int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit])
	}
	return s
}

func TestBrowserXSS(t *testing.T) {
	payloads := loadPayloads(t)
	addr, pool := browserDaemon(t, `{"rate_limit_enabled": false, "link_preview_allowed_networks": ["127.0.0.0/8"]}`)
	const pw = "Correct-Horse-Battery-9"
	alice, _ := signup(t, addr, pool, "alice"), signup(t, addr, pool, "bob")
	general := firstPublic(t, alice)
	pages := hostilePages(payloads)
	defer pages.Close()

	b := startBrowser(t, addr, pool)
	bob := b.tab(t)
	if _, err := chromedp.Call(bob.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: xssSentinel}); err != nil {
		t.Fatal(err)
	}
	bob.login("bob", pw)
	bob.inApp()
	bob.until("the composer", `document.querySelector("textarea.composer-text")`)

	// safe checks the sentinel, that the page is still the chat, and the
	// whole document for markup that only user data could have made.
	safe := func(t *testing.T, where string) {
		t.Helper()
		bob.t = t
		if n := bob.eval(`String(window.__xssCalls)`); n != "0" {
			t.Errorf("%s: the sentinel ran %s times", where, n)
		}
		if path := bob.eval(`location.pathname`); path != "/" {
			t.Errorf("%s: the page left the chat for %s", where, path)
		}
		if bad := bob.eval(xssDOMCheck); bad != "" {
			t.Errorf("%s: markup from user data: %s", where, bad)
		}
		bob.clean()
	}

	t.Run("messages", func(t *testing.T) {
		bob.t = t
		for _, pl := range payloads {
			alice.do("POST", fmt.Sprintf("/api/v1/channels/%d/messages", general), map[string]any{"text": pl}, true).expect(t, 201, "")
		}
		bob.waitText("the last payload", payloads[len(payloads)-1])
		texts := map[string]bool{}
		for _, s := range bob.msgTexts() {
			texts[s] = true
		}
		for _, pl := range payloads {
			if markdownFree(pl) && !texts[pl] {
				t.Errorf("payload %q is not shown as its own text", pl)
			}
		}
		// Scroll through every row, so that anything lazy (images,
		// previews) gets its chance to run.
		bob.eval(`(async () => { for (const r of document.querySelectorAll("#messages .msg")) { r.scrollIntoView(); await new Promise((f) => requestAnimationFrame(f)); } return ""; })()`)
		safe(t, "messages")
	})

	t.Run("bios", func(t *testing.T) {
		bob.t = t
		// bob opens alice's profile card from her name, with the keyboard;
		// the card follows user.updated, so each new bio is drawn into it.
		head := `[...document.querySelectorAll("#messages .msg.head")].filter((r) => r.querySelector(".msg-author")?.textContent === "alice").pop()`
		bob.eval(`(() => { ` + head + `.querySelector("button.msg-author").focus(); return ""; })()`)
		bob.keys("\r")
		bob.until("alice's card", `document.querySelector(".hovercard .hovercard-name")`)
		accepted := 0
		for _, pl := range payloads {
			bio := strings.TrimSpace(pl)
			if utf8.RuneCountInString(bio) > 160 {
				continue
			}
			a := alice.do("PATCH", "/api/v1/me/settings", map[string]any{"bio": pl}, true)
			if a.status == 400 {
				continue // a character bios refuse (behavior.md §3.1)
			}
			a.expect(t, 200, "")
			accepted++
			bob.until("the card to show the bio "+bio, fmt.Sprintf(`document.querySelector(".hovercard .hovercard-bio")?.textContent === %q`, bio))
		}
		if accepted < 50 {
			t.Errorf("only %d payloads were accepted as bios", accepted)
		}
		safe(t, "profile card")
		bob.keys(kb.Escape)
		bob.until("the card to close", `!document.querySelector(".hovercard")`)
		// The members dialog lists bios too.
		bob.click(".members-btn")
		last := strings.TrimSpace(payloads[len(payloads)-1])
		bob.until("alice's bio in the members dialog", fmt.Sprintf(`[...document.querySelectorAll(".member-bio")].some((e) => e.textContent === %q)`, last))
		safe(t, "members dialog")
		bob.keys(kb.Escape)
		bob.until("the members dialog to close", `!document.querySelector(".member-bio")`)
	})

	t.Run("link-preview fields", func(t *testing.T) {
		bob.t = t
		// A conversation of their own, so every preview row is drawn.
		ch := alice.do("POST", "/api/v1/channels", map[string]any{"name": "previews", "members": []string{"bob"}}, true).expect(t, 201, "")
		chID := int64(ch.body["id"].(float64))
		for i := range payloads {
			alice.do("POST", fmt.Sprintf("/api/v1/channels/%d/messages", chID), map[string]any{"text": fmt.Sprintf("preview %d: %s/p/%d", i, pages.URL, i)}, true).expect(t, 201, "")
		}
		bob.until("the previews channel in the sidebar", fmt.Sprintf(`document.querySelector('nav.sidebar [data-channel="%d"]')`, chID))
		bob.eval(fmt.Sprintf(`(() => { document.querySelector('nav.sidebar [data-channel="%d"]').click(); return ""; })()`, chID))
		for i, pl := range payloads {
			row := fmt.Sprintf(`[...document.querySelectorAll("#messages .msg")].find((r) => r.querySelector(".msg-text")?.textContent.startsWith("preview %d: "))`, i)
			bob.until(fmt.Sprintf("the row of page %d", i), row)
			bob.eval(`(() => { ` + row + `.scrollIntoView({block: "center"}); return ""; })()`)
			bob.until(fmt.Sprintf("the preview card of page %d", i), row+`.querySelector(".link-preview .link-preview-title")`)
			got := bob.eval(row + `.querySelector(".link-preview .link-preview-title").textContent`)
			if want := collapsed(pl, 200); got != want {
				t.Errorf("preview %d title %q, want %q", i, got, want)
			}
			if want := collapsed(payloads[(i+1)%len(payloads)], 500); bob.eval(row+`.querySelector(".link-preview-desc")?.textContent ?? ""`) != want {
				t.Errorf("preview %d description is not %q", i, want)
			}
			if want := collapsed(payloads[(i+2)%len(payloads)], 200); !strings.Contains(bob.eval(row+`.querySelector(".link-preview-site")?.textContent ?? ""`), want) {
				t.Errorf("preview %d site name is not %q", i, want)
			}
		}
		safe(t, "link previews")
		bob.eval(fmt.Sprintf(`(() => { document.querySelector('nav.sidebar [data-channel="%d"]').click(); return ""; })()`, general))
	})

	t.Run("private channel names", func(t *testing.T) {
		bob.t = t
		var names []string
		for _, pl := range payloads {
			name := strings.TrimSpace(pl)
			if utf8.RuneCountInString(name) > 80 {
				continue
			}
			alice.do("POST", "/api/v1/channels", map[string]any{"name": pl, "members": []string{"bob"}}, true).expect(t, 201, "")
			names = append(names, name)
		}
		if len(names) < 50 {
			t.Fatalf("only %d payloads fit a channel name", len(names))
		}
		bob.until("every channel in bob's sidebar", fmt.Sprintf(`document.querySelectorAll("nav.sidebar [data-channel]").length >= %d`, len(names)))
		var shown []string
		if err := json.Unmarshal([]byte(bob.eval(`JSON.stringify([...document.querySelectorAll("nav.sidebar *")].map((e) => e.textContent))`)), &shown); err != nil {
			t.Fatal(err)
		}
		all := strings.Join(shown, "\n")
		for _, n := range names {
			if !strings.Contains(all, n) {
				t.Errorf("channel %q is not in bob's sidebar as text", n)
			}
		}
		safe(t, "sidebar")
		// Open a few: the top bar and the empty conversation show the name.
		for _, n := range names[:5] {
			bob.eval(fmt.Sprintf(`(() => { [...document.querySelectorAll("nav.sidebar [data-channel]")].find((e) => e.textContent.includes(%q))?.click(); return ""; })()`, n))
			bob.until("the top bar to show "+n, fmt.Sprintf(`document.querySelector("#channel-title")?.textContent.includes(%q)`, n))
		}
		safe(t, "opened channels")
		bob.eval(fmt.Sprintf(`(() => { document.querySelector('nav.sidebar [data-channel="%d"]').click(); return ""; })()`, general))
	})

	t.Run("file names", func(t *testing.T) {
		bob.t = t
		var shownNames []string
		for start := 0; start < len(payloads); start += 10 {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			for _, pl := range payloads[start:min(start+10, len(payloads))] {
				fw, err := mw.CreateFormFile("file", pl)
				if err != nil {
					t.Fatal(err)
				}
				fw.Write([]byte("x"))
			}
			mw.Close()
			a := alice.post(t, fmt.Sprintf("/api/v1/channels/%d/messages", general), mw.FormDataContentType(), &body).expect(t, 201, "")
			for _, m := range a.body["messages"].([]any) {
				for _, att := range m.(map[string]any)["attachments"].([]any) {
					shownNames = append(shownNames, att.(map[string]any)["name"].(string))
				}
			}
		}
		last := shownNames[len(shownNames)-1]
		bob.until("the last file card", fmt.Sprintf(`document.querySelector("#messages").textContent.includes(%q)`, last))
		text := bob.eval(`document.querySelector("#messages").textContent`)
		for _, n := range shownNames {
			if !strings.Contains(text, n) {
				t.Errorf("file name %q is not shown", n)
			}
		}
		safe(t, "file names")
	})
}
