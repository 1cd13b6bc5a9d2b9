package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/minimost/minimost/pkg/testdeps"
)

// The web client driven in Debian's Chromium, headless, against the real
// daemon. chromedp speaks the DevTools protocol over a pipe; no driver
// binary is involved.
//
// TLS: Chromium trusts the daemon's leaf certificate by its public key
// (--ignore-certificate-errors-spki-list with the SHA-256 of the leaf's
// SubjectPublicKeyInfo). The test first verifies that leaf against the CA
// from /ca.pem with Go's verifier, so the pin is the certificate a user
// would trust. The connection stays real TLS, and Chromium treats it as a
// secure, trusted origin, so service workers register (they refuse any
// certificate error), unlike with a blanket --ignore-certificate-errors.

// browserWait bounds every wait for the page.
const browserWait = 30 * time.Second

type chromium struct {
	t    *testing.T
	base string
	root context.Context
}

// leafSPKI returns the base64 SHA-256 of the daemon's leaf public key,
// after checking the chain against pool.
func leafSPKI(t testing.TB, addr string, pool *x509.CertPool) string {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("TLS to the daemon with its CA: %v", err)
	}
	defer conn.Close()
	leaf := conn.ConnectionState().PeerCertificates[0]
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// startBrowser starts one headless Chromium for the whole test; each tab
// then gets its own browser context (its own cookies and storage).
func startBrowser(t *testing.T, addr string, pool *x509.CertPool) *chromium {
	t.Helper()
	bin := testdeps.Need(t, "chromium", "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox, // root in CI: Chromium's sandbox refuses to run as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("ignore-certificate-errors-spki-list", leafSPKI(t, addr, pool)),
		chromedp.WindowSize(1280, 800),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelRoot()
		cancelAlloc()
	})
	if err := chromedp.Do(root); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	return &chromium{t: t, base: "https://" + addr, root: root}
}

// tab is one page in a fresh browser context, watched for console errors,
// uncaught exceptions and CSP violations.
type chromiumTab struct {
	t   *testing.T
	b   *chromium
	ctx context.Context

	mu       sync.Mutex
	problems []string
}

// cspReporter runs before any page script: every CSP violation becomes a
// console error, which the tab's watcher turns into a failure.
const cspReporter = `document.addEventListener("securitypolicyviolation", (e) => {
	console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
}, true);`

func (b *chromium) tab(t *testing.T) *chromiumTab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.root, chromedp.WithNewBrowserContext())
	tb := &chromiumTab{t: t, b: b, ctx: ctx}
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			tb.note(m)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspReporter}); err != nil {
		t.Fatal(err)
	}
	return tb
}

// note records console messages that mean a broken page. HTTP error
// answers of the API are part of the flows under test (a wrong password
// is a 401), so network entries for /api/v1 are not failures; a missing
// asset is.
func (tb *chromiumTab) note(m chromedp.ConsoleMessage) {
	bad := m.IsException() || m.Type == chromedp.ConsoleError || m.Source == "security" ||
		strings.Contains(m.Text, "Content Security Policy")
	if m.Source == "network" && strings.Contains(m.URL, "/api/v1/") && !strings.Contains(m.Text, "Content Security Policy") {
		bad = false
	}
	if !bad {
		return
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.problems = append(tb.problems, fmt.Sprintf("%s [%s] %s (%s:%d)", m.Type, m.Source, m.Text, m.URL, m.Line+1))
}

// takeProblems returns and clears what the watcher recorded, after a
// moment for the last events to arrive.
func (tb *chromiumTab) takeProblems() []string {
	time.Sleep(150 * time.Millisecond)
	tb.mu.Lock()
	defer tb.mu.Unlock()
	p := tb.problems
	tb.problems = nil
	return p
}

// clean fails on console errors, CSP violations and inline handlers.
func (tb *chromiumTab) clean() {
	tb.t.Helper()
	inline := tb.eval(`[...document.querySelectorAll("*")].flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => el.tagName + " " + a.name)).join(", ")`)
	if inline != "" {
		tb.t.Errorf("inline event handlers in the page: %s", inline)
	}
	for _, p := range tb.takeProblems() {
		tb.t.Errorf("console: %s", p)
	}
}

func (tb *chromiumTab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, browserWait)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("browser: %v\n%s", err, tb.describe())
	}
}

// tabEval evaluates JavaScript (awaiting a promise) and decodes the result.
func tabEval[T any](tb *chromiumTab, js string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, browserWait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("evaluating %s: %v\n%s", js, err, tb.describe())
	}
	return v
}

func (tb *chromiumTab) eval(js string) string {
	tb.t.Helper()
	return tabEval[string](tb, js)
}

