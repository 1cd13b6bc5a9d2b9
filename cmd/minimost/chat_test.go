package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/minimost/minimost/pkg/testdeps"
)

// stream is one user's WebSocket with the frames it received.
type stream struct {
	t    *testing.T
	conn *websocket.Conn
}

type frame struct {
	Type string          `json:"type"`
	Seq  int64           `json:"seq"`
	Data json.RawMessage `json:"data"`
}

func (c *apiClient) stream(pool *x509.CertPool) *stream {
	c.t.Helper()
	u, _ := url.Parse(c.base)
	d := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pool}, Jar: c.hc.Jar, HandshakeTimeout: 10 * time.Second}
	conn, resp, err := d.Dial("wss://"+u.Host+"/api/v1/ws", http.Header{"Origin": {c.base}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		c.t.Fatalf("ws dial: %v (status %d)", err, status)
	}
	s := &stream{t: c.t, conn: conn}
	c.t.Cleanup(func() { conn.Close() })
	if f := s.next(); f.Type != "hello" {
		c.t.Fatalf("first frame %q, want hello", f.Type)
	}
	return s
}

// next reads the next frame, failing after 10 s.
func (s *stream) next() frame {
	s.t.Helper()
	s.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var f frame
	if err := s.conn.ReadJSON(&f); err != nil {
		s.t.Fatalf("reading the stream: %v", err)
	}
	return f
}

// until reads frames until one of type typ whose data contains substr.
func (s *stream) until(typ, substr string) frame {
	s.t.Helper()
	for {
		f := s.next()
		if f.Type == typ && strings.Contains(string(f.Data), substr) {
			return f
		}
	}
}

// quiet reads for d and fails if any frame's data contains substr.
func (s *stream) quiet(d time.Duration, substr string) {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for {
		s.conn.SetReadDeadline(deadline)
		var f frame
		if err := s.conn.ReadJSON(&f); err != nil {
			return
		}
		if strings.Contains(string(f.Data), substr) {
			s.t.Fatalf("a stream that must not see %q got %s %s", substr, f.Type, f.Data)
		}
	}
}

func signup(t *testing.T, addr string, pool *x509.CertPool, name string) *apiClient {
	t.Helper()
	c := newClient(t, addr, pool)
	c.do("POST", "/api/v1/signup", map[string]string{"username": name, "password": "Correct-Horse-Battery-9"}, false).expect(t, 201, "")
	return c
}

func msgOf(t *testing.T, a answer) map[string]any {
	t.Helper()
	ms, ok := a.body["messages"].([]any)
	if !ok || len(ms) == 0 {
		t.Fatalf("no messages in %s", a.raw)
	}
	return ms[0].(map[string]any)
}

