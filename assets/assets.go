// Package assets is the web client: plain files (HTML, CSS, ES modules,
// icons) embedded into the daemon, with no build step.
//
// Layout:
//
//	shell.html            the one page every client route is served (a html/template)
//	sw.js                 the service worker, served at /sw.js
//	manifest.webmanifest  the web app manifest, served at /manifest.webmanifest
//	static/...            everything served under /assets/
//
// Cache busting: the ES modules import each other by relative URL, so a
// per-file hash in one module's URL would not reach the modules it
// imports. Instead every static file is served under one build version,
// /assets/<Version>/<path>, where Version hashes the content of every
// embedded file: any change to any file moves every URL, and URLs under
// the current version can be cached forever. Hashes holds the per-file
// content hashes, used as ETags and to derive Version.
package assets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"io"
	"io/fs"
	"mime"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
)

//go:generate go test ./internal/icongen -run TestIconsUpToDate -update

//go:embed shell.html sw.js manifest.webmanifest static
var embedded embed.FS

// File is one static file ready to serve.
type File struct {
	Data        []byte
	Hash        string // hex SHA-256 of Data
	ContentType string
	// Gzip is Data compressed, for text files; nil when not worth it.
	Gzip []byte
}

type build struct {
	files   map[string]*File    // by path under static/
	imports map[string][]string // module → the modules it imports statically
	version string
	shell   *template.Template
	sw      []byte
	man     []byte
}

var current = sync.OnceValue(load)

// contentTypes are set explicitly so no answer depends on the host's MIME
// tables.
var contentTypes = map[string]string{
	".js":          "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".html":        "text/html; charset=utf-8",
	".json":        "application/json; charset=utf-8",
	".webmanifest": "application/manifest+json",
	".txt":         "text/plain; charset=utf-8",
}

func contentType(name string) string {
	ext := path.Ext(name)
	if ct, ok := contentTypes[ext]; ok {
		return ct
	}
	if ct := mime.TypeByExtension(ext); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func load() *build {
	b := &build{files: map[string]*File{}}
	static, err := fs.Sub(embedded, "static")
	if err != nil {
		panic(err)
	}
	err = fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		f := &File{Data: data, Hash: hashOf(data), ContentType: contentType(p)}
		if strings.HasPrefix(f.ContentType, "text/") || f.ContentType == "image/svg+xml" {
			f.Gzip = compress(data)
		}
		b.files[p] = f
		return nil
	})
	if err != nil {
		panic(err)
	}
	b.imports = map[string][]string{}
	for p, f := range b.files {
		if strings.HasSuffix(p, ".js") {
			b.imports[p] = staticImports(p, f.Data)
		}
	}
	shellSrc := mustRead("shell.html")
	swSrc := mustRead("sw.js")
	b.man = mustRead("manifest.webmanifest")

	// The version covers every embedded file, the templates included.
	h := sha256.New()
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range b.files {
			if !yield(n) {
				return
			}
		}
	})
	for _, n := range names {
		io.WriteString(h, n+"\x00"+b.files[n].Hash+"\n")
	}
	for _, src := range [][]byte{shellSrc, swSrc, b.man} {
		io.WriteString(h, hashOf(src)+"\n")
	}
	b.version = hex.EncodeToString(h.Sum(nil))[:VersionLength]

	b.shell = template.Must(template.New("shell.html").Funcs(template.FuncMap{
		"asset": func(p string) (string, error) {
			if _, ok := b.files[p]; !ok {
				return "", fs.ErrNotExist
			}
			return "/assets/" + b.version + "/" + p, nil
		},
	}).Parse(string(shellSrc)))

	// The service worker learns the version and the list of files to
	// precache from one line that is replaced when it is served.
	urls := make([]string, 0, len(names))
	for _, n := range names {
		urls = append(urls, "/assets/"+b.version+"/"+n)
	}
	cfg, _ := json.Marshal(struct {
		Version string   `json:"version"`
		Assets  []string `json:"assets"`
	}{b.version, urls})
	b.sw = replaceBuildLine(swSrc, cfg)
	return b
}

// staticImport matches a static import statement's module specifier
// ("import … from "./x.js"" or "import "./x.js"") at the start of a line;
// on-demand import() is left out, as its module is not needed at once.
var staticImport = regexp.MustCompile(`(?m)^import\b(?:[^"'` + "`" + `;]*?\bfrom)?\s*"(\.{1,2}/[^"]+)"`)