// until waits for a JavaScript condition to hold, across navigations.
func (tb *chromiumTab) until(what, js string) {
	tb.t.Helper()
	deadline := time.Now().Add(browserWait)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("Boolean("+js+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("waiting for %s: %s never held (%v)\n%s", what, js, err, tb.describe())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// describe is the page's state for failure messages.
func (tb *chromiumTab) describe() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + (document.body ? document.body.innerText.slice(0, 600) : "")`))
	return "page: " + s
}

// shot saves a screenshot of the page when MINIMOST_BROWSER_SHOTS names a
// directory (for looking at the pages; tests never write tracked files).
func (tb *chromiumTab) shot(name string) {
	tb.t.Helper()
	dir := os.Getenv("MINIMOST_BROWSER_SHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(tb.ctx, browserWait)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

func (tb *chromiumTab) visit(path string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(tb.b.base + path))
	tb.until("the page to draw", `document.querySelector("#root > *")`)
}

// text is the trimmed text of the first element matching sel, "" if none.
func (tb *chromiumTab) text(sel string) string {
	tb.t.Helper()
	return tb.eval(fmt.Sprintf(`(document.querySelector(%q)?.textContent ?? "").trim()`, sel))
}

// active describes the focused element: tag, name or label, text.
func (tb *chromiumTab) active() string {
	tb.t.Helper()
	return tb.eval(`(() => { const a = document.activeElement; if (!a) return ""; return [a.tagName.toLowerCase(), a.getAttribute("name") || a.getAttribute("aria-label") || "", a.textContent.trim()].join("|"); })()`)
}

// typeInto focuses a field and types, key by key, like a person.
func (tb *chromiumTab) typeInto(sel, text string) {
	tb.t.Helper()
	tb.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// keys sends key presses to whatever has focus.
func (tb *chromiumTab) keys(k string) {
	tb.t.Helper()
	tb.do(chromedp.KeyEvent(k))
}

func (tb *chromiumTab) click(sel string) {
	tb.t.Helper()
	tb.do(chromedp.Click(chromedp.CSS(sel)))
}

// ruleStates reads the live password checklist as "id:state" pairs.
func (tb *chromiumTab) ruleStates() string {
	tb.t.Helper()
	return tb.eval(`[...document.querySelectorAll("li.rule")].map((li) => li.dataset.rule + ":" + (li.classList.contains("ok") ? "ok" : li.classList.contains("bad") ? "bad" : "none") + li.querySelector(".mark").textContent).join(" ")`)
}

// inApp waits for the chat layout after a login or signup.
func (tb *chromiumTab) inApp() {
	tb.t.Helper()
	tb.until("the chat layout", `location.pathname === "/" && document.querySelector("nav.sidebar") && document.querySelector("#messages")`)
	tb.until("the conversation to draw", `document.querySelector("#messages .empty-state, #messages .msg")`)
	if title := tb.eval(`document.title`); !strings.HasSuffix(title, "MiniMost") {
		tb.t.Errorf("chat title %q", title)
	}
}

func (tb *chromiumTab) login(user, pw string) {
	tb.t.Helper()
	tb.visit("/login")
	tb.typeInto(`input[name="username"]`, user)
	tb.typeInto(`input[name="password"]`, pw+"\r")
}

// apiModule is the URL of the client's API module in this build.
func (tb *chromiumTab) apiModule() string {
	return tb.eval(`document.querySelector('script[type="module"]').src.replace(/js\/main\.js$/, "js/lib/api.js")`)
}

func TestBrowser(t *testing.T) {
	start := time.Now()
	data := filepath.Join(t.TempDir(), "data")
	os.MkdirAll(data, 0o700)
	p, st := byHand(t, data)
	addr := listener(t, st, "https")
	pool, _ := fetchCA(t, addr)
	b := startBrowser(t, addr, pool)
	// The subtests run in order against one daemon and one browser: Ada
	// signs up first, and her password changes with the reset link.
	const user, pw = "Ada_Lovelace", "analytical-Engine-1843"
	userPW := pw

	t.Run("the harness sees CSP violations", func(t *testing.T) {
		tb := b.tab(t)
		tb.visit("/about")
		// An inline script is refused by script-src 'self'; the watcher
		// must notice.
		tb.eval(`(() => { const s = document.createElement("script"); s.textContent = "window.__inline = 1"; document.head.append(s); return String(window.__inline ?? ""); })()`)
		problems := strings.Join(tb.takeProblems(), "\n")
		if !strings.Contains(problems, "CSP violation") {
			t.Fatalf("an inline script under the CSP went unnoticed; recorded: %q", problems)
		}
		tb.clean()
	})

	t.Run("sign up with the live checklist", func(t *testing.T) {
		tb := b.tab(t)
		tb.visit("/signup")
		if title := tb.eval(`document.title`); title != "Sign Up – MiniMost" {
			t.Errorf("title %q", title)
		}
		tb.until("the username autofocus", `document.activeElement && document.activeElement.name === "username"`)
		tb.until("the policy", `document.querySelector("ul.rules")`)
		if hidden := tabEval[bool](tb, `document.querySelector("ul.rules").hidden`); !hidden {
			t.Error("checklist shown before the password has content")
		}
		if tb.text(`.rule[data-rule="length"]`) != "•15+ characters" {
			t.Errorf("length rule %q, want the policy's minimum", tb.text(`.rule[data-rule="length"]`))
		}
		tb.typeInto(`input[name="username"]`, "Ada Lovelace")
		if tb.eval(`document.querySelector('input[name="username"]').getAttribute("aria-invalid")`) != "true" || tb.text(".line.bad") == "" {
			t.Error("a space in the username is not flagged")
		}
		tb.do(chromedp.KeyEvent("\b\b\b\b\b\b\b\b\b"), chromedp.KeyEvent("_Lovelace"))
		tb.typeInto(`input[name="password"]`, "analytical")
		if got, want := tb.ruleStates(), "length:bad✗ upper:bad✗ lower:ok✓ digit:bad✗ special:bad✗"; got != want {
			t.Errorf("checklist after 'analytical': %q, want %q", got, want)
		}
		tb.typeInto(`input[name="password"]`, "-Engine")
		if got, want := tb.ruleStates(), "length:ok✓ upper:ok✓ lower:ok✓ digit:bad✗ special:ok✓"; got != want {
			t.Errorf("checklist after 'analytical-Engine': %q, want %q", got, want)
		}
		tb.typeInto(`input[name="password"]`, "-1843")
		if got := tb.ruleStates(); strings.Contains(got, "bad") {
			t.Errorf("checklist with a valid password: %q", got)
		}
		if !tabEval[bool](tb, `document.querySelector('button[type="submit"]').disabled`) {
			t.Error("Sign up enabled before the confirmation")
		}
		tb.typeInto(`input[name="confirm"]`, "analytical")
		if got := tb.text(".line.bad:not([hidden])"); got != "✗ Passwords do not match" {
			t.Errorf("match line %q", got)
		}
		tb.typeInto(`input[name="confirm"]`, "-Engine-1843")
		if got := tb.text(".line.ok"); got != "✓ Passwords match" {
			t.Errorf("match line %q", got)
		}
		tb.shot("signup")
		// Show/Hide flips the field and its label, and keeps focus there.
		tb.click(`input[name="password"] + .pw-toggle`)
		if got := tb.eval(`(() => { const b = document.querySelector('input[name="password"] + .pw-toggle'); return document.querySelector('input[name="password"]').type + " " + b.textContent + " " + b.getAttribute("aria-pressed") + " " + b.getAttribute("aria-label"); })()`); got != "text Hide true Hide password" {
			t.Errorf("after Show: %q", got)
		}
		if got := tb.active(); !strings.HasPrefix(got, "input|password") {
			t.Errorf("focus after Show: %q", got)
		}
		tb.click(`input[name="password"] + .pw-toggle`)
		tb.click(`button[type="submit"]`)
		tb.inApp()
		if got := tb.text(".account-btn .visually-hidden"); got != "Account: "+user {
			t.Errorf("account button %q", got)
		}
		tb.clean()
	})

	t.Run("log out, wrong password, log in", func(t *testing.T) {
		tb := b.tab(t)
		tb.login(user, pw)
		tb.inApp()
		tb.click(".account-btn")
		tb.until("the account dialog", `document.querySelector("dialog.account[open]")`)
		if got := tb.active(); got != "button|Close|" {
			t.Errorf("focus in the account dialog: %q, want the close button", got)
		}
		tb.click(`[data-action="sign-out"]`)
		tb.until("the login page", `location.pathname === "/login" && document.querySelector(".alert.success")`)
		if got := tb.text(".alert.success"); got != "You have been logged out. Your session was securely terminated." {
			t.Errorf("logout notice %q", got)
		}
		tb.do(chromedp.Navigate(b.base + "/"))
		tb.until("the redirect to login", `location.pathname === "/login" && document.querySelector("form")`)

		tb.typeInto(`input[name="username"]`, user)
		tb.typeInto(`input[name="password"]`, "Wrong-Engine-1843\r")
		tb.until("the error", `document.querySelector(".alert:not(.success):not([hidden])")`)
		tb.shot("login-error")
		if got := tb.text(".alert"); got != "Invalid credentials" {
			t.Errorf("wrong password shows %q", got)
		}
		if got := tb.eval(`document.querySelector('input[name="username"]').value`); got != user {
			t.Errorf("username after a failure %q", got)
		}
		if got := tb.active(); !strings.HasPrefix(got, "input|password") {
			t.Errorf("focus after a failure %q, want the password", got)
		}
		tb.typeInto(`input[name="password"]`, pw+"\r")
		tb.inApp()
		// A logged-in visit to /login goes on to the chat.
		tb.do(chromedp.Navigate(b.base + "/login"))
		tb.inApp()
		tb.clean()
	})

	t.Run("session expiry goes to login", func(t *testing.T) {
		tb := b.tab(t)
		tb.login(user, pw)
		tb.inApp()
		if _, errOut, code := ctl(t, nil, "--socket", p.socket, "users", "logout", user); code != 0 {
			t.Fatalf("users logout: %d %s", code, errOut)
		}
		// The next API call of the page answers 401 and the page leaves. The
		// live stream's session.revoked may lead it there first, so the call
		// is started without waiting on a page that is navigating away.
		tb.eval(fmt.Sprintf(`(() => { import(%q).then((api) => api.get("/api/v1/session")).catch(() => {}); return ""; })()`, tb.apiModule()))
		tb.until("the login page", `location.pathname === "/login" && document.querySelector(".alert.info")`)
		if got := tb.text(".alert.info"); got != "Your session has ended. Please log in again." {
			t.Errorf("expiry notice %q", got)
		}
		tb.clean()
	})

	t.Run("reset password from the admin's link", func(t *testing.T) {
		out, errOut, code := ctl(t, nil, "--socket", p.socket, "reset-password", user, "--base-url", b.base+"/")
		if code != 0 {
			t.Fatalf("reset-password: %d %s", code, errOut)
		}
		link := strings.Fields(out)[0]
		path, ok := strings.CutPrefix(link, b.base)
		if !ok {
			t.Fatalf("reset link %q", link)
		}
		tb := b.tab(t)
		tb.visit(path)
		tb.until("the reset form", `document.querySelector('input[name="new_password"]')`)
		tb.shot("reset")
		if got := tb.eval(`document.querySelector("main p").textContent`); got != "Resetting password for "+user {
			t.Errorf("reset page says %q", got)
		}
		newPW := "Difference-Engine-1822"
		tb.typeInto(`input[name="new_password"]`, newPW)
		tb.typeInto(`input[name="confirm"]`, newPW)
		tb.until("the button", `!document.querySelector('button[type="submit"]').disabled`)
		tb.click(`button[type="submit"]`)
		tb.until("the success state", `document.querySelector("h1")?.textContent === "Password updated"`)
		if got := tb.eval(`document.querySelector("main").innerText`); !strings.Contains(got, "The password for "+user+" has been changed.") {
			t.Errorf("success page %q", got)
		}
		tb.click(`a[href="/login"]`)
		tb.until("the login page", `location.pathname === "/login" && document.querySelector("form")`)
		tb.typeInto(`input[name="username"]`, user)
		tb.typeInto(`input[name="password"]`, newPW+"\r")
		tb.inApp()
		userPW = newPW
		// The link is single use.
		tb.visit(path)
		tb.until("the invalid state", `document.querySelector("h1")?.textContent === "Link invalid or expired"`)
		tb.visit("/reset-password/not-a-token")
		tb.until("the invalid state", `document.querySelector("h1")?.textContent === "Link invalid or expired"`)
		tb.clean()
	})

	t.Run("keyboard-only sign up and sign out", func(t *testing.T) {
		tb := b.tab(t)
		tb.visit("/signup")
		tb.until("the username autofocus", `document.activeElement && document.activeElement.name === "username"`)
		tb.until("the policy", `document.querySelector("ul.rules")`)
		const kpw = "Keyboard-Only-2024!"
		tb.keys("grace_hopper")
		tb.keys("\t")
		if got := tb.active(); !strings.HasPrefix(got, "input|password") {
			t.Fatalf("Tab from username reached %q", got)
		}
		tb.keys(kpw)
		tb.keys("\t") // the Show toggle
		tb.keys("\t")
		if got := tb.active(); !strings.HasPrefix(got, "input|confirm") {
			t.Fatalf("Tab from the password's toggle reached %q", got)
		}
		tb.keys(kpw)
		tb.keys("\t") // the Show toggle
		tb.keys("\t")
		if got := tb.active(); got != "button||Sign up" {
			t.Fatalf("Tab reached %q, want the Sign up button", got)
		}
		if outline := tb.eval(`getComputedStyle(document.activeElement).outlineStyle`); outline == "none" {
			t.Error("no visible focus on the Sign up button")
		}
		tb.keys("\r")
		tb.inApp()
		// Tab to the account button, open it, Tab to Sign out, Enter.
		for i := 0; ; i++ {
			if i == 40 {
				t.Fatalf("the account button is not reachable by Tab; focus is on %q", tb.active())
			}
			tb.keys("\t")
			if a := tb.active(); strings.HasPrefix(a, "button|") && strings.HasSuffix(a, "Account: grace_hopper") {
				break
			}
		}
		tb.keys("\r")
		tb.until("the account dialog", `document.querySelector("dialog.account[open]")`)
		if got := tb.active(); got != "button|Close|" {
			t.Fatalf("focus in the account dialog: %q", got)
		}
		backTab := func() { tb.do(chromedp.KeyEvent("\t", chromedp.KeyModifiers(chromedp.ModifierShift))) }
		backTab()
		if got := tb.active(); !strings.Contains(got, "Sign out") {
			t.Fatalf("Shift+Tab from × reached %q", got)
		}
		// Focus stays trapped: Shift+Tab from the first control wraps to
		// the last (Save), Tab from there to the first again.
		backTab()
		if got := tb.active(); got != "button||Save" {
			t.Fatalf("Shift+Tab did not wrap inside the dialog: %q", got)
		}
		tb.keys("\t")
		if got := tb.active(); !strings.Contains(got, "Sign out") {
			t.Fatalf("Tab did not wrap inside the dialog: %q", got)
		}
		tb.keys("\r")
		tb.until("the login page", `location.pathname === "/login" && document.querySelector(".alert.success")`)
		tb.clean()
	})

	t.Run("forgot password, about, error page", func(t *testing.T) {
		tb := b.tab(t)
		tb.visit("/forgot-password")
		if got := tb.text("pre.command"); got != "minimostctl reset-password <your-username>" {
			t.Errorf("forgot page command %q", got)
		}
		tb.click(`a[href="/login"]`)
		tb.until("the login page", `location.pathname === "/login" && document.querySelector("form")`)
		tb.click(`a[href="/about"]`)
		tb.until("the about page", `document.title === "What is MiniMost? – MiniMost" && document.querySelectorAll(".features li").length === 9`)
		tb.shot("about")
		if got := tb.text(".version-tag"); !strings.HasPrefix(got, "# ") {
			t.Errorf("version tag %q", got)
		}
		tb.visit("/no/such/page")
		tb.until("the error page", `document.title === "404 – MiniMost"`)
		// The browser logs the page's own 404; nothing else may appear.
		for _, p := range tb.takeProblems() {
			if !strings.Contains(p, "status of 404") || !strings.Contains(p, "/no/such/page") {
				t.Errorf("console: %s", p)
			}
		}
		tb.shot("error-404")
		if got := tb.text(".alert"); got != "The requested resource was not found." {
			t.Errorf("error page alert %q", got)
		}
		if tb.eval(`document.querySelector(".version-tag") ? "tag" : ""`) != "" || tb.eval(`document.querySelector('link[rel="manifest"]') ? "manifest" : ""`) != "" {
			t.Error("the error page has a version tag or a manifest link")
		}
		tb.clean()
	})

	t.Run("service worker over trusted TLS", func(t *testing.T) {
		tb := b.tab(t)
		tb.visit("/login")
		got := tb.eval(`navigator.serviceWorker.ready.then(async (r) => {
			for (let i = 0; i < 100 && !(await caches.keys()).some((k) => k.startsWith("minimost-assets-")); i++) await new Promise((ok) => setTimeout(ok, 50));
			return r.active.scriptURL + " " + (await caches.keys()).join(",");
		})`)
		if !strings.HasPrefix(got, b.base+"/sw.js ") || !strings.Contains(got, "minimost-assets-") {
			t.Errorf("service worker: %q", got)
		}
		// The API is never answered from a cache.
		cached := tb.eval(`caches.keys().then(async (keys) => { const out = []; for (const k of keys) for (const r of await (await caches.open(k)).keys()) if (new URL(r.url).pathname.startsWith("/api/")) out.push(r.url); return out.join(","); })`)
		if cached != "" {
			t.Errorf("API responses cached: %s", cached)
		}
		tb.clean()
	})

	t.Run("logged in: sidebar, messages, settings, narrow screen", func(t *testing.T) {
		tb := b.tab(t)
		// Serve the conversation list and a history from the test, with
		// hostile names, so the sidebar is checked whatever the server has.
		hostile := `<img src=x onerror="window.__pwned=1">`
		channels := []map[string]any{
			{"id": 1, "kind": "public", "name": "general", "members": nil, "unread": 3, "mentions": 0, "created_at": 1, "last_message_at": 5, "last_read_id": 0, "hidden": false},
			{"id": 2, "kind": "public", "name": hostile, "members": nil, "unread": 2, "mentions": 0, "created_at": 2, "last_message_at": 5, "last_read_id": 0, "hidden": false},
			{"id": 3, "kind": "private", "name": "Secret <b>plans</b>", "members": []string{user, "bob"}, "unread": 0, "mentions": 0, "created_at": 3, "last_message_at": 5, "last_read_id": 0, "hidden": false},
			{"id": 4, "kind": "dm", "name": "bob", "members": []string{user, "bob"}, "unread": 1, "mentions": 0, "created_at": 4, "last_message_at": 6, "last_read_id": 0, "hidden": false},
			{"id": 5, "kind": "dm", "name": "carol", "members": []string{user, "carol"}, "unread": 0, "mentions": 0, "created_at": 4, "last_message_at": 5, "last_read_id": 0, "hidden": true},
		}
		messages := map[string]any{"has_more": false, "messages": []map[string]any{
			{"id": 10, "channel_id": 1, "author": "bob", "text": `<script>window.__pwned=2</script>**hi**`, "created_at": 1764000500000, "deleted": false},
			{"id": 11, "channel_id": 1, "author": "bob", "text": "gone", "created_at": 1764000600000, "deleted": true},
		}}
		fake := map[string]any{"/api/v1/channels": channels, "/api/v1/channels/1/messages": messages,
			"/api/v1/channels/4/messages": map[string]any{"has_more": false, "messages": []any{}}}
		stop := tb.intercept(fake)
		tb.login(user, userPW)
		tb.inApp()
		tb.until("the sidebar rows", `document.querySelectorAll("button.row[data-channel]").length === 4`)
		tb.shot("chat-dark")
		rows := tb.eval(`[...document.querySelectorAll("button.row[data-channel]")].map((b) => b.getAttribute("aria-label") + "=" + b.querySelector(".label").textContent + (b.getAttribute("aria-current") ? "*" : "")).join(" | ")`)
		// general opened first, which cleared its badge.
		want := "general=# general* | " + hostile + ", 2 unread=# " + hostile + " | Secret <b>plans</b>=Secret <b>plans</b> | bob, 1 unread=@ bob"
		if rows != want {
			t.Errorf("sidebar rows:\n got %s\nwant %s", rows, want)
		}
		tb.until("the history", `document.querySelector("#messages .msg")`)
		if got := tb.eval(`[...document.querySelectorAll("#messages .msg-text")].map((e) => e.textContent + "/" + (e.querySelector("strong")?.textContent ?? "")).join("|")`); got != `<script>window.__pwned=2</script>hi/hi` {
			t.Errorf("message text %q (deleted messages must not draw)", got)
		}
		if got := tb.text("#channel-title"); got != "#general" {
			t.Errorf("top bar %q", got)
		}
		if n := tabEval[int](tb, `document.querySelectorAll("nav img, #messages img, #messages script, nav b").length`); n != 0 {
			t.Errorf("%d elements made from user text", n)
		}
		if got := tb.eval(`String(window.__pwned ?? "")`); got != "" {
			t.Fatalf("user text ran as script: %s", got)
		}
		// Opening a DM marks it current, clears its badge and shows its start.
		tb.click(`button.row[data-channel="4"]`)
		tb.until("the DM", `document.querySelector('button.row[data-channel="4"]').getAttribute("aria-current") === "true"`)
		tb.until("the empty DM", `document.querySelector("#messages .empty-state")`)
		if got := tb.text("#messages .empty-state"); got != "This is the start of your conversation with @bobSend a message to get things going." {
			t.Errorf("empty DM %q", got)
		}
		if got := tb.eval(`document.querySelector('button.row[data-channel="4"]').getAttribute("aria-label")`); got != "bob" {
			t.Errorf("opened DM row label %q", got)
		}
		tb.clean()

		// Settings: the theme and font size, previewed live, discarded
		// by Esc, kept by Save across a reload.
		stop()
		tb.do(chromedp.Reload())
		tb.inApp()
		if got := tb.eval(`document.documentElement.dataset.theme`); got != "dark" {
			t.Errorf("default theme %q", got)
		}
		tb.click(`button[aria-label="Settings"]`)
		tb.until("the settings dialog", `document.querySelector("dialog.settings[open]")`)
		tb.click(`input[type="radio"][value="light"]`)
		if got := tb.eval(`document.documentElement.dataset.theme`); got != "light" {
			t.Errorf("light preview %q", got)
		}
		tb.keys("\x1b") // Esc discards
		tb.until("the dialog to close", `!document.querySelector("dialog.settings")`)
		if got := tb.eval(`document.documentElement.dataset.theme`); got != "dark" {
			t.Errorf("theme after Esc %q, want the preview undone", got)
		}
		if got := tb.active(); got != "button|Settings|" {
			t.Errorf("focus after closing %q, want back on the gear", got)
		}
		tb.click(`button[aria-label="Settings"]`)
		tb.until("the settings dialog", `document.querySelector("dialog.settings[open]")`)
		tb.click(`input[type="radio"][value="light"]`)
		tb.do(chromedp.SetValue(chromedp.CSS(`input[type="range"]`), "18"))
		tb.eval(`(() => { const r = document.querySelector('input[type="range"]'); r.dispatchEvent(new Event("input")); return ""; })()`)
		tb.shot("settings-light")
		tb.click(`dialog.settings .btn.primary`)
		tb.until("the dialog to close", `!document.querySelector("dialog.settings")`)
		tb.do(chromedp.Reload())
		tb.inApp()
		if got := tb.eval(`document.documentElement.dataset.theme + " " + getComputedStyle(document.documentElement).getPropertyValue("--msg-font-size") + " " + getComputedStyle(document.body).backgroundColor`); got != "light 18px rgb(244, 245, 247)" {
			t.Errorf("after reload: %q", got)
		}
		tb.shot("chat-light")
		tb.click(".account-btn")
		tb.until("the account dialog", `document.querySelector("dialog.account[open]")`)
		tb.shot("account-light")
		tb.keys("\x1b")
		tb.clean()

		// A narrow screen: the sidebar is a drawer.
		tb.do(chromedp.EmulateViewport(400, 760), chromedp.Reload())
		tb.inApp()
		visible := `getComputedStyle(document.querySelector("nav.sidebar")).visibility === "visible"`
		if tabEval[bool](tb, visible) || tb.eval(`getComputedStyle(document.querySelector(".hamburger")).display`) == "none" {
			t.Fatal("at 400 px the sidebar shows or the hamburger is hidden")
		}
		tb.click(".hamburger")
		tb.until("the drawer", `document.querySelector(".app.drawer-open") && `+visible)
		if got := tb.eval(`document.querySelector(".hamburger").getAttribute("aria-expanded")`); got != "true" {
			t.Errorf("hamburger aria-expanded %q", got)
		}
		tb.keys("\x1b")
		tb.until("the drawer to close", `!document.querySelector(".app.drawer-open")`)
		tb.click(".hamburger")
		tb.until("the drawer", `document.querySelector(".app.drawer-open")`)
		tb.do(chromedp.MouseClickXY(380, 700)) // the backdrop, right of the drawer
		tb.until("the drawer to close", `!document.querySelector(".app.drawer-open")`)
		tb.shot("chat-narrow")
		tb.clean()
	})

	t.Run("account: avatar, bio, colour, password, deletion", func(t *testing.T) {
		const name, first, second = "Charles_Babbage", "Mechanical-Notation-1826", "Difference-Engine-No2"
		api := newClient(t, addr, pool)
		api.do("POST", "/api/v1/signup", map[string]string{"username": name, "password": first}, false).expect(t, 201, "")
		picture := filepath.Join(t.TempDir(), "me.png")
		img := image.NewNRGBA(image.Rect(0, 0, 300, 200))
		for i := range img.Pix {
			img.Pix[i] = uint8(i)
		}
		f, _ := os.Create(picture)
		png.Encode(f, img)
		f.Close()

		tb := b.tab(t)
		tb.login(name, first)
		tb.inApp()
		tb.click(".account-btn")
		tb.until("the account dialog", `document.querySelector("dialog.account[open]")`)
		tb.typeInto("dialog.account textarea", "Gears & <b>levers</b>")
		if got := tb.text("dialog.account .counter"); got != "21/160" {
			t.Errorf("bio counter %q", got)
		}
		tb.click(`.swatch[aria-label="Blue 3 (#3a86ff)"]`)
		if got := tb.eval(`document.querySelector('.swatch[aria-pressed="true"]').title + " " + document.querySelector(".name-chip").style.color`); got != "#3a86ff rgb(58, 134, 255)" {
			t.Errorf("chosen colour %q", got)
		}
		tb.do(chromedp.SetUploadFiles(chromedp.CSS(`dialog.account input[type="file"]`), []string{picture}, chromedp.NodeReady))
		tb.until("the avatar preview", `document.querySelector('.avatar-preview img[alt="New avatar preview"]')`)
		tb.shot("account-dark")
		tb.click("dialog.account .dlg-foot .btn.primary")
		tb.until("the dialog to close", `!document.querySelector("dialog.account")`)
		tb.until("the new avatar in the top bar", `document.querySelector(".account-btn img")?.complete`)
		a := api.do("GET", "/api/v1/users/"+name, nil, false).expect(t, 200, "")
		if a.body["has_avatar"] != true || a.body["name_color"] != "#3a86ff" || a.body["bio"] != "Gears & <b>levers</b>" {
			t.Errorf("saved profile %s", a.raw)
		}
		if got := tb.eval(`(() => { const i = document.querySelector(".account-btn img"); return i.naturalWidth + "x" + i.naturalHeight; })()`); got != "128x128" {
			t.Errorf("uploaded avatar is %s, want the 128×128 crop", got)
		}

		// Change password: a wrong current password is refused in place;
		// success keeps this session and ends the others.
		tb.click(".account-btn")
		tb.until("the account dialog", `document.querySelector("dialog.account[open]")`)
		if got := tb.eval(`document.querySelector("dialog.account textarea").value`); got != "Gears & <b>levers</b>" {
			t.Errorf("bio on reopening %q", got)
		}
		tb.eval(`(() => { [...document.querySelectorAll("dialog.account button")].find((b) => b.textContent === "Change Password")?.click(); return ""; })()`)
		tb.until("the password view", `document.querySelector('dialog.account input[name="current_password"]')`)
		tb.typeInto(`dialog.account input[name="current_password"]`, "Not-The-Password-1")
		tb.typeInto(`dialog.account input[name="new_password"]`, second)
		tb.typeInto(`dialog.account input[name="confirm"]`, second+"\r")
		tb.until("the refusal", `document.querySelector(".status-line.bad")`)
		if got := tb.text(".status-line"); got != "Current password is incorrect" {
			t.Errorf("wrong current password: %q", got)
		}
		tb.eval(`document.querySelector('dialog.account input[name="current_password"]').value = ""`)
		tb.typeInto(`dialog.account input[name="current_password"]`, first+"\r")
		tb.until("the success", `document.querySelector(".status-line.ok")`)
		if got := tb.text(".status-line"); got != "Password changed." {
			t.Errorf("password change: %q", got)
		}
		api.do("GET", "/api/v1/session", nil, false).expect(t, 401, "unauthenticated")
		tb.keys("\x1b")
		tb.until("the dialog to close", `!document.querySelector("dialog.account")`)

		// Soft deletion needs the password and ends at the login page.
		tb.click(".account-btn")
		tb.until("the account dialog", `document.querySelector("dialog.account[open]")`)
		tb.eval(`(() => { [...document.querySelectorAll("dialog.account button")].find((b) => b.textContent === "Soft Delete Account").click(); return ""; })()`)
		tb.until("the delete view", `document.querySelector('dialog.account input[name="password"]')`)
		tb.typeInto(`dialog.account input[name="password"]`, first+"\r")
		tb.until("the refusal", `document.querySelector(".status-line.bad")`)
		if got := tb.text(".status-line"); got != "Incorrect password." {
			t.Errorf("wrong password on deletion: %q", got)
		}
		tb.eval(`document.querySelector('dialog.account input[name="password"]').value = ""`)
		tb.typeInto(`dialog.account input[name="password"]`, second+"\r")
		tb.until("the login page", `location.pathname === "/login" && document.querySelector("form")`)
		newClient(t, addr, pool).do("POST", "/api/v1/login", map[string]string{"username": name, "password": second}, false).expect(t, 401, "invalid_credentials")
		tb.clean()
	})

	t.Run("accessibility audit with axe-core, both themes", func(t *testing.T) {
		axe, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
		if err != nil {
			t.Fatal(err)
		}
		const auditor, auditPW = "Grace_Auditor", "Accessible-Rich-2024"
		newClient(t, addr, pool).do("POST", "/api/v1/signup", map[string]string{"username": auditor, "password": auditPW}, false).expect(t, 201, "")
		audit := func(tb *chromiumTab, page, theme string) {
			t.Helper()
			if got := tb.eval(`document.documentElement.dataset.theme`); got != theme {
				t.Fatalf("%s: theme %q, want %q", page, got, theme)
			}
			// Entrance animations fade in; judge colours once they end.
			tb.until("animations to finish", `document.getAnimations().every((a) => a.playState !== "running" || a.effect.getTiming().iterations === Infinity)`)
			got := tb.eval(`axe.run(document, {resultTypes: ["violations"]}).then((r) => r.violations
				.filter((v) => v.impact === "serious" || v.impact === "critical")
				.map((v) => v.id + " (" + v.impact + "): " + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; "))
				.join("\n"))`)
			if got != "" {
				t.Errorf("%s, %s theme:\n%s", page, theme, got)
			}
		}
		// Each audit tab loads axe into every document it opens (the
		// protocol's scripts are not subject to the page's CSP).
		auditTab := func() *chromiumTab {
			tb := b.tab(t)
			if _, err := chromedp.Call(tb.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: string(axe)}); err != nil {
				t.Fatal(err)
			}
			return tb
		}
		// Logged out: the auth family, in both themes.
		tb := auditTab()
		tb.visit("/about")
		for _, theme := range []string{"dark", "light"} {
			tb.eval(fmt.Sprintf(`(localStorage.setItem("theme", %q), "")`, theme))
			for _, p := range []string{"/signup", "/forgot-password", "/about", "/reset-password/unknown", "/no/such/page", "/login"} {
				tb.visit(p)
				switch p {
				case "/signup":
					tb.until("the policy", `document.querySelector("ul.rules")`)
					tb.typeInto(`input[name="username"]`, "bad name")
					tb.typeInto(`input[name="password"]`, "abc")
					tb.typeInto(`input[name="confirm"]`, "abd")
				case "/reset-password/unknown":
					tb.until("the invalid state", `document.querySelector("h1")?.textContent === "Link invalid or expired"`)
				case "/login":
					tb.typeInto(`input[name="username"]`, auditor)
					tb.typeInto(`input[name="password"]`, "wrong\r")
					tb.until("the error", `document.querySelector(".alert:not([hidden])")`)
				}
				audit(tb, p, theme)
			}
		}
		tb.takeProblems() // the 404 page logs its own status

		// Logged in: the chat and its dialogs, in both themes.
		tb = auditTab()
		tb.login(auditor, auditPW)
		tb.inApp()
		for _, theme := range []string{"dark", "light"} {
			tb.eval(fmt.Sprintf(`(localStorage.setItem("theme", %q), "")`, theme))
			tb.do(chromedp.Reload())
			tb.inApp()
			audit(tb, "chat", theme)
			tb.click(".account-btn")
			tb.until("the account dialog", `document.querySelector("dialog.account[open]")`)
			audit(tb, "account dialog", theme)
			tb.keys("\x1b")
			tb.click(`button[aria-label="Settings"]`)
			tb.until("the settings dialog", `document.querySelector("dialog.settings[open]")`)
			audit(tb, "settings dialog", theme)
			tb.keys("\x1b")
		}
		tb.clean()
	})

	t.Run("name colours", func(t *testing.T) {
		tb := b.tab(t)
		tb.visit("/login")
		names := tb.eval(`document.querySelector('script[type="module"]').src.replace(/js\/main\.js$/, "js/lib/names.js")`)
		got := tb.eval(fmt.Sprintf(`import(%q).then((n) => ["alice", "bob", "charlie", "Alice", "a", "zz_top-99", "system"].map((s) => s + "=" + n.hashHue(s)).join(" "))`, names))
		if want := "alice=0 bob=157 charlie=2 Alice=88 a=97 zz_top-99=177 system=209"; got != want {
			t.Errorf("name hues %q, want %q (client.md §4.3)", got, want)
		}
		tb.clean()
	})

	t.Logf("browser tests took %v", time.Since(start).Round(time.Millisecond))
}

// intercept answers the given API paths from the test (Fetch domain), and
// lets every other request through, until the returned func is called.
func (tb *chromiumTab) intercept(answers map[string]any) (stop func()) {
	tb.t.Helper()
	ctx, cancel := context.WithCancel(tb.ctx)
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(tb.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/api/v1/channels*"}}}); err != nil {
		tb.t.Fatal(err)
	}
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			path := ev.Request.URL
			if i := strings.Index(path, "/api/"); i >= 0 {
				path = path[i:]
			}
			path, _, _ = strings.Cut(path, "?")
			if body, ok := answers[path]; ok {
				raw, _ := json.Marshal(body)
				chromedp.Call(tb.ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
					RequestID: ev.RequestID, ResponseCode: http.StatusOK, Body: raw,
					ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "application/json; charset=utf-8"}},
				})
				continue
			}
			chromedp.Call(tb.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
		}
	}()
	return func() {
		if _, err := chromedp.Call(tb.ctx, fetch.Disable, cdp.Empty{}); err != nil {
			tb.t.Fatal(err)
		}
		cancel()
	}
}
