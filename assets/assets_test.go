package assets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func render(t *testing.T, d ShellData) string {
	t.Helper()
	var b bytes.Buffer
	if err := RenderShell(&b, d); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestShell(t *testing.T) {
	page := render(t, ShellData{Title: "Login – MiniMost", Status: 200, AppVersion: "1.2.3", Manifest: true})
	refs := regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 5 {
		t.Fatalf("shell references %d assets:\n%s", len(refs), page)
	}
	for _, m := range refs {
		rest := strings.TrimPrefix(m[1], "/assets/")
		if _, immutable, ok := Resolve(rest); !ok || !immutable {
			t.Errorf("shell references %s: found %v, versioned %v", m[1], ok, immutable)
		}
	}
	for _, want := range []string{`<title>Login – MiniMost</title>`, `data-version="1.2.3"`, `rel="manifest"`, `<script type="module" src="/assets/` + Version() + `/js/main.js">`} {
		if !strings.Contains(page, want) {
			t.Errorf("shell lacks %s", want)
		}
	}
	if strings.Contains(page, "data-status") {
		t.Error("a 200 shell carries data-status")
	}
	// Inline script is forbidden by the CSP (script-src 'self').
	for _, m := range regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`).FindAllStringSubmatch(page, -1) {
		if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
			t.Errorf("inline script: %s", m[0])
		}
	}
	// Values are escaped by the template.
	page = render(t, ShellData{Title: `<script>x</script>`, Status: 404, AppVersion: `"><x`})
	if strings.Contains(page, "<script>x") || strings.Contains(page, `"><x`) {
		t.Errorf("shell does not escape its data:\n%s", page)
	}
	if !strings.Contains(page, `data-status="404"`) || strings.Contains(page, "manifest") {
		t.Errorf("error shell:\n%s", page)
	}
}

func TestVersionAndHashes(t *testing.T) {
	if !IsVersion(Version()) {
		t.Fatalf("Version %q", Version())
	}
	for _, bad := range []string{"", "js", "ABCDEF012345", "0123456789abc", "0123456789ag"} {
		if IsVersion(bad) {
			t.Errorf("IsVersion(%q)", bad)
		}
	}
	hashes := Hashes()
	n := 0
	err := fs.WalkDir(Static(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		data, _ := fs.ReadFile(Static(), p)
		if hashes[p] != hashOf(data) {
			t.Errorf("hash of %s", p)
		}
		f, ok := Lookup(p)
		if !ok || f.ContentType == "application/octet-stream" {
			t.Errorf("%s: content type %v", p, f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(hashes) || n == 0 {
		t.Errorf("%d files, %d hashes", n, len(hashes))
	}
	for _, bad := range []string{"../assets.go", "/js/main.js", "js/../js/main.js", "", "js"} {
		if _, ok := Lookup(bad); ok {
			t.Errorf("Lookup(%q) found a file", bad)
		}
	}
	if _, immutable, ok := Resolve("000000000000/js/main.js"); !ok || immutable {
		t.Error("another build's URL must resolve, but not as immutable")
	}
}

func TestServiceWorkerBuild(t *testing.T) {
	sw := string(ServiceWorker())
	line := regexp.MustCompile(`(?m)^const BUILD = (.*);$`).FindStringSubmatch(sw)
	if line == nil {
		t.Fatalf("no BUILD line in the served worker")
	}
	var build struct {
		Version string   `json:"version"`
		Assets  []string `json:"assets"`
	}
	if err := json.Unmarshal([]byte(line[1]), &build); err != nil {
		t.Fatal(err)
	}
	if build.Version != Version() || len(build.Assets) != len(Hashes()) {
		t.Errorf("worker build %s, %d assets; want %s, %d", build.Version, len(build.Assets), Version(), len(Hashes()))
	}
	for _, u := range build.Assets {
		if _, immutable, ok := Resolve(strings.TrimPrefix(u, "/assets/")); !ok || !immutable {
			t.Errorf("worker precaches %s", u)
		}
	}
	if !strings.Contains(sw, `url.pathname.startsWith("/api/")`) {
		t.Error("the worker must leave the API alone")
	}
	var m map[string]any
	if err := json.Unmarshal(Manifest(), &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	for _, ic := range m["icons"].([]any) {
		src := ic.(map[string]any)["src"].(string)
		if _, _, ok := Resolve(strings.TrimPrefix(src, "/assets/")); !ok {
			t.Errorf("manifest icon %s missing", src)
		}
	}
}

// jsFiles returns every script of the client by path.
func jsFiles(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	fs.WalkDir(Static(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".js") {
			b, _ := fs.ReadFile(Static(), p)
			out[p] = string(b)
		}
		return nil
	})
	out["../sw.js"] = string(mustRead("sw.js"))
	return out
}

var (
	blockComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
	lineComment  = regexp.MustCompile(`(?m)^\s*//.*$`)
)

// code strips comments, so prose about the rules does not trip them.
func code(src string) string {
	return lineComment.ReplaceAllString(blockComment.ReplaceAllString(src, ""), "")
}

// Every module a script imports, statically or on demand, is shipped.
func TestImportsResolve(t *testing.T) {
	spec := regexp.MustCompile(`(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)"(\.{1,2}/[^"]+)"`)
	for p, src := range jsFiles(t) {
		for _, m := range spec.FindAllStringSubmatch(code(src), -1) {
			target := path.Join(path.Dir(p), m[1])
			if _, ok := Lookup(target); !ok {
				t.Errorf("%s imports %s: no such file %s", p, m[1], target)
			}
		}
	}
}

// The client renders escape-first and obeys the CSP: no HTML parsing of
// strings, no eval, no inline handlers.
func TestNoUnsafeScript(t *testing.T) {
	forbidden := []*regexp.Regexp{
		regexp.MustCompile(`\.innerHTML\b`),
		regexp.MustCompile(`\.outerHTML\s*=`),
		regexp.MustCompile(`insertAdjacentHTML`),
		regexp.MustCompile(`document\.write`),
		regexp.MustCompile(`\beval\s*\(`),
		regexp.MustCompile(`\bnew\s+Function\b`),
		regexp.MustCompile(`set(?:Timeout|Interval)\(\s*["'\x60]`),
		regexp.MustCompile(`setAttribute\(\s*["']on`),
		regexp.MustCompile(`createContextualFragment|DOMParser|srcdoc`),
		// Nothing loads from another origin.
		regexp.MustCompile(`https?://`),
	}
	for p, src := range jsFiles(t) {
		// The SVG namespace is a name, not an address.
		c := strings.ReplaceAll(code(src), `"http://www.w3.org/2000/svg"`, "")
		for _, re := range forbidden {
			if loc := re.FindStringIndex(c); loc != nil {
				t.Errorf("%s: forbidden %q near %q", p, re, c[loc[0]:min(len(c), loc[1]+40)])
			}
		}
	}
	// No file of the client loads anything from another origin.
	fs.WalkDir(Static(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".css") || strings.HasSuffix(p, ".js")) {
			b, _ := fs.ReadFile(Static(), p)
			if regexp.MustCompile(`url\(\s*["']?(?:https?:)?//|@import`).Match(b) {
				t.Errorf("%s loads from elsewhere", p)
			}
		}
		return nil
	})
}

// themeVars reads the `--name: #hex;` lines of the CSS block whose
// selector line is exactly sel.
func themeVars(t *testing.T, css, sel string) map[string]string {
	t.Helper()
	i := strings.Index(css, sel+" {")
	if i < 0 {
		t.Fatalf("no block %q in base.css", sel)
	}
	block := css[i:]
	block = block[:strings.Index(block, "}")]
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z0-9-]+):\s*(#[0-9a-fA-F]{6});`).FindAllStringSubmatch(block, -1) {
		vars[m[1]] = m[2]
	}
	return vars
}

func luminance(hex string) float64 {
	ch := func(s string) float64 {
		v, _ := strconv.ParseUint(s, 16, 8)
		c := float64(v) / 255
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(hex[1:3]) + 0.7152*ch(hex[3:5]) + 0.0722*ch(hex[5:7])
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// Both themes meet WCAG AA: 4.5:1 for text, 3:1 for large text and for
// the boundaries of controls (client.md §1.1, §14).
func TestContrast(t *testing.T) {
	b, err := fs.ReadFile(Static(), "css/base.css")
	if err != nil {
		t.Fatal(err)
	}
	css := string(b)
	text := [][2]string{
		{"text", "bg"}, {"text", "surface"}, {"text", "sidebar"}, {"text-strong", "surface"},
		{"text-strong", "input-bg"}, {"muted", "bg"}, {"muted", "surface"}, {"muted", "sidebar"},
		{"muted-2", "bg"}, {"muted-2", "surface"}, {"muted-2", "sidebar"},
		{"link", "bg"}, {"link", "surface"}, {"on-accent", "accent"}, {"on-accent", "accent-hover"},
		{"on-accent", "accent-auth-hover"}, {"error-text", "surface"}, {"error-text", "bg"},
		{"success-text", "surface"}, {"info-text", "surface"}, {"ok", "surface"}, {"bad", "surface"},
		{"pending", "surface"}, {"disabled-text", "disabled-bg"}, {"version-tag", "bg"},
		{"conn-text", "bg"}, {"conn-text", "surface"}, {"badge-text", "badge-bg"},
		{"danger-text", "danger-bg"}, {"danger-title", "bg"}, {"gold", "bg"}, {"mention-other", "bg"},
		{"new-label", "bg"}, {"text-strong", "code-bg"}, {"muted", "surface-hover"}, {"text", "surface-hover"},
		// Code highlighting tokens, on code blocks and previews.
		{"tok-kw", "code-bg"}, {"tok-str", "code-bg"}, {"tok-com", "code-bg"}, {"tok-num", "code-bg"}, {"tok-type", "code-bg"},
		{"tok-meta", "code-bg"}, {"tok-var", "code-bg"}, {"tok-tag", "code-bg"}, {"tok-attr", "code-bg"},
		{"gold", "mention-self-bg"}, {"mention-other", "mention-other-bg"},
	}
	ui := [][2]string{
		{"focus", "bg"}, {"focus", "surface"}, {"focus", "sidebar"}, {"accent", "surface"}, {"accent", "bg"},
		{"input-border", "surface"}, {"input-border", "input-bg"}, {"presence-active", "bg"},
		{"presence-idle", "bg"}, {"badge-bg", "sidebar"}, {"accent", "sidebar"},
	}
	for _, theme := range []string{`:root[data-theme="dark"]`, `:root[data-theme="light"]`} {
		vars := themeVars(t, css, theme)
		if theme == `:root[data-theme="dark"]` {
			// The dark block is also :root; its selector list starts the file.
			vars = themeVars(t, css, ":root,\n:root[data-theme=\"dark\"]")
		}
		check := func(pairs [][2]string, min float64) {
			for _, p := range pairs {
				fg, bg := vars[p[0]], vars[p[1]]
				if fg == "" || bg == "" {
					t.Errorf("%s: no --%s or --%s", theme, p[0], p[1])
					continue
				}
				if c := contrast(fg, bg); c < min {
					t.Errorf("%s: --%s %s on --%s %s is %.2f:1, want %.1f:1", theme, p[0], fg, p[1], bg, c, min)
				}
			}
		}
		check(text, 4.5)
		check(ui, 3)
	}
	// Both themes define the same roles.
	dark := themeVars(t, css, ":root,\n:root[data-theme=\"dark\"]")
	light := themeVars(t, css, `:root[data-theme="light"]`)
	if fmt.Sprint(keys(dark)) != fmt.Sprint(keys(light)) {
		t.Errorf("themes define different roles:\ndark  %v\nlight %v", keys(dark), keys(light))
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// The chat page's preload list is the whole graph of static imports from
// app.js, found here with the tests' own reading of the sources, and holds
// no module that is only loaded on demand.
func TestPreloadIsTheStaticGraph(t *testing.T) {
	static := regexp.MustCompile(`(?:\bfrom\s*|\bimport\s+)"(\.{1,2}/[^"]+)"`)
	files := jsFiles(t)
	want := map[string]bool{}
	var walk func(p string)
	walk = func(p string) {
		if want[p] {
			return
		}
		want[p] = true
		for _, m := range static.FindAllStringSubmatch(code(files[p]), -1) {
			walk(path.Join(path.Dir(p), m[1]))
		}
	}
	walk("js/main.js")
	walk("js/app/app.js")
	got := map[string]bool{}
	for _, u := range Preload("js/main.js", "js/app/app.js", "js/no-such.js") {
		p, ok := strings.CutPrefix(u, "/assets/"+Version()+"/")
		if !ok || got[p] {
			t.Errorf("preload URL %s is not a versioned asset, or repeated", u)
		}
		got[p] = true
	}
	for p := range want {
		if !got[p] {
			t.Errorf("%s is imported by the chat page but not preloaded", p)
		}
	}
	for p := range got {
		if !want[p] {
			t.Errorf("%s is preloaded but the chat page does not import it at once", p)
		}
	}
	if got["js/pages/login.js"] || got["js/pages/error.js"] {
		t.Error("the chat page preloads the auth pages")
	}
}
