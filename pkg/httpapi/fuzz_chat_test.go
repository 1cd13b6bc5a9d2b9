package httpapi

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimost/minimost/pkg/accounts"
	"github.com/minimost/minimost/pkg/audit"
	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/chatsvc"
	"github.com/minimost/minimost/pkg/config"
	"github.com/minimost/minimost/pkg/hub"
	"github.com/minimost/minimost/pkg/password"
	"github.com/minimost/minimost/pkg/store"
)

// chatFuzzAudit drops audit records; the fuzzers look at answers and
// files only.
type chatFuzzAudit struct{}

func (chatFuzzAudit) Record(audit.Event) {}

// chatFuzzEnv is the whole HTTP stack over a real store in a temporary
// directory, with one logged-in user and the public channel general.
type chatFuzzEnv struct {
	h       http.Handler
	db      *store.DB
	uploads string
	cookie  string
	csrf    string
	channel int64
}

func chatFuzzSetup(tb testing.TB) *chatFuzzEnv {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	db, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	s := config.Defaults()
	s.Channels = []string{"general"}
	s.MaxUploadSizeMB = 1
	s.MaxMessageLength = 100
	// Fuzzing sends far more than any rate limit allows.
	s.RateLimitEnabled = false
	live := config.NewLive(s)
	acc := accounts.New(accounts.Options{DB: db, Hasher: password.NewHasherWithIterations(2, 1), Settings: live, Audit: chatFuzzAudit{}})
	e := &chatFuzzEnv{db: db, uploads: filepath.Join(dir, "uploads")}
	svc := chatsvc.New(chatsvc.Options{DB: db, Settings: live, Accounts: acc, UploadsDir: e.uploads})
	h := hub.New(hub.Options{Handler: svc})
	svc.SetHub(h)
	if err := svc.SyncChannels(ctx); err != nil {
		tb.Fatal(err)
	}
	e.h = NewServer(Deps{
		Logger: slog.New(slog.DiscardHandler), Settings: live, Accounts: acc, Chat: svc, Hub: h, Audit: chatFuzzAudit{},
		CAPEM: func() []byte { return nil }, Ready: func() bool { return true },
	})
	res := e.do(tb, "POST", "/api/v1/signup", "application/json",
		[]byte(`{"username":"fuzzer","password":"Correct-Horse-Battery-9"}`))
	if res.Code != http.StatusCreated {
		tb.Fatalf("signup: %d %s", res.Code, res.Body)
	}
	for _, c := range res.Result().Cookies() {
		if c.Name == CookieName {
			e.cookie = c.Value
		}
	}
	var body struct {
		CSRF string `json:"csrf_token"`
	}
	json.Unmarshal(res.Body.Bytes(), &body)
	e.csrf = body.CSRF
	var chans []chat.Channel
	res = e.do(tb, "GET", "/api/v1/channels", "", nil)
	if err := json.Unmarshal(res.Body.Bytes(), &chans); err != nil || len(chans) != 1 {
		tb.Fatalf("channels: %s", res.Body)
	}
	e.channel = chans[0].ID
	return e
}

func (e *chatFuzzEnv) do(tb testing.TB, method, path, contentType string, body []byte) *httptest.ResponseRecorder {
	tb.Helper()
	req := httptest.NewRequest(method, "https://example.com"+path, bytes.NewReader(body))
	req.RemoteAddr = "192.0.2.20:40000"
	req.Header.Set("Origin", "https://example.com")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if e.cookie != "" {
		req.AddCookie(&http.Cookie{Name: CookieName, Value: e.cookie})
		req.Header.Set("X-CSRF-Token", e.csrf)
	}
	rr := httptest.NewRecorder()
	e.h.ServeHTTP(rr, req)
	return rr
}

func (e *chatFuzzEnv) post(tb testing.TB, contentType string, body []byte) *httptest.ResponseRecorder {
	tb.Helper()
	return e.do(tb, "POST", fmt.Sprintf("/api/v1/channels/%d/messages", e.channel), contentType, body)
}

// chatFuzzCheckAnswer fails on a server error, on an error body without a
// code and message, and on a 201 that is not a list of messages.
func chatFuzzCheckAnswer(t *testing.T, res *httptest.ResponseRecorder) []chat.Message {
	t.Helper()
	switch {
	case res.Code >= 500:
		t.Fatalf("server error %d %s", res.Code, res.Body)
	case res.Code == http.StatusCreated:
		var ok struct {
			Messages []chat.Message `json:"messages"`
		}
		if err := json.Unmarshal(res.Body.Bytes(), &ok); err != nil || len(ok.Messages) == 0 {
			t.Fatalf("201 with %s", res.Body)
		}
		return ok.Messages
	case res.Code >= 400:
		var bad struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(res.Body.Bytes(), &bad); err != nil || bad.Error == "" || bad.Message == "" {
			t.Fatalf("%d with %s", res.Code, res.Body)
		}
	default:
		t.Fatalf("unexpected status %d %s", res.Code, res.Body)
	}
	return nil
}

