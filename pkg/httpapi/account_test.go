package httpapi

import (
	"bytes"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/minimost/minimost/pkg/config"
)

// keysOf returns a JSON object's keys, sorted.
func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestSessionAnswer is GET /session: the user, the CSRF token and exactly
// the settings behavior.md §2 lists, with their values.
func TestSessionAnswer(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, func(s *config.Settings) {
		s.MaxUploadSizeMB = 7
		s.MaxAvatarSizeMB = 2
		s.MaxMessageLength = 500
		s.SessionIdleMinutes = 45
		s.Channels = []string{"general", "ops"}
		s.MessageRetentionDays = 100
		s.ImageRetentionDays = 10
		s.FileRetentionDays = 20
		s.LinkPreviewsEnabled = false
	})
	alice := e.signup("Alice")
	alice.send("PATCH", "/api/v1/me/settings", map[string]any{"name_color": "#ABCDEF", "bio": "hi"}).want(t, 200, "")
	r := alice.send("GET", "/api/v1/session", nil).want(t, 200, "")
	if got := keysOf(r.body); !slices.Equal(got, []string{"csrf_token", "settings", "user"}) {
		t.Errorf("session keys %v", got)
	}
	if r.body["csrf_token"] != alice.csrf || r.body["user"].(map[string]any)["username"] != "Alice" {
		t.Errorf("session %s", r.raw)
	}
	set := r.body["settings"].(map[string]any)
	want := map[string]any{
		"max_upload_size_mb": 7.0, "max_avatar_size_mb": 2.0, "max_message_length": 500.0,
		"session_idle_minutes": 45.0, "channels": []any{"general", "ops"}, "message_retention_days": 100.0,
		"image_retention_days": 10.0, "file_retention_days": 20.0, "link_previews_enabled": false,
		"name_color": "#abcdef", "bio": "hi",
	}
	if got, w := keysOf(set), keysOf(want); !slices.Equal(got, w) {
		t.Errorf("settings keys %v, want %v", got, w)
	}
	for k, v := range want {
		if !equalJSON(set[k], v) {
			t.Errorf("settings.%s = %v, want %v", k, set[k], v)
		}
	}
}

func equalJSON(a, b any) bool {
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok {
		return slices.Equal(as, bs)
	}
	return a == b
}

// TestPasswordPolicyAnswer is GET /password-policy: public, exactly the
// fields of behavior.md §3.3, the minimum from settings.
func TestPasswordPolicyAnswer(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, func(s *config.Settings) { s.PasswordMinLength = 20 })
	r := e.client().send("GET", "/api/v1/password-policy", nil).want(t, 200, "")
	want := map[string]any{
		"min_length": 20.0, "max_length": 1024.0, "require_upper": true, "require_lower": true,
		"require_digit": true, "require_special": true, "special_chars": "!@#$%^&*()_+-=[]{};':\"\\|,.<>/?`~",
	}
	if got, w := keysOf(r.body), keysOf(want); !slices.Equal(got, w) {
		t.Errorf("keys %v, want %v", got, w)
	}
	for k, v := range want {
		if r.body[k] != v {
			t.Errorf("%s = %v, want %v", k, r.body[k], v)
		}
	}
}

// pngOf returns a w×h PNG.
func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// upload sends a PUT /me/avatar with data as its file field.
func (c *apiClient) upload(data []byte, filename string) apiReply {
	c.e.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		c.e.t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return c.send("PUT", "/api/v1/me/avatar", b.Bytes(), "Content-Type", mw.FormDataContentType())
}

