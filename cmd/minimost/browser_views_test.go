package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The navigation views in real pages (client.md §6, §9.2): search with
// highlights and the jump to a message far back, the mentions view, the
// pins panel, the New DM and private-channel dialogs with their live
// effect on the members' sidebars (and not on an outsider's), the Members
// dialog, and presence dots following another user's chosen state.

// currentChannel is the id of the conversation marked current in the
// sidebar, "" when none.
func (tb *chromiumTab) currentChannel() string {
	tb.t.Helper()
	return tb.eval(`document.querySelector('nav.sidebar button.row[aria-current="true"]')?.dataset.channel ?? ""`)
}

// hasRow is a JS expression: the sidebar lists the conversation.
func hasRow(id string) string {
	return fmt.Sprintf(`!!document.querySelector('nav.sidebar button.row[data-channel="%s"]')`, id)
}

// focusedOn is a JS expression: the message is focused and fully inside
// the message list's visible box.
func focusedOn(id string) string {
	return fmt.Sprintf(`(() => {
		const row = document.querySelector('#messages .msg[data-id="%s"]');
		if (!row || document.activeElement !== row) return false;
		const r = row.getBoundingClientRect(), l = document.querySelector("#messages").getBoundingClientRect();
		return r.top >= l.top - 1 && r.bottom <= l.bottom + 1;
	})()`, id)
}