// TestChatLive drives the chat over real HTTPS and WebSockets with three
// users.
func TestChatLive(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	os.MkdirAll(data, 0o700)
	os.WriteFile(filepath.Join(data, "settings.json"), []byte(`{"max_upload_size_mb": 1, "link_preview_allowed_networks": ["127.0.0.0/8"]}`), 0o644)
	p, st := byHand(t, data)
	addr := listener(t, st, "https")
	pool, _ := fetchCA(t, addr)
	alice, bob, carol := signup(t, addr, pool, "alice"), signup(t, addr, pool, "bob"), signup(t, addr, pool, "carol")
	as, bs, cs := alice.stream(pool), bob.stream(pool), carol.stream(pool)

	// A link preview of an intranet page, allowed by the setting.
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<html><head><title>Wiki</title><meta property="og:title" content="Build &amp; release notes"></head></html>`)
	}))
	defer page.Close()
	a := alice.do("GET", "/api/v1/link-preview?url="+url.QueryEscape(page.URL+"/notes"), nil, false).expect(t, 200, "")
	if a.body["title"] != "Build & release notes" {
		t.Errorf("link preview %s", a.raw)
	}
	alice.do("GET", "/api/v1/link-preview?url="+url.QueryEscape("http://10.1.2.3/"), nil, false).expect(t, 400, "bad_request")

	// A public message reaches everyone's stream with its seq.
	m := msgOf(t, alice.do("POST", "/api/v1/channels/1/messages", map[string]any{"text": "hello @bob", "client_id": "a-1"}, true).expect(t, 201, ""))
	id := int64(m["id"].(float64))
	seq := int64(m["seq"].(float64))
	for _, s := range []*stream{bs, cs} {
		f := s.until("message.created", "hello @bob")
		if f.Seq != seq {
			t.Errorf("event seq %d, message seq %d", f.Seq, seq)
		}
	}
	// A repeated client_id posts once.
	dup := msgOf(t, alice.do("POST", "/api/v1/channels/1/messages", map[string]any{"text": "again", "client_id": "a-1"}, true).expect(t, 201, ""))
	if dup["id"] != m["id"] {
		t.Errorf("repeated client_id created message %v", dup["id"])
	}

	// Edit, reaction, pin and delete arrive with growing seqs.
	last := seq
	steps := []struct {
		method, path string
		body         any
		event        string
	}{
		{"PATCH", fmt.Sprintf("/api/v1/messages/%d", id), map[string]string{"text": "hello @bob (edited)"}, "message.updated"},
		{"PUT", fmt.Sprintf("/api/v1/messages/%d/reactions/%s", id, url.PathEscape("👍")), nil, "message.updated"},
		{"PUT", fmt.Sprintf("/api/v1/messages/%d/pin", id), nil, "message.updated"},
		{"DELETE", fmt.Sprintf("/api/v1/messages/%d", id), nil, "message.deleted"},
	}
	for _, step := range steps {
		who := alice
		if step.event == "message.updated" && strings.Contains(step.path, "reactions") {
			who = bob
		}
		a := who.do(step.method, step.path, step.body, true)
		if a.status/100 != 2 {
			t.Fatalf("%s %s: %d %s", step.method, step.path, a.status, a.raw)
		}
		f := cs.until(step.event, fmt.Sprintf(`"id":%d`, id))
		if f.Seq <= last {
			t.Errorf("%s seq %d not above %d", step.event, f.Seq, last)
		}
		last = f.Seq
	}

	// A private channel: bob is told, carol hears nothing of it.
	a = alice.do("POST", "/api/v1/channels", map[string]any{"name": "secret plans", "members": []string{"bob"}}, true).expect(t, 201, "")
	priv := int64(a.body["id"].(float64))
	bs.until("channel.created", "secret plans")
	alice.do("POST", fmt.Sprintf("/api/v1/channels/%d/messages", priv), map[string]any{"text": "the secret is 42"}, true).expect(t, 201, "")
	bs.until("message.created", "the secret is 42")
	carol.do("GET", fmt.Sprintf("/api/v1/channels/%d/messages", priv), nil, false).expect(t, 404, "not_found")
	carol.do("POST", fmt.Sprintf("/api/v1/channels/%d/messages", priv), map[string]any{"text": "let me in"}, true).expect(t, 404, "not_found")
	if a := carol.do("GET", "/api/v1/search?q=secret", nil, false).expect(t, 200, ""); strings.Contains(a.raw, "secret is") {
		t.Errorf("carol's search found a private message: %s", a.raw)
	}
	if a := bob.do("GET", "/api/v1/search?q=SECRET", nil, false).expect(t, 200, ""); !strings.Contains(a.raw, "the secret is 42") {
		t.Errorf("bob's search missed the private message: %s", a.raw)
	}
	// A group DM, invisible to the third user.
	dm := alice.do("POST", "/api/v1/dms", map[string]any{"members": []string{"BOB"}}, true).expect(t, 201, "")
	again := bob.do("POST", "/api/v1/dms", map[string]any{"members": []string{"alice"}}, true).expect(t, 200, "")
	if dm.body["id"] != again.body["id"] || again.body["name"] != "alice" {
		t.Errorf("DM not the same for the same members: %s / %s", dm.raw, again.raw)
	}
	alice.do("POST", fmt.Sprintf("/api/v1/channels/%v/messages", dm.body["id"]), map[string]any{"text": "just us two"}, true).expect(t, 201, "")
	bs.until("message.created", "just us two")
	cs.quiet(500*time.Millisecond, "secret")

	// Reconnect: bob goes away, misses events, resyncs with since_seq.
	bs.conn.Close()
	missed := []string{"while you were away 1", "while you were away 2"}
	var missedIDs []float64
	for _, text := range missed {
		m := msgOf(t, alice.do("POST", "/api/v1/channels/1/messages", map[string]any{"text": text}, true).expect(t, 201, ""))
		missedIDs = append(missedIDs, m["id"].(float64))
	}
	alice.do("PATCH", fmt.Sprintf("/api/v1/messages/%v", missedIDs[0]), map[string]string{"text": "while you were away 1 (edited)"}, true).expect(t, 200, "")
	a = bob.do("GET", fmt.Sprintf("/api/v1/channels/1/messages?since_seq=%d", last), nil, false).expect(t, 200, "")
	got := a.body["messages"].([]any)
	if len(got) != 2 || got[0].(map[string]any)["id"] != missedIDs[1] || got[1].(map[string]any)["text"] != "while you were away 1 (edited)" {
		t.Errorf("since_seq gave %s", a.raw)
	}
	bob.stream(pool)

	// Files: upload, download headers, oversize refused leaving nothing.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("text", "a page")
	fw, _ := mw.CreateFormFile("file", "../../evil<name>.html")
	fw.Write([]byte("<script>alert(1)</script>"))
	mw.Close()
	a = alice.post(t, "/api/v1/channels/1/messages", mw.FormDataContentType(), &body).expect(t, 201, "")
	ms := a.body["messages"].([]any)
	att := ms[1].(map[string]any)["attachments"].([]any)[0].(map[string]any)
	if att["name"] != "evil_name_.html" || att["content_type"] != "application/octet-stream" || att["image"] != false {
		t.Errorf("attachment %v", att)
	}
	resp := bob.get(t, att["url"].(string))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("download headers %v", resp.Header)
	}
	before := countFiles(t, filepath.Join(data, "uploads"))
	body.Reset()
	mw = multipart.NewWriter(&body)
	fw, _ = mw.CreateFormFile("file", "big.bin")
	fw.Write(bytes.Repeat([]byte("x"), 1<<20+1))
	mw.Close()
	alice.post(t, "/api/v1/channels/1/messages", mw.FormDataContentType(), &body).expect(t, 413, "too_large")
	if after := countFiles(t, filepath.Join(data, "uploads")); after != before {
		t.Errorf("an oversize upload left files behind: %d → %d", before, after)
	}

	// An incoming webhook posts as its creator without any credentials.
	hk := bob.do("POST", "/api/v1/channels/1/hooks", map[string]string{"name": "ci"}, true).expect(t, 201, "")
	anon := newClient(t, addr, pool)
	a = anon.do("POST", hk.body["url"].(string), map[string]string{"text": "build passed"}, false).expect(t, 201, "")
	if msgOf(t, a)["author"] != "bob" {
		t.Errorf("hook message author: %s", a.raw)
	}
	as.until("message.created", "build passed")
	anon.do("POST", "/api/v1/hooks/mmh_nope", map[string]string{"text": "x"}, false).expect(t, 404, "not_found")
	carol.do("POST", fmt.Sprintf("/api/v1/channels/%d/hooks", priv), map[string]string{"name": "x"}, true).expect(t, 404, "not_found")

	// The STUN address is the host the client used and the real UDP port.
	a = alice.do("GET", "/api/v1/rtc-config", nil, false).expect(t, 200, "")
	if want := "stun:" + listener(t, st, "stun"); !strings.Contains(a.raw, want) {
		t.Errorf("rtc-config %s, want %s", a.raw, want)
	}

	p.signal(syscall.SIGTERM)
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func countFiles(t *testing.T, dir string) int {
	n := 0
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

func (c *apiClient) post(t *testing.T, path, contentType string, body io.Reader) answer {
	t.Helper()
	req, _ := http.NewRequest("POST", c.base+path, body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-CSRF-Token", c.csrf)
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	json.Unmarshal(raw, &a.body)
	return a
}

func (c *apiClient) get(t *testing.T, path string) *http.Response {
	t.Helper()
	resp, err := c.hc.Get(c.base + path)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestSearchScale searches 100 000 messages for a substring and finds it
// only where the caller may read.
func TestSearchScale(t *testing.T) {
	sqlite := testdeps.Need(t, "sqlite3", "sqlite3")
	data := filepath.Join(t.TempDir(), "data")
	p, st := byHand(t, data)
	addr := listener(t, st, "https")
	pool, _ := fetchCA(t, addr)
	alice, carol := signup(t, addr, pool, "alice"), signup(t, addr, pool, "carol")
	priv := alice.do("POST", "/api/v1/channels", map[string]any{"name": "private", "members": []string{}}, true).expect(t, 201, "")
	alice.do("POST", fmt.Sprintf("/api/v1/channels/%v/messages", priv.body["id"]), map[string]any{"text": "needle in the private haystack"}, true).expect(t, 201, "")
	alice.do("POST", "/api/v1/channels/2/messages", map[string]any{"text": "a public NeEdLe here"}, true).expect(t, 201, "")
	// Bulk history written straight into the store, as old data would be.
	sqlExec(t, sqlite, filepath.Join(data, "minimost.db"), `BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO messages (channel_id, author_id, text, created_at, seq)
SELECT 1, (SELECT id FROM users WHERE username = 'alice'), 'filler message number ' || i || ' about firmware builds', 1700000000000 + i,
	(SELECT value FROM seq_counter) + i FROM n;
UPDATE seq_counter SET value = value + 100000;
COMMIT;`)
	a := carol.do("GET", "/api/v1/search?q=needle", nil, false).expect(t, 200, "")
	res := a.body["results"].([]any)
	if len(res) != 1 || !strings.Contains(a.raw, "a public NeEdLe here") {
		t.Fatalf("carol's search: %s", a.raw)
	}
	hl := res[0].(map[string]any)["highlights"].([]any)[0].([]any)
	if hl[0].(float64) != 9 || hl[1].(float64) != 15 {
		t.Errorf("highlight %v, want [9 15]", hl)
	}
	a = alice.do("GET", "/api/v1/search?q=needle", nil, false).expect(t, 200, "")
	if n := len(a.body["results"].([]any)); n != 2 {
		t.Errorf("alice found %d, want 2: %s", n, a.raw)
	}
	a = carol.do("GET", "/api/v1/search?q=number%2099999%20about&limit=5", nil, false).expect(t, 200, "")
	if n := len(a.body["results"].([]any)); n != 1 {
		t.Errorf("a substring of one filler message found %d results", n)
	}
	p.signal(syscall.SIGTERM)
	p.wait()
}

// TestDeletionEffects checks what soft and hard account deletion do to
// messages, reactions and search (behavior.md §3.10).
func TestDeletionEffects(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	p, st := byHand(t, data)
	addr := listener(t, st, "https")
	pool, _ := fetchCA(t, addr)
	alice, bob, carol := signup(t, addr, pool, "alice"), signup(t, addr, pool, "bob"), signup(t, addr, pool, "carol")
	as := alice.stream(pool)
	am := msgOf(t, alice.do("POST", "/api/v1/channels/1/messages", map[string]any{"text": "alice speaks"}, true).expect(t, 201, ""))
	bm := msgOf(t, bob.do("POST", "/api/v1/channels/1/messages", map[string]any{"text": "bob's unique zebra words"}, true).expect(t, 201, ""))
	cm := msgOf(t, carol.do("POST", "/api/v1/channels/1/messages", map[string]any{"text": "carol's words stay"}, true).expect(t, 201, ""))
	bob.do("PUT", fmt.Sprintf("/api/v1/messages/%v/reactions/%s", am["id"], url.PathEscape("🎉")), nil, true).expect(t, 200, "")
	carol.do("PUT", fmt.Sprintf("/api/v1/messages/%v/reactions/%s", am["id"], url.PathEscape("👍")), nil, true).expect(t, 200, "")

	if _, errOut, code := ctl(t, nil, "--socket", p.socket, "users", "delete", "bob", "--hard"); code != 0 {
		t.Fatalf("delete --hard: %s", errOut)
	}
	f := as.until("message.deleted", fmt.Sprintf(`"id":%v`, bm["id"]))
	if f.Seq <= int64(bm["seq"].(float64)) {
		t.Errorf("tombstone seq %d not above %v", f.Seq, bm["seq"])
	}
	as.until("user.deleted", `"bob"`)
	a := alice.do("GET", fmt.Sprintf("/api/v1/messages/%v", bm["id"]), nil, false).expect(t, 200, "")
	if a.body["deleted"] != true || a.body["text"] != "" || a.body["author"] != "Deleted User" || a.body["author_deleted"] != true {
		t.Errorf("hard-deleted author's message: %s", a.raw)
	}
	if a := alice.do("GET", "/api/v1/search?q=zebra", nil, false).expect(t, 200, ""); len(a.body["results"].([]any)) != 0 {
		t.Errorf("search still finds a hard-deleted account's text: %s", a.raw)
	}
	a = alice.do("GET", fmt.Sprintf("/api/v1/messages/%v", am["id"]), nil, false).expect(t, 200, "")
	if strings.Contains(a.raw, "🎉") || !strings.Contains(a.raw, "👍") {
		t.Errorf("reactions after bob's hard delete: %s", a.raw)
	}

	if _, errOut, code := ctl(t, nil, "--socket", p.socket, "users", "delete", "carol"); code != 0 {
		t.Fatalf("delete: %s", errOut)
	}
	a = alice.do("GET", fmt.Sprintf("/api/v1/messages/%v", cm["id"]), nil, false).expect(t, 200, "")
	if a.body["text"] != "carol's words stay" || a.body["author"] != "Deleted User" || a.body["author_deleted"] != true {
		t.Errorf("soft-deleted author's message: %s", a.raw)
	}
	a = alice.do("GET", fmt.Sprintf("/api/v1/messages/%v", am["id"]), nil, false).expect(t, 200, "")
	if !strings.Contains(a.raw, `"users":["Deleted User"]`) {
		t.Errorf("a soft-deleted account's reaction: %s", a.raw)
	}
	p.signal(syscall.SIGTERM)
	p.wait()
}
