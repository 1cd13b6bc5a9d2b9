package main

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"
)

// TestBrowserScreenshots draws the login page and a lived-in chat page in
// both themes at a desktop and a phone size, and checks each picture is
// the page at that size. `make screenshots` runs it with
// MINIMOST_SCREENSHOTS naming docs/screenshots, which keeps the pictures
// the README shows; otherwise they go to a temporary directory, so tests
// never rewrite tracked files.
func TestBrowserScreenshots(t *testing.T) {
	out := os.Getenv("MINIMOST_SCREENSHOTS")
	if out == "" {
		out = t.TempDir()
	}
	addr, pool := browserDaemon(t, `{"rate_limit_enabled": false}`)
	const pw = "Correct-Horse-Battery-9"
	ada, grace, linus := signup(t, addr, pool, "ada"), signup(t, addr, pool, "grace"), signup(t, addr, pool, "linus")
	ada.do("PATCH", "/api/v1/me/settings", map[string]any{"name_color": "#4d96ff", "bio": "Firmware lead"}, true).expect(t, 200, "")
	grace.do("PATCH", "/api/v1/me/settings", map[string]any{"name_color": "#2dc653"}, true).expect(t, 200, "")
	linus.do("PATCH", "/api/v1/me/settings", map[string]any{"name_color": "#ff8c42"}, true).expect(t, 200, "")
	general := firstPublic(t, ada)
	say := func(c *apiClient, text string, replyTo any) float64 {
		t.Helper()
		body := map[string]any{"text": text}
		if replyTo != nil {
			body["reply_to"] = replyTo
		}
		a := c.do("POST", fmt.Sprintf("/api/v1/channels/%d/messages", general), body, true).expect(t, 201, "")
		return msgOf(t, a)["id"].(float64)
	}
	say(grace, "Morning! The new board revision arrived, **12 units**.", nil)
	q := say(linus, "Did the flash layout change? The bootloader still expects `0x8000`.", nil)
	say(ada, "It moved to `0x10000`; the notes are in the wiki. @linus can you update the linker script?", q)
	r := say(linus, "On it. Build numbers:\n```\nv2.4.0  ok\nv2.4.1  ok\n```", nil)
	grace.do("PUT", fmt.Sprintf("/api/v1/messages/%d/reactions/%s", int64(r), "%F0%9F%8E%89"), nil, true).expect(t, 200, "")
	ada.do("PUT", fmt.Sprintf("/api/v1/messages/%d/reactions/%s", int64(r), "%F0%9F%8E%89"), nil, true).expect(t, 200, "")
	say(grace, "Thanks both — *release on Friday* then.", nil)

	b := startBrowser(t, addr, pool)
	shoot := func(tb *chromiumTab, name string, width, height int64, mobile bool) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tb.ctx, browserWait)
		defer cancel()
		var emulate chromedp.Action[chromedp.Void] = chromedp.EmulateViewport(width, height)
		if mobile {
			emulate = chromedp.Emulate(device.IPhone13)
		}
		if err := chromedp.Do(ctx, emulate); err != nil {
			t.Fatal(err)
		}
		tb.until("the layout at the new size", fmt.Sprintf(`window.innerWidth === %d && document.fonts.status === "loaded"`, width))
		// At the newest message, as a reader sees the page; then two frames,
		// so the resized layout is painted before the capture.
		tb.eval(`(() => { const m = document.querySelector("#messages"); if (m) m.scrollTop = m.scrollHeight; return ""; })()`)
		tb.eval(`new Promise((f) => requestAnimationFrame(() => requestAnimationFrame(() => f(""))))`)
		pic, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		img, err := png.Decode(bytes.NewReader(pic))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if w := img.Bounds().Dx(); w < int(width) {
			t.Errorf("%s is %d pixels wide, want at least %d", name, w, width)
		}
		if err := os.WriteFile(filepath.Join(out, name+".png"), pic, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, theme := range []string{"light", "dark"} {
		login := b.tab(t)
		login.visit("/login")
		login.eval(fmt.Sprintf(`(() => { localStorage.setItem("theme", %q); return ""; })()`, theme))
		login.visit("/login")
		if got := login.eval(`document.documentElement.dataset.theme`); got != theme {
			t.Fatalf("theme %q, want %q", got, theme)
		}
		shoot(login, "login-"+theme+"-desktop", 1280, 800, false)
		shoot(login, "login-"+theme+"-phone", 390, 844, true)

		chat := b.tab(t)
		chat.visit("/login")
		chat.eval(fmt.Sprintf(`(() => { localStorage.setItem("theme", %q); return ""; })()`, theme))
		chat.login("ada", pw)
		chat.inApp()
		chat.waitText("the last message", "Thanks both — release on Friday then.")
		chat.until("the reaction", `document.querySelector("#messages .reaction, #messages [class*=reaction]")`)
		shoot(chat, "chat-"+theme+"-desktop", 1280, 800, false)
		shoot(chat, "chat-"+theme+"-phone", 390, 844, true)
		chat.clean()
		login.clean()
	}
}