func TestBrowserViews(t *testing.T) {
	start := time.Now()
	// The far-back search hit needs 160 messages posted in a burst.
	addr, pool := browserDaemon(t, `{"rate_limit_enabled": false}`)
	const pw = "Correct-Horse-Battery-9"
	alice, bob := signup(t, addr, pool, "alice"), signup(t, addr, pool, "bob")
	signup(t, addr, pool, "carol")
	dave := signup(t, addr, pool, "dave")
	general := strconv.FormatInt(firstPublic(t, alice), 10)
	postAs := func(c *apiClient, ch, text string) string {
		t.Helper()
		m := msgOf(t, c.do("POST", "/api/v1/channels/"+ch+"/messages", map[string]any{"text": text}, true).expect(t, 201, ""))
		return strconv.FormatInt(int64(m["id"].(float64)), 10)
	}
	channelIDs := func(c *apiClient) map[string]bool {
		t.Helper()
		var list []map[string]any
		if err := json.Unmarshal([]byte(c.do("GET", "/api/v1/channels", nil, false).expect(t, 200, "").raw), &list); err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, c := range list {
			out[strconv.FormatInt(int64(c["id"].(float64)), 10)] = true
		}
		return out
	}

	b := startBrowser(t, addr, pool)
	ta, tbb, tc := chatTab(t, b, "alice", pw), chatTab(t, b, "bob", pw), chatTab(t, b, "carol", pw)
	all := []*chromiumTab{ta, tbb, tc}
	use := func(t *testing.T) {
		for _, tab := range all {
			tab.t = t
		}
	}

	var dmID string
	t.Run("search finds a message far back and jumps to it by keys", func(t *testing.T) {
		use(t)
		dm := bob.do("POST", "/api/v1/dms", map[string]any{"members": []string{"bob", "alice"}}, true)
		if dm.status != 200 && dm.status != 201 {
			t.Fatalf("dm: %d %s", dm.status, dm.raw)
		}
		dmID = strconv.FormatInt(int64(dm.body["id"].(float64)), 10)
		// History on both sides: older pages exist while the jump scrolls.
		for i := 1; i <= 120; i++ {
			postAs(bob, dmID, fmt.Sprintf("earlier %03d", i))
		}
		target := postAs(bob, dmID, "meet at the zebra-crossing by the bakery")
		for i := 1; i <= 160; i++ {
			postAs(bob, dmID, fmt.Sprintf("filler %03d", i))
		}
		ta.until("the DM in alice's sidebar", hasRow(dmID))
		if ta.currentChannel() != general {
			t.Fatalf("alice starts in %q, want general %s", ta.currentChannel(), general)
		}

		// Keys only from here: the box, a mid-word query in other case,
		// the arrows, Enter.
		ta.do(chromedp.Focus(chromedp.CSS("input.search-input")))
		ta.until("the search panel", `!document.querySelector(".search-panel").hidden`)
		ta.do(chromedp.KeyEvent("EBRA-CROSS"))
		ta.until("the result", `document.querySelectorAll(".search-result").length === 1`)
		if got := ta.eval(`[...document.querySelectorAll(".search-result mark")].map((m) => m.textContent).join("|")`); got != "ebra-cross" {
			t.Errorf("highlighted %q, want the matched text ebra-cross", got)
		}
		if got := ta.text(".search-result .result-text"); got != "meet at the zebra-crossing by the bakery" {
			t.Errorf("snippet %q", got)
		}
		if got := ta.text(".search-result .result-meta"); !strings.HasPrefix(got, "@ bob · ") || !strings.HasSuffix(got, " · bob") {
			t.Errorf("result meta %q, want the DM's label and the sender", got)
		}
		if got := ta.eval(`document.querySelector(".search-result").getAttribute("aria-selected")`); got != "true" {
			t.Errorf("first result selected = %s", got)
		}
		ta.keys(kb.ArrowDown)
		if got := ta.eval(`document.querySelector(".search-result").getAttribute("aria-selected") + " " + document.activeElement.className`); got != "true search-input" {
			t.Errorf("after ↓ with one result (wraps; focus stays in the box): %q", got)
		}
		ta.keys("\r")
		ta.until("the DM to open", fmt.Sprintf(`document.querySelector('nav.sidebar button.row[aria-current="true"]')?.dataset.channel === %q`, dmID))
		ta.until("the far-back message focused and in view", focusedOn(target))
		if ta.eval(`String(document.querySelector(".search-panel").hidden)`) != "true" {
			t.Error("the panel stays open after choosing a result")
		}
		// The page around the hit replaced the newest page: scrolling down
		// pages the newer messages in, with none missing between.
		texts := `[...document.querySelectorAll("#messages .msg .msg-text")].map((e) => e.textContent)`
		ta.until("the newer pages to page in as alice scrolls down", `(() => { const l = document.querySelector("#messages"); l.scrollTop = l.scrollHeight; return `+texts+`.includes("filler 160"); })()`)
		var shown []string
		if err := json.Unmarshal([]byte(ta.eval(`JSON.stringify(`+texts+`)`)), &shown); err != nil {
			t.Fatal(err)
		}
		at := slices.Index(shown, "meet at the zebra-crossing by the bakery")
		if at < 0 || len(shown) < at+161 {
			t.Fatalf("after the jump and scrolling down: hit at %d of %d rows", at, len(shown))
		}
		for i := 1; i <= 160; i++ {
			if want := fmt.Sprintf("filler %03d", i); shown[at+i] != want {
				t.Fatalf("row %d after the hit is %q, want %q (a gap in the history)", i, shown[at+i], want)
			}
		}
		ta.clean()
	})

	t.Run("mentions view lists a mention and jumps to it", func(t *testing.T) {
		use(t)
		id := postAs(bob, general, "@alice have a look at the mention card")
		ta.until("the @ Mentions entry with its count", `!document.querySelector(".mentions-entry").hidden && document.querySelector(".mentions-row .badge").textContent === "1"`)
		ta.click(".mentions-row")
		ta.until("the card", `[...document.querySelectorAll(".mention-card .mention-text")].some((e) => e.textContent === "@alice have a look at the mention card")`)
		if got := ta.text("#channel-title"); got != "Mentions" {
			t.Errorf("title %q, want Mentions", got)
		}
		if ta.eval(`String(document.querySelector(".composer-wrap").hidden && document.querySelector(".members-btn").hidden)`) != "true" {
			t.Error("the composer or the members button shows in the mentions view")
		}
		if got := ta.text(".mention-card .mention-channel"); got != "# general" {
			t.Errorf("card's conversation %q", got)
		}
		ta.click(".mention-card .mention-open")
		ta.until("general to open", fmt.Sprintf(`document.querySelector('nav.sidebar button.row[aria-current="true"]')?.dataset.channel === %q`, general))
		ta.until("the mention focused", focusedOn(id))
		// Read now: it leaves the list, and the entry goes.
		ta.until("the entry to go once read", `document.querySelector(".mentions-entry").hidden`)
		ta.clean()
	})

	t.Run("pins panel lists a pin; unpinning removes it in both pages", func(t *testing.T) {
		use(t)
		id := postAs(alice, general, "pin me please")
		tbb.waitText("the message in bob's page", "pin me please")
		bob.do("PUT", "/api/v1/messages/"+id+"/pin", nil, true).expect(t, 200, "")
		for _, tab := range []*chromiumTab{ta, tbb} {
			tab.until("the pins button with its count", `!document.querySelector(".pins-btn").hidden && document.querySelector(".pins-btn .pins-count").textContent === "1"`)
		}
		if got := ta.eval(`document.querySelector(".pins-btn").getAttribute("aria-label")`); got != "1 pinned message" {
			t.Errorf("pins button label %q", got)
		}
		ta.click(".pins-btn")
		ta.until("the panel's row", `!document.querySelector(".pins-panel").hidden && document.querySelector(".pin-row .pin-preview")?.textContent === "pin me please"`)
		if got := ta.text(".pin-row .pin-meta"); !strings.Contains(got, "alice · pinned by bob") {
			t.Errorf("pin meta %q", got)
		}
		if a := ta.active(); !strings.Contains(a, "pin me please") {
			t.Errorf("focus after opening the panel: %q", a)
		}
		ta.eval(`document.querySelector(".pin-row .pin-unpin").click(), ""`)
		for _, tab := range []*chromiumTab{ta, tbb} {
			tab.until("the pins button to go", `document.querySelector(".pins-btn").hidden && document.querySelector(".pins-panel").hidden`)
			tab.until("the transcript's pin caption to go", rowOf("pin me please")+` && !`+rowOf("pin me please")+`.querySelector(".pinned-by")`)
		}
		ta.clean()
		tbb.clean()
	})

	var groupID string
	t.Run("a group DM from the dialog reaches its members only", func(t *testing.T) {
		use(t)
		ta.click(`button[data-action="new-dm"]`)
		ta.until("the dialog's field focused", `document.activeElement?.matches("input.dm-names")`)
		ta.do(chromedp.KeyEvent("bo"))
		ta.until("bob suggested", `document.querySelector(".suggest:not([hidden]) .suggestion[aria-selected=\"true\"]")?.textContent === "bob"`)
		if got := ta.eval(`document.querySelector(".suggestion mark")?.textContent ?? ""`); got != "bo" {
			t.Errorf("suggestion highlight %q", got)
		}
		ta.keys(kb.Tab)
		ta.until("bob taken", `document.querySelector("input.dm-names").value === "bob, "`)
		ta.do(chromedp.KeyEvent("dv"))
		ta.until("dave suggested (fuzzy)", `document.querySelector(".suggest:not([hidden]) .suggestion[aria-selected=\"true\"]")?.textContent === "dave"`)
		ta.keys("\r")
		ta.until("dave taken", `document.querySelector("input.dm-names").value === "bob, dave, "`)
		ta.keys("\r")
		ta.until("the group DM open, composer focused", `document.querySelector('nav.sidebar button.row[aria-current="true"] .label')?.textContent === "@ bob, dave" && document.activeElement?.matches("textarea.composer-text")`)
		groupID = ta.currentChannel()
		tbb.until("the group DM in bob's sidebar", hasRow(groupID))
		if !channelIDs(dave)[groupID] {
			t.Error("dave's channels lack the group DM")
		}
		// The same set again gives the same conversation.
		ta.click(`button[data-action="new-dm"]`)
		ta.until("the dialog again", `document.activeElement?.matches("input.dm-names")`)
		ta.do(chromedp.KeyEvent("Dave,BOB"))
		ta.eval(`document.querySelector(".new-dm .btn.primary").click(), ""`)
		ta.until("the dialog to close", `!document.querySelector("dialog.new-dm")`)
		if got := ta.currentChannel(); got != groupID {
			t.Errorf("the same members opened %q, want %q", got, groupID)
		}
		ta.typeInto("textarea.composer-text", "hello group\r")
		tbb.click(fmt.Sprintf(`button.row[data-channel="%s"]`, groupID))
		tbb.waitText("the group message", "hello group")
		if tc.eval("String("+hasRow(groupID)+")") != "false" {
			t.Error("carol's sidebar shows the group DM")
		}
		ta.clean()
		tbb.clean()
		tc.clean()
	})

	t.Run("a private channel from the dialog; adding a member shows it live", func(t *testing.T) {
		use(t)
		ta.click(`button[data-action="new-private"]`)
		ta.until("the name field focused", `document.activeElement?.matches('dialog.new-private input[name="name"]')`)
		ta.do(chromedp.KeyEvent("skunkworks"))
		ta.keys(kb.Tab)
		ta.do(chromedp.KeyEvent("bob"))
		ta.until("bob suggested", `document.querySelector("dialog.new-private .suggestion[aria-selected=\"true\"]")?.textContent === "bob"`)
		ta.keys("\r")
		ta.keys("\r")
		ta.until("the channel open with its name bar", `!document.querySelector(".name-bar").hidden && document.querySelector(".name-bar-text").textContent === "skunkworks"`)
		priv := ta.currentChannel()
		if priv == "" || priv == groupID {
			t.Fatalf("current channel %q after creating", priv)
		}
		tbb.until("the channel in bob's sidebar", hasRow(priv))
		// Hovering its row for 3 s lists the members beside it.
		tbb.eval(fmt.Sprintf(`document.querySelector('nav.sidebar button.row[data-channel="%s"]').dispatchEvent(new MouseEvent("mouseenter")), ""`, priv))
		tbb.until("the members tooltip", `!document.querySelector(".member-tip").hidden`)
		if got := tbb.eval(`[...document.querySelectorAll(".member-tip .member-tip-row")].map((e) => e.textContent.slice(2)).join("|")`); got != "alice|bob" {
			t.Errorf("tooltip lists %q", got)
		}
		if tc.eval("String("+hasRow(priv)+")") != "false" {
			t.Error("carol's sidebar shows the private channel before she is added")
		}
		ta.click(".members-btn")
		ta.until("the members", `document.querySelectorAll("dialog.members .member").length === 2`)
		if got := ta.eval(`[...document.querySelectorAll("dialog.members .member-name")].map((e) => e.textContent).join("|")`); got != "alice (you)|bob" {
			t.Errorf("members %q", got)
		}
		ta.do(chromedp.Focus(chromedp.CSS(`dialog.members input[name="username"]`)))
		ta.do(chromedp.KeyEvent("car"))
		ta.until("carol suggested with her presence", `document.querySelector("dialog.members .suggestion[aria-selected=\"true\"] .presence-mark")?.dataset.state === "active"`)
		ta.keys("\r")
		ta.keys("\r")
		tc.until("the channel in carol's sidebar, live", hasRow(priv))
		ta.until("carol in the members list", `document.querySelectorAll("dialog.members .member").length === 3`)
		if got := ta.text(".members-btn .members-count"); got != "3" {
			t.Errorf("members button count %q", got)
		}
		ta.keys(kb.Escape)
		ta.until("the dialog to close", `!document.querySelector("dialog.members")`)
		ta.clean()
		tbb.clean()
		tc.clean()
	})

	t.Run("presence dots follow the other user's chosen state", func(t *testing.T) {
		use(t)
		bobDot := `[...document.querySelectorAll('nav.sidebar .presence-dot[data-user="bob"]')]`
		ta.until("bob shown active", bobDot+`.length > 0 && `+bobDot+`.every((d) => d.dataset.state === "active")`)
		tbb.click(".account-btn")
		tbb.until("the presence rows", `document.querySelectorAll("dialog.account .presence-choice").length === 4`)
		choose := func(label string) {
			tbb.eval(fmt.Sprintf(`[...document.querySelectorAll("dialog.account .presence-choice")].find((l) => l.textContent === %q).click(), ""`, label))
		}
		choose("Away")
		ta.until("bob shown away", bobDot+`.every((d) => d.dataset.state === "idle")`)
		choose("Offline")
		ta.until("bob shown offline", bobDot+`.every((d) => d.dataset.state === "offline")`)
		tbb.until("bob's own dot grey", `document.querySelector(".account-btn .presence-dot").dataset.state === "offline"`)
		choose("Automatic")
		ta.until("bob shown active again", bobDot+`.every((d) => d.dataset.state === "active")`)
		tbb.keys(kb.Escape)
		ta.clean()
		tbb.clean()
	})
	t.Logf("browser views tests took %s", time.Since(start).Round(time.Millisecond))
}
