package main

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The chat, live, in two browsers at once (issue 7's acceptance): what one
// user does shows in the other's page without a reload; a restart of the
// daemon is caught up by the since_seq resync; private conversations stay
// out of a third user's page; hostile text renders as text.

// chatTab logs a user in and waits for the open conversation and the
// live stream.
func chatTab(t *testing.T, b *chromium, user, pw string) *chromiumTab {
	t.Helper()
	tb := b.tab(t)
	tb.login(user, pw)
	tb.inApp()
	tb.until("the composer", `document.querySelector("textarea.composer-text")`)
	// The sentinel of the XSS checks: any payload that runs calls it.
	tb.eval(`(() => { window.__xssCalls = 0; window.__xss = () => { window.__xssCalls++; }; return ""; })()`)
	return tb
}

// browserDaemon starts the daemon by hand for a browser test with the
// given settings.json, and returns its HTTPS address and a pool trusting
// its CA.
func browserDaemon(t *testing.T, settings string) (string, *x509.CertPool) {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	os.MkdirAll(data, 0o700)
	os.WriteFile(filepath.Join(data, "settings.json"), []byte(settings), 0o644)
	_, st := byHand(t, data)
	addr := listener(t, st, "https")
	pool, _ := fetchCA(t, addr)
	return addr, pool
}

// firstPublic returns the id of the first public channel c can read.
func firstPublic(t *testing.T, c *apiClient) int64 {
	t.Helper()
	a := c.do("GET", "/api/v1/channels", nil, false).expect(t, 200, "")
	var chans []struct {
		ID   int64  `json:"id"`
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal([]byte(a.raw), &chans); err != nil {
		t.Fatal(err)
	}
	for _, ch := range chans {
		if ch.Kind == "public" {
			return ch.ID
		}
	}
	t.Fatal("no public channel")
	return 0
}

// msgTexts lists the texts of the drawn messages, in order.
func (tb *chromiumTab) msgTexts() []string {
	tb.t.Helper()
	var out []string
	if err := json.Unmarshal([]byte(tb.eval(`JSON.stringify([...document.querySelectorAll("#messages .msg:not(.pending) .msg-text")].map((e) => e.textContent))`)), &out); err != nil {
		tb.t.Fatal(err)
	}
	return out
}

func (tb *chromiumTab) waitText(what, text string) {
	tb.t.Helper()
	tb.until(what, fmt.Sprintf(`[...document.querySelectorAll("#messages .msg:not(.pending) .msg-text")].some((e) => e.textContent === %q)`, text))
}

// rowOf is a JS expression for the message row whose text is text.
func rowOf(text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("#messages .msg")].find((r) => r.querySelector(".msg-text")?.textContent === %q)`, text)
}

func TestBrowserChat(t *testing.T) {
	start := time.Now()
	data := filepath.Join(t.TempDir(), "data")
	os.MkdirAll(data, 0o700)
	// The paging check posts 130 messages from one account in a burst.
	os.WriteFile(filepath.Join(data, "settings.json"), []byte(`{"rate_limit_enabled": false}`), 0o644)
	p, st := byHand(t, data)
	addr := listener(t, st, "https")
	pool, _ := fetchCA(t, addr)
	const pw = "Correct-Horse-Battery-9"
	alice, bob := signup(t, addr, pool, "alice"), signup(t, addr, pool, "bob")
	signup(t, addr, pool, "carol")
	general := firstPublic(t, alice)
	postAs := func(c *apiClient, ch int64, text string) {
		t.Helper()
		c.do("POST", fmt.Sprintf("/api/v1/channels/%d/messages", ch), map[string]any{"text": text}, true).expect(t, 201, "")
	}

	b := startBrowser(t, addr, pool)
	ta, tbb := chatTab(t, b, "alice", pw), chatTab(t, b, "bob", pw)

	t.Run("a message typed in one page appears in the other", func(t *testing.T) {
		ta.t, tbb.t = t, t
		ta.typeInto("textarea.composer-text", "Hello from **alice**\r")
		tbb.waitText("alice's message in bob's page", "Hello from alice")
		if got := tbb.eval(rowOf("Hello from alice") + `.querySelector(".msg-text strong")?.textContent ?? ""`); got != "alice" {
			t.Errorf("bold part %q", got)
		}
		ta.waitText("the sent message in alice's page", "Hello from alice")
		if v := ta.eval(`document.querySelector("textarea.composer-text").value`); v != "" {
			t.Errorf("composer after sending holds %q", v)
		}
		if n := strings.Count(strings.Join(ta.msgTexts(), "\n"), "Hello from alice"); n != 1 {
			t.Errorf("alice's page shows her message %d times (optimistic copy not matched)", n)
		}
		// Shift+Enter is a newline, not a send.
		tbb.typeInto("textarea.composer-text", "line one")
		tbb.do(chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierShift)))
		tbb.typeInto("textarea.composer-text", "line two\r")
		ta.waitText("bob's two-line message", "line one\nline two")
		ta.clean()
		tbb.clean()
	})

	t.Run("typing indicator", func(t *testing.T) {
		ta.t, tbb.t = t, t
		tbb.typeInto("textarea.composer-text", "typing…")
		ta.until("bob is typing", `document.querySelector(".typing-line").textContent === "bob is typing…"`)
		tbb.eval(`(() => { const t = document.querySelector("textarea.composer-text"); t.value = ""; t.dispatchEvent(new Event("input")); return ""; })()`)
		ta.until("the indicator to expire", `document.querySelector(".typing-line").textContent === ""`)
	})

	t.Run("edit, reply, reaction, pin and delete show in both", func(t *testing.T) {
		ta.t, tbb.t = t, t
		// Edit with ↑ in the empty composer, save with Ctrl+Enter.
		ta.do(chromedp.Focus(chromedp.CSS("textarea.composer-text")))
		ta.keys(kb.ArrowUp)
		ta.until("the editor", `document.activeElement && document.activeElement.matches("textarea.edit-box")`)
		ta.eval(`(() => { document.activeElement.value = "Hello, edited"; return ""; })()`)
		ta.do(chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
		tbb.waitText("the edit in bob's page", "Hello, edited")
		if got := tbb.eval(rowOf("Hello, edited") + `.querySelector(".edited")?.textContent ?? ""`); got != "(edited)" {
			t.Errorf("edited marker %q", got)
		}

		// Bob replies.
		tbb.eval(rowOf("Hello, edited") + `.querySelector('button[aria-label="Reply"]').click(), ""`)
		tbb.until("the reply banner", `!document.querySelector(".reply-bar").hidden && document.activeElement.matches("textarea.composer-text")`)
		tbb.typeInto("textarea.composer-text", "A reply\r")
		ta.waitText("the reply", "A reply")
		if got := ta.eval(rowOf("A reply") + `.querySelector(".reply-quote").textContent`); got != "alice: Hello, edited" {
			t.Errorf("reply quote %q", got)
		}

		// Alice reacts from the picker, by keyboard.
		ta.eval(rowOf("A reply") + `.querySelector('button[aria-label="Add reaction"]').click(), ""`)
		ta.until("the picker", `document.activeElement && document.activeElement.matches(".reaction-picker .emoji-search")`)
		ta.keys("\r")
		tbb.until("the reaction in bob's page", rowOf("A reply")+`?.querySelector(".reaction")?.textContent === "👍 1"`)
		// Bob adds his by the chip, then takes it back.
		tbb.eval(rowOf("A reply") + `.querySelector(".reaction").click(), ""`)
		ta.until("two reactions", rowOf("A reply")+`?.querySelector(".reaction")?.textContent === "👍 2"`)
		tbb.eval(rowOf("A reply") + `.querySelector(".reaction").click(), ""`)
		ta.until("one reaction", rowOf("A reply")+`?.querySelector(".reaction")?.textContent === "👍 1"`)

		// Bob pins alice's message.
		tbb.eval(rowOf("Hello, edited") + `.querySelector('button[aria-label="Pin to channel"]').click(), ""`)
		ta.until("the pin in alice's page", rowOf("Hello, edited")+`?.querySelector(".pinned-by")?.textContent.includes("Pinned by bob")`)

		// Alice deletes her message: gone in both, the reply's quote says so.
		ta.eval(rowOf("Hello, edited") + `.querySelector('button[aria-label="Delete"]').click(), ""`)
		tbb.until("the deletion in bob's page", `!(`+rowOf("Hello, edited")+`)`)
		ta.until("the deletion in alice's page", `!(`+rowOf("Hello, edited")+`)`)
		ta.clean()
		tbb.clean()
	})

	t.Run("private channel and DM are invisible to a third user; badges", func(t *testing.T) {
		ta.t, tbb.t = t, t
		priv := alice.do("POST", "/api/v1/channels", map[string]any{"name": "secret-plans", "members": []string{"bob"}}, true).expect(t, 201, "")
		privID := int64(priv.body["id"].(float64))
		dm := alice.do("POST", "/api/v1/dms", map[string]any{"members": []string{"bob"}}, true)
		if dm.status != 200 && dm.status != 201 {
			t.Fatalf("dm: %d %s", dm.status, dm.raw)
		}
		dmID := int64(dm.body["id"].(float64))
		postAs(alice, dmID, "psst @bob")
		postAs(alice, privID, "plans inside")
		tbb.until("the private channel in bob's sidebar", fmt.Sprintf(`document.querySelector('button.row[data-channel="%d"]')`, privID))
		tbb.until("the DM's unread and mention badge", fmt.Sprintf(`document.querySelector('button.row[data-channel="%d"] .badge.mention:not([hidden])')`, dmID))
		tbb.until("the private channel's unread badge", fmt.Sprintf(`document.querySelector('button.row[data-channel="%d"] .badge:not([hidden])')?.textContent === "1"`, privID))
		tbb.click(fmt.Sprintf(`button.row[data-channel="%d"]`, privID))
		tbb.waitText("the private message", "plans inside")
		tbb.until("the badge to clear", fmt.Sprintf(`document.querySelector('button.row[data-channel="%d"] .badge').hidden`, privID))

		tc := chatTab(t, b, "carol", pw)
		side := tc.text("nav.sidebar")
		if strings.Contains(side, "secret-plans") || tc.eval(fmt.Sprintf(`String(!!document.querySelector('button.row[data-channel="%d"], button.row[data-channel="%d"]'))`, privID, dmID)) != "false" {
			t.Errorf("carol's sidebar shows a conversation she is not in: %q", side)
		}
		// Alice speaks there again: nothing reaches carol's page.
		postAs(alice, privID, "still secret")
		tbb.waitText("the second private message", "still secret")
		if strings.Contains(tc.eval(`document.body.innerText`), "secret") {
			t.Error("carol's page shows private text")
		}
		tc.clean()
		tbb.click(fmt.Sprintf(`button.row[data-channel="%d"]`, general))
		tbb.until("general again", `document.querySelector("#messages .msg")`)
	})

	t.Run("hostile text renders as text", func(t *testing.T) {
		ta.t, tbb.t = t, t
		payloads := []string{
			`<script>__xss()</script>`,
			`<img src=x onerror="__xss()">`,
			`<svg onload=__xss()>`,
			`"><img src=x onerror=__xss()>`,
			`javascript:__xss()`,
			`[click](javascript:__xss())`,
			"https://127.0.0.1:9/\"onmouseover=\"__xss()",
			"http://127.0.0.1:9/<img/src=x/onerror=__xss()>",
			"**<b onclick=__xss()>bold</b>**",
			"`<iframe src=javascript:__xss()>`",
			"```html\n<script>__xss()</script>\n```",
			"~~<a href=javascript:__xss()>u</a>~~",
			"<details open ontoggle=__xss()>",
			"&lt;img src=x onerror=__xss()&gt;",
			"@bob <style>*{display:none}</style>",
		}
		for _, pl := range payloads {
			postAs(alice, general, pl)
		}
		tbb.until("the payloads", fmt.Sprintf(`document.querySelectorAll("#messages .msg").length >= %d`, len(payloads)))
		tbb.waitText("the last payload", "@bob <style>*{display:none}</style>")
		got := strings.Join(tbb.msgTexts(), "\n")
		for _, pl := range payloads {
			want := pl
			switch {
			case strings.HasPrefix(pl, "```"):
				want = "<script>__xss()</script>"
			case strings.HasPrefix(pl, "**"):
				want = "<b onclick=__xss()>bold</b>"
			case strings.HasPrefix(pl, "`"):
				want = "<iframe src=javascript:__xss()>"
			case strings.HasPrefix(pl, "~~"):
				want = "<a href=javascript:__xss()>u</a>"
			}
			if !strings.Contains(got, want) {
				t.Errorf("payload %q not shown as text %q", pl, want)
			}
		}
		tbb.do(chromedp.ScrollIntoView(chromedp.CSS(`#messages .msg:last-child`)))
		for _, tab := range []*chromiumTab{ta, tbb} {
			if n := tab.eval(`String(window.__xssCalls)`); n != "0" {
				t.Errorf("the sentinel ran %s times", n)
			}
			if bad := tab.eval(`[...document.querySelectorAll("#messages .msg-text *")].filter((e) => !["STRONG","EM","U","S","CODE","PRE","A","SPAN","DIV","BUTTON"].includes(e.tagName)).map((e) => e.tagName).join(",")`); bad != "" {
				t.Errorf("markup from message text: %s", bad)
			}
			if bad := tab.eval(`[...document.querySelectorAll("#messages a[href]")].map((a) => a.getAttribute("href")).filter((h) => !/^(https?:\/\/|\/api\/v1\/files\/)/.test(h)).join(" ")`); bad != "" {
				t.Errorf("links with other targets: %s", bad)
			}
			tab.clean()
		}
	})

	t.Run("attachments by the paperclip; paging up", func(t *testing.T) {
		ta.t, tbb.t = t, t
		picture := filepath.Join(t.TempDir(), "<b>chart<i>.png")
		img := image.NewNRGBA(image.Rect(0, 0, 60, 40))
		for i := range img.Pix {
			img.Pix[i] = uint8(i * 7)
		}
		f, _ := os.Create(picture)
		png.Encode(f, img)
		f.Close()
		notes := filepath.Join(t.TempDir(), "notes.txt")
		os.WriteFile(notes, []byte("plain notes\n"), 0o644)
		ta.do(chromedp.SetUploadFiles(chromedp.CSS(`.composer input[type="file"]`), []string{picture, notes}))
		ta.until("two staged files", `document.querySelectorAll(".staged-file").length === 2`)
		ta.typeInto("textarea.composer-text", "two files\r")
		tbb.waitText("the text of the upload", "two files")
		// The server makes the name safe (_b_chart_i_.png); either way it is text.
		tbb.until("the inline image", `document.querySelector("#messages img.inline-image")`)
		tbb.eval(`(() => { document.querySelector("#messages img.inline-image").scrollIntoView(); return ""; })()`)
		tbb.until("the image to load", `[...document.querySelectorAll("#messages img.inline-image")].some((i) => i.alt.endsWith("chart_i_.png") && i.getAttribute("src").startsWith("/api/v1/files/") && i.complete && i.naturalWidth === 60)`)
		tbb.until("the file card", `[...document.querySelectorAll("#messages a.file-card")].some((a) => a.querySelector(".file-name").textContent === "notes.txt" && a.getAttribute("href").startsWith("/api/v1/files/"))`)
		ta.until("the composer to clear", `document.querySelectorAll(".staged-file").length === 0`)

		// Paging: 130 more messages; the page holds the newest 100 and
		// loads the rest when scrolled up, in order, once each.
		var want []string
		for i := 1; i <= 130; i++ {
			s := fmt.Sprintf("page msg %03d", i)
			want = append(want, s)
			postAs(bob, general, s)
		}
		tc := chatTab(t, b, "carol", pw)
		tc.waitText("the newest", "page msg 130")
		if got := tc.eval(`(() => { const l = document.querySelector("#messages"); return String(l.scrollHeight > l.clientHeight); })()`); got != "true" {
			t.Error("the message list does not scroll on its own")
		}
		tc.eval(`(() => { document.querySelector("#messages").scrollTop = 0; return ""; })()`)
		tc.waitText("older messages", "page msg 001")
		var got []string
		for _, s := range tc.msgTexts() {
			if strings.HasPrefix(s, "page msg") {
				got = append(got, s)
			}
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("after paging up: %d messages %q…", len(got), got[:min(3, len(got))])
		}
		tc.clean()
		ta.clean()
		tbb.clean()
	})

	t.Run("a restart is caught up without loss or duplicates", func(t *testing.T) {
		ta.t, tbb.t = t, t
		p.signal(syscall.SIGTERM)
		if code := p.wait(); code != 0 {
			t.Fatalf("exit %d after SIGTERM", code)
		}
		// After the grace period the page says it is reconnecting.
		ta.until("the connection banner", `!document.querySelector(".banner.connection").hidden`)
		if got := ta.text(".banner.connection"); got != "Connection lost — reconnecting…" {
			t.Errorf("banner %q", got)
		}
		p2, _ := byHand(t, data, "--listen", addr)
		_ = p2
		var want []string
		for i := 1; i <= 6; i++ {
			s := fmt.Sprintf("while away %d", i)
			want = append(want, s)
			postAs(bob, general, s)
		}
		ta.waitText("the last message sent while away", "while away 6")
		got := ta.msgTexts()
		var seen []string
		for _, s := range got {
			if strings.HasPrefix(s, "while away") {
				seen = append(seen, s)
			}
		}
		if strings.Join(seen, "|") != strings.Join(want, "|") {
			t.Errorf("after the restart alice's page shows %q, want %q once each, in order", seen, want)
		}
		ta.until("the banner to be hidden", `document.querySelector(".banner.connection").hidden`)
		// The page is live again.
		tbb.waitText("bob's page to catch up too", "while away 6")
		ta.typeInto("textarea.composer-text", "back again\r")
		tbb.waitText("a live message after the restart", "back again")
		// The stream's console noise of the drop is expected; nothing else.
		for _, tab := range []*chromiumTab{ta, tbb} {
			for _, pr := range tab.takeProblems() {
				if !strings.Contains(pr, "WebSocket") && !strings.Contains(pr, "/api/v1/") {
					t.Errorf("console: %s", pr)
				}
			}
		}
	})
	t.Logf("browser chat tests took %s", time.Since(start).Round(time.Millisecond))
}