func staticImports(from string, src []byte) []string {
	var out []string
	for _, m := range staticImport.FindAllSubmatch(src, -1) {
		out = append(out, path.Join(path.Dir(from), string(m[1])))
	}
	return out
}

// Preload lists the versioned URLs of every module the entries need
// before they can run: the entries and whatever they import statically,
// transitively, in breadth-first order, each once; unknown entries are
// left out. The shell names them as modulepreload links, so
// the browser fetches the whole graph at once instead of discovering it
// one level of imports per round trip.
func Preload(entries ...string) []string {
	b := current()
	seen := map[string]bool{}
	var queue, out []string
	for _, e := range entries {
		if _, ok := b.files[e]; ok && !seen[e] {
			seen[e] = true
			queue = append(queue, e)
		}
	}
	for len(queue) > 0 {
		m := queue[0]
		queue = queue[1:]
		out = append(out, "/assets/"+b.version+"/"+m)
		for _, dep := range b.imports[m] {
			if _, ok := b.files[dep]; ok && !seen[dep] {
				seen[dep] = true
				queue = append(queue, dep)
			}
		}
	}
	return out
}

// swBuildMarker starts the line of sw.js that receives the build.
const swBuildMarker = "const BUILD = "

func replaceBuildLine(src, cfg []byte) []byte {
	lines := bytes.Split(src, []byte("\n"))
	for i, l := range lines {
		if bytes.HasPrefix(l, []byte(swBuildMarker)) {
			lines[i] = append(append([]byte(swBuildMarker), cfg...), ';')
			return bytes.Join(lines, []byte("\n"))
		}
	}
	panic("assets: sw.js has no line starting " + swBuildMarker)
}

// compress gzips b, or returns nil when that saves under a tenth.
func compress(b []byte) []byte {
	var out bytes.Buffer
	w, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	w.Write(b)
	w.Close()
	if out.Len() > len(b)*9/10 {
		return nil
	}
	return out.Bytes()
}

func mustRead(name string) []byte {
	b, err := embedded.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return b
}

// VersionLength is the number of hex digits of Version.
const VersionLength = 12

// Version is the build version that every static URL carries.
func Version() string { return current().version }

// IsVersion reports whether s has the form of a build version (any build,
// not only this one).
func IsVersion(s string) bool {
	if len(s) != VersionLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// URL is the cache-busting URL of a static file, e.g. URL("js/main.js").
func URL(p string) string { return "/assets/" + Version() + "/" + p }

// Lookup returns a static file by its path under static/.
func Lookup(p string) (*File, bool) {
	if !fs.ValidPath(p) {
		return nil, false
	}
	f, ok := current().files[p]
	return f, ok
}

// Hashes returns the content hash of every static file by path.
func Hashes() map[string]string {
	m := make(map[string]string, len(current().files))
	for p, f := range current().files {
		m[p] = f.Hash
	}
	return m
}

// Static is the tree served under /assets/.
func Static() fs.FS {
	s, _ := fs.Sub(embedded, "static")
	return s
}

// ShellData fills the shell template.
type ShellData struct {
	// Title is the tab title before the scripts run.
	Title string
	// Status is the HTTP status the shell is served with; anything but
	// 200 makes the client draw the error page.
	Status int
	// AppVersion is the release shown in the corner of the auth pages;
	// empty on error pages.
	AppVersion string
	// Manifest links the web manifest (every page but the error page).
	Manifest bool
	// Preload are module URLs the page will import at once (Preload).
	Preload []string
}

// RenderShell writes the client shell.
func RenderShell(w io.Writer, d ShellData) error {
	return current().shell.Execute(w, d)
}

// ServiceWorker is /sw.js with this build's version and asset list.
func ServiceWorker() []byte { return current().sw }

// Manifest is /manifest.webmanifest.
func Manifest() []byte { return current().man }

// splitVersion splits "<version>/<path>"; a first segment that is not a
// version leaves the whole as the path.
func splitVersion(rest string) (version, file string) {
	if v, f, ok := strings.Cut(rest, "/"); ok && IsVersion(v) {
		return v, f
	}
	return "", rest
}

// Resolve maps the part of an /assets/ URL after "/assets/" to a file and
// says whether the URL is this build's versioned one (cacheable forever).
// Unversioned paths and paths of other builds still resolve, so a page
// from an older build keeps working across an upgrade, but they must be
// revalidated.
func Resolve(rest string) (f *File, immutable bool, ok bool) {
	v, p := splitVersion(rest)
	f, ok = Lookup(p)
	return f, ok && v == Version(), ok
}