// chatFuzzFilesMatch fails unless the uploads directory holds exactly the
// stored, undeleted attachments: a refused request leaves no file behind.
func (e *chatFuzzEnv) chatFuzzFilesMatch(t *testing.T) {
	t.Helper()
	onDisk := 0
	filepath.WalkDir(e.uploads, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			onDisk++
		}
		return nil
	})
	var stored int
	if err := e.db.Read(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT count(*) FROM attachments WHERE deleted = 0`).Scan(&stored)
	}); err != nil {
		t.Fatal(err)
	}
	if onDisk != stored {
		t.Fatalf("%d files on disk, %d attachments stored", onDisk, stored)
	}
}

// FuzzChatMessageJSON posts arbitrary JSON bodies as a message: never a
// 5xx, and an accepted body stored exactly its text minus trailing
// whitespace, as the standard decoder reads it.
func FuzzChatMessageJSON(f *testing.F) {
	for _, seed := range []string{
		`{"text":"hello"}`, `{"text":"hi @fuzzer","client_id":"c-1"}`, `{"text":"x","reply_to":1}`,
		`{"text":"x","reply_to":"1"}`, `{"text":1}`, `{"text":null}`, `{"text":"a\u0000b"}`, `{"text":"\ud800"}`,
		`{"text":"  \t\n"}`, `{"text":"<script>{{x}}%s\t😀"}`, `{"client_id":"c"}`, `{"text":"x","client_id":""}`,
		`{"text":"x","client_id":"é"}`, `{"text":"x","reply_to":-1}`, `{"text":"x","reply_to":9223372036854775807}`,
		`{"text":"x","reply_to":1e3}`, `{"TEXT":"case"}`, `{"text":"x","author":"admin","system":true}`,
		`[]`, `null`, `""`, ``, `{`, `{"text":"x"}{"text":"y"}`, `{"text":"` + strings.Repeat("é", 101) + `"}`,
		nest(70, `{"text":"deep"}`),
	} {
		f.Add([]byte(seed))
	}
	e := chatFuzzSetup(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		ms := chatFuzzCheckAnswer(t, e.post(t, "application/json", body))
		if ms == nil {
			return
		}
		var sent struct {
			Text     string  `json:"text"`
			ClientID *string `json:"client_id"`
		}
		if err := json.Unmarshal(body, &sent); err != nil {
			t.Fatalf("accepted %q, which the standard decoder refuses: %v", body, err)
		}
		// A repeated client_id answers with the first post's messages.
		if sent.ClientID != nil && *sent.ClientID != "" {
			return
		}
		if want := strings.TrimRight(sent.Text, " \t\r\n"); ms[0].Text != want || ms[0].Author != "fuzzer" || ms[0].System {
			t.Fatalf("sent %q, stored %+v", want, ms[0])
		}
	})
}

// FuzzChatMultipart posts multipart messages built from arbitrary fields
// and files, and arbitrary raw multipart bodies: never a 5xx, nothing left
// on disk by a refusal, and every stored file has the size sent.
func FuzzChatMultipart(f *testing.F) {
	f.Add("hello", "", "c-1", "plan.pdf", []byte("%PDF-1.4"), false, []byte(nil))
	f.Add("", "", "", "../../etc/passwd", []byte("x"), false, []byte(nil))
	f.Add("", "1", "", `C:\x\y.txt`, []byte{}, false, []byte(nil))
	f.Add("a\x00b", "x", "", "a.png", []byte("\x89PNG\r\n\x1a\n"), false, []byte(nil))
	f.Add("x", "", "", "big.bin", bytes.Repeat([]byte("z"), 1<<20+1), false, []byte(nil))
	f.Add("", "", "", "", []byte(nil), true, []byte("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nabc\r\n--B--\r\n"))
	f.Add("", "", "", "", []byte(nil), true, []byte("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nabc"))
	f.Add("", "", "", "", []byte(nil), true, []byte("--B\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nhi\r\n--B--\r\n"))
	f.Add("", "", "", "", []byte(nil), true, []byte("garbage"))
	e := chatFuzzSetup(f)
	f.Fuzz(func(t *testing.T, text, replyTo, clientID, fileName string, file []byte, raw bool, rawBody []byte) {
		var body []byte
		ct := "multipart/form-data; boundary=B"
		if raw {
			body = rawBody
		} else {
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			for _, kv := range [][2]string{{"text", text}, {"reply_to", replyTo}, {"client_id", clientID}} {
				if kv[1] != "" {
					w.WriteField(kv[0], kv[1])
				}
			}
			if file != nil {
				fw, err := w.CreateFormFile("file", fileName)
				if err != nil {
					t.Fatal(err)
				}
				fw.Write(file)
			}
			w.Close()
			body, ct = buf.Bytes(), w.FormDataContentType()
		}
		ms := chatFuzzCheckAnswer(t, e.post(t, ct, body))
		e.chatFuzzFilesMatch(t)
		// A repeated client_id answers with the first post's messages.
		if ms == nil || raw || clientID != "" {
			return
		}
		for _, m := range ms {
			for _, a := range m.Attachments {
				if a.Size != int64(len(file)) || a.Name == "" || strings.ContainsAny(a.Name, "/\\") {
					t.Fatalf("stored %+v for a %d-byte file named %q", a, len(file), fileName)
				}
			}
		}
	})
}
