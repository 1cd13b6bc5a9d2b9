package httpapi

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/minimost/minimost/assets"
	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/version"
)

// The web client (api.md §3 "Pages and static"): every page is the same
// shell from the assets package, whose scripts draw the page the path
// names; static files are served from the embedded tree.

// pageTitles are the tab titles of the shell before its scripts run.
var pageTitles = map[string]string{
	"/":                "MiniMost",
	"/login":           "Login – MiniMost",
	"/signup":          "Sign Up – MiniMost",
	"/forgot-password": "Forgot Password – MiniMost",
	"/about":           "What is MiniMost? – MiniMost",
}

// pageModules are the modules main.js loads for each page (its routes
// table); the shell preloads them with everything they import.
var pageModules = map[string]string{
	"/":                "js/app/app.js",
	"/login":           "js/pages/login.js",
	"/signup":          "js/pages/signup.js",
	"/forgot-password": "js/pages/forgot.js",
	"/about":           "js/pages/about.js",
}

// pageModule is the module main.js will import for this answer.
func pageModule(status int, urlPath string) string {
	switch {
	case status != http.StatusOK:
		return "js/pages/error.js"
	case strings.HasPrefix(urlPath, "/reset-password/"):
		return "js/pages/reset.js"
	}
	return pageModules[urlPath]
}

// pageRoutes registers the pages, the static assets, the manifest, the
// service worker and, last, the error page for browser navigations to
// unknown paths. It runs after the API routes, so none of these can
// shadow /api/v1, /healthz or /ca.pem.
func (s *server) pageRoutes(r *mux.Router) {
	get := []string{http.MethodGet, http.MethodHead}
	r.Handle("/", s.handle(s.appPage)).Methods(get...)
	r.Handle("/login", s.handle(s.loginPage)).Methods(get...)
	for _, p := range []string{"/signup", "/forgot-password", "/about"} {
		r.Handle(p, s.handle(s.publicPage)).Methods(get...)
	}
	r.Handle("/reset-password/{token}", s.handle(s.publicPage)).Methods(get...)
	r.Handle("/manifest.webmanifest", s.handle(s.manifest)).Methods(get...)
	r.Handle("/sw.js", s.handle(s.serviceWorker)).Methods(get...)
	r.PathPrefix("/assets/").Handler(s.handle(s.asset)).Methods(get...)
	r.MatcherFunc(browserNavigation).Handler(s.handle(s.unknownPage))
}

// browserNavigation matches a GET of a page by a browser outside the API:
// those get the error page rather than a JSON body (client.md §2.7).
func browserNavigation(r *http.Request, _ *mux.RouteMatch) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/api" {
		return false
	}
	if dest := r.Header.Get("Sec-Fetch-Dest"); dest != "" {
		return dest == "document"
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// writeShell answers with the client shell.
func (s *server) writeShell(w http.ResponseWriter, r *http.Request, status int, title string) error {
	d := assets.ShellData{Title: title, Status: status, Manifest: status == http.StatusOK,
		Preload: assets.Preload("js/main.js", pageModule(status, r.URL.Path))}
	if status == http.StatusOK {
		d.AppVersion = version.Version
	}
	var b bytes.Buffer
	if err := assets.RenderShell(&b, d); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(b.Bytes())
	}
	return nil
}

// caller reports whether a page request comes with a live session (a
// missing, unknown or ended one is simply false); only a failure of the
// store is an error.
func (s *server) caller(r *http.Request) (bool, error) {
	auth, err := s.authenticate(r)
	if err != nil {
		if chat.ErrorCode(err) == chat.EInternal {
			return false, err
		}
		return false, nil
	}
	return auth != nil, nil
}

// appPage is the chat: it needs a session, else the login page.
func (s *server) appPage(w http.ResponseWriter, r *http.Request) error {
	ok, err := s.caller(r)
	if err != nil {
		return s.pageError(w, r, err)
	}
	if !ok {
		http.Redirect(w, r, "/login", http.StatusFound)
		return nil
	}
	return s.writeShell(w, r, http.StatusOK, pageTitles["/"])
}

// loginPage sends someone who is still logged in on to the chat, so the
// installed app (whose start URL is /login) opens where they left off.
func (s *server) loginPage(w http.ResponseWriter, r *http.Request) error {
	if _, err := r.Cookie(CookieName); err == nil {
		ok, err := s.caller(r)
		if err != nil {
			return s.pageError(w, r, err)
		}
		if ok {
			http.Redirect(w, r, "/", http.StatusFound)
			return nil
		}
	}
	return s.writeShell(w, r, http.StatusOK, pageTitles["/login"])
}

func (s *server) publicPage(w http.ResponseWriter, r *http.Request) error {
	title, ok := pageTitles[r.URL.Path]
	if !ok {
		title = "Reset Password – MiniMost"
	}
	return s.writeShell(w, r, http.StatusOK, title)
}

func (s *server) unknownPage(w http.ResponseWriter, r *http.Request) error {
	return s.writeShell(w, r, http.StatusNotFound, "404 – MiniMost")
}

// pageError answers a page whose handler failed with the error page; the
// cause is logged, never shown.
func (s *server) pageError(w http.ResponseWriter, r *http.Request, err error) error {
	s.Logger.Error("page failed", "method", r.Method, "path", r.URL.Path, "err", err)
	return s.writeShell(w, r, http.StatusInternalServerError, "500 – MiniMost")
}

// asset serves /assets/<version>/<path> (cached for a year: the version
// changes with any content) and /assets/<path> (revalidated by ETag, for
// the few URLs that must stay put, such as the manifest's icons).
func (s *server) asset(w http.ResponseWriter, r *http.Request) error {
	f, immutable, ok := assets.Resolve(strings.TrimPrefix(r.URL.Path, "/assets/"))
	if !ok {
		return chat.Errorf(chat.ENotFound, "no such asset")
	}
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	if immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	body, etag := f.Data, `"`+f.Hash+`"`
	if f.Gzip != nil {
		h.Set("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = f.Gzip, `"`+f.Hash+`-gzip"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
	return nil
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

func (s *server) manifest(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/manifest+json")
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(assets.Manifest()))
	return nil
}

// serviceWorker is served from the root so its scope is the whole site.
func (s *server) serviceWorker(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(assets.ServiceWorker()))
	return nil
}