// TestAvatars is behavior.md §6.3.
func TestAvatars(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, func(s *config.Settings) { s.MaxAvatarSizeMB = 1 })
	alice := e.signup("alice")
	bob := e.signup("bob")
	bob.send("GET", "/api/v1/users/alice/avatar", nil).want(t, 404, "not_found")
	bob.send("GET", "/api/v1/users/nobody/avatar", nil).want(t, 404, "not_found")

	img := pngOf(t, 64, 48)
	r := alice.upload(img, "me.svg").want(t, 200, "")
	u := r.body["user"].(map[string]any)
	if u["has_avatar"] != true || u["avatar_url"] != "/api/v1/users/alice/avatar?v=1" {
		t.Fatalf("upload answered %s", r.raw)
	}
	get := bob.send("GET", "/api/v1/users/ALICE/avatar?v=1", nil).want(t, 200, "")
	if !bytes.Equal(get.raw, img) || get.header.Get("Content-Type") != "image/png" ||
		get.header.Get("X-Content-Type-Options") != "nosniff" ||
		get.header.Get("Cache-Control") != "private, max-age=31536000, immutable" {
		t.Errorf("avatar served as %q, %q, %q (%d bytes)", get.header.Get("Content-Type"),
			get.header.Get("X-Content-Type-Options"), get.header.Get("Cache-Control"), len(get.raw))
	}
	// An old version's URL must not be cached for ever.
	stale := bob.send("GET", "/api/v1/users/alice/avatar?v=0", nil).want(t, 200, "")
	if strings.Contains(stale.header.Get("Cache-Control"), "immutable") {
		t.Errorf("a stale version is cached as immutable: %q", stale.header.Get("Cache-Control"))
	}

	// Refused: not images by their bytes, whatever they are called, and
	// images too large in pixels; the avatar stays.
	for name, data := range map[string][]byte{
		"svg":         []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
		"html":        []byte("<!DOCTYPE html><html><body>hi</body></html>"),
		"text":        []byte("just text"),
		"empty":       {},
		"png header":  img[:16],
		"4097 pixels": pngOf(t, 4097, 1),
	} {
		r := alice.upload(data, "avatar.png")
		if r.status != 400 || r.body["error"] != "bad_request" {
			t.Errorf("%s avatar: %d %s, want 400 bad_request", name, r.status, r.raw)
		}
	}
	big := append(pngOf(t, 8, 8), make([]byte, 1<<20)...)
	alice.upload(big, "big.png").want(t, 413, "too_large")
	alice.send("PUT", "/api/v1/me/avatar", `{"file":"x"}`).want(t, 400, "bad_request")
	get = bob.send("GET", "/api/v1/users/alice/avatar?v=1", nil).want(t, 200, "")
	if !bytes.Equal(get.raw, img) {
		t.Error("a refused upload replaced the avatar")
	}

	// A new upload is a new version; the old file goes.
	img2 := pngOf(t, 10, 10)
	r = alice.upload(img2, "b.png").want(t, 200, "")
	if r.body["user"].(map[string]any)["avatar_url"] != "/api/v1/users/alice/avatar?v=2" {
		t.Errorf("second upload answered %s", r.raw)
	}
	if get := bob.send("GET", "/api/v1/users/alice/avatar?v=2", nil).want(t, 200, ""); !bytes.Equal(get.raw, img2) {
		t.Error("the new avatar is not served")
	}
	alice.send("DELETE", "/api/v1/me/avatar", nil).want(t, 204, "")
	bob.send("GET", "/api/v1/users/alice/avatar?v=2", nil).want(t, 404, "not_found")
	r = bob.send("GET", "/api/v1/users/alice", nil).want(t, 200, "")
	if r.body["has_avatar"] != false || r.body["avatar_url"] != nil {
		t.Errorf("after delete: %s", r.raw)
	}
}

// TestAvatarSizeCap: exactly max_avatar_size_mb is accepted, one byte more
// is 413, also when the file hides behind a lying small envelope.
func TestAvatarSizeCap(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, func(s *config.Settings) { s.MaxAvatarSizeMB = 1 })
	alice := e.signup("alice")
	head := pngOf(t, 8, 8)
	exact := append(head, make([]byte, 1<<20-len(head))...)
	alice.upload(exact, "a.png").want(t, 200, "")
	alice.upload(append(exact, 0), "a.png").want(t, 413, "too_large")

	// A body far beyond the cap is cut off while reading.
	req := httptest.NewRequest("PUT", "https://example.com/api/v1/me/avatar", bytes.NewReader(make([]byte, 3<<20)))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	req.AddCookie(&http.Cookie{Name: CookieName, Value: alice.cookie})
	req.Header.Set("X-CSRF-Token", alice.csrf)
	rr := httptest.NewRecorder()
	e.h.ServeHTTP(rr, req)
	if rr.Code != 400 && rr.Code != 413 {
		t.Errorf("garbage multipart: %d %s, want 400 or 413", rr.Code, rr.Body)
	}
}

// TestPasswordResetOverHTTP is the public reset route's statuses.
func TestPasswordResetOverHTTP(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	alice := e.signup("Alice")
	issued, err := e.svc.IssueReset(t.Context(), "alice", 60, "https://chat.example", "admin:uid=0")
	if err != nil {
		t.Fatal(err)
	}
	tok := issued.URL[strings.LastIndexByte(issued.URL, '/')+1:]
	anon := e.client()
	r := anon.send("GET", "/api/v1/password-reset/"+tok, nil).want(t, 200, "")
	if got := keysOf(r.body); !slices.Equal(got, []string{"expires_at", "username"}) || r.body["username"] != "Alice" {
		t.Errorf("reset info %s", r.raw)
	}
	anon.send("GET", "/api/v1/password-reset/unknown", nil).want(t, 404, "not_found")
	anon.send("POST", "/api/v1/password-reset/"+tok, map[string]string{"new_password": "weak"}).want(t, 400, "weak_password")
	anon.send("POST", "/api/v1/password-reset/"+tok, map[string]string{"new_password": testPassword}).want(t, 400, "password_reused")
	anon.send("POST", "/api/v1/password-reset/"+tok, map[string]string{"new_password": "Staple-Battery-Horse-4"}).want(t, 204, "")
	anon.send("GET", "/api/v1/password-reset/"+tok, nil).want(t, 410, "gone")
	anon.send("POST", "/api/v1/password-reset/"+tok, map[string]string{"new_password": "Staple-Battery-Horse-5"}).want(t, 410, "gone")
	alice.send("GET", "/api/v1/session", nil).want(t, 401, "unauthenticated")
	e.checkDeniedAudited()
}
