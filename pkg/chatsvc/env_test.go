package chatsvc

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/minimost/minimost/pkg/accounts"
	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/config"
	"github.com/minimost/minimost/pkg/hub"
	"github.com/minimost/minimost/pkg/store"
)

// svcClock is the pinned clock of the service and the store: typing
// expiry and rate rules are checked at their exact edges.
type svcClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *svcClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *svcClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// svcEnv is the chat service over a real store file, with a real hub
// served over loopback so tests read what each user's stream receives.
type svcEnv struct {
	t        testing.TB
	ctx      context.Context
	dir      string
	clock    *svcClock
	db       *store.DB
	settings *config.Live
	svc      *Service
	hub      *hub.Hub
	srv      *httptest.Server
	users    map[string]User
	general  int64
	random   int64
}

func newSvcEnv(t testing.TB, configure func(*config.Settings), users ...string) *svcEnv {
	t.Helper()
	e := &svcEnv{t: t, ctx: context.Background(), dir: t.TempDir(), users: map[string]User{},
		clock: &svcClock{now: time.UnixMilli(1_764_000_000_000)}}
	db, err := store.Open(e.ctx, e.dir, store.Options{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db = db
	s := config.Defaults()
	s.Channels = []string{"general", "random"}
	if configure != nil {
		configure(s)
	}
	e.settings = config.NewLive(s)
	acc := accounts.New(accounts.Options{DB: db, Settings: e.settings, Now: e.clock.Now})
	e.svc = New(Options{DB: db, Settings: e.settings, Accounts: acc, UploadsDir: filepath.Join(e.dir, "uploads"), Now: e.clock.Now})
	e.hub = hub.New(hub.Options{Handler: e.svc})
	e.svc.SetHub(e.hub)
	if err := e.svc.SyncChannels(e.ctx); err != nil {
		t.Fatal(err)
	}
	cs, err := db.ChannelsFor(e.ctx, 0, "nobody")
	if err != nil || len(cs) != 2 {
		t.Fatalf("public channels: %v %v", cs, err)
	}
	e.general, e.random = cs[0].ID, cs[1].ID
	for _, u := range users {
		e.addUser(u)
	}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := e.lookup(r.URL.Query().Get("user"))
		if !ok {
			http.Error(w, "no such test user", http.StatusUnauthorized)
			return
		}
		e.hub.Accept(w, r, hub.Client{UserID: u.ID, Username: u.Username, SessionHash: []byte(u.Username)}, 100)
	}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.hub.Shutdown(ctx)
		e.srv.Close()
	})
	return e
}

var usersMu sync.Mutex

func (e *svcEnv) lookup(name string) (User, bool) {
	usersMu.Lock()
	defer usersMu.Unlock()
	u, ok := e.users[name]
	return u, ok
}

func (e *svcEnv) addUser(name string) User {
	e.t.Helper()
	a, err := e.db.CreateAccount(e.ctx, name, "not-a-real-hash", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	u := User{ID: a.ID, Username: a.Username}
	usersMu.Lock()
	e.users[name] = u
	usersMu.Unlock()
	return u
}

func (e *svcEnv) user(name string) User {
	e.t.Helper()
	u, ok := e.lookup(name)
	if !ok {
		e.t.Fatalf("no test user %q", name)
	}
	return u
}

func (e *svcEnv) post(name string, ch int64, text string) chat.Message {
	e.t.Helper()
	ms, err := e.svc.Post(e.ctx, e.user(name), PostInput{ChannelID: ch, Text: text})
	if err != nil {
		e.t.Fatalf("post %q by %s: %v", text, name, err)
	}
	return ms[0]
}

func (e *svcEnv) private(creator, name string, members ...string) int64 {
	e.t.Helper()
	c, err := e.svc.CreatePrivate(e.ctx, e.user(creator), name, members)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

// frame is one server frame as a client reads it.
type frame struct {
	Type string          `json:"type"`
	Seq  int64           `json:"seq"`
	Data json.RawMessage `json:"data"`
}

func (f frame) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(f.Data, v); err != nil {
		t.Fatalf("%s frame %s: %v", f.Type, f.Data, err)
	}
}

// wsClient is one open stream of a user.
type wsClient struct {
	t    testing.TB
	name string
	ws   *websocket.Conn
}

// connect opens a stream for the user and reads its hello.
func (e *svcEnv) connect(name string) *wsClient {
	e.t.Helper()
	c, hello := e.connectHello(name)
	if hello.Type != "hello" {
		e.t.Fatalf("first frame of %s is %q, want hello", name, hello.Type)
	}
	return c
}

// connectHello opens a stream and returns it with its first frame.
func (e *svcEnv) connectHello(name string) (*wsClient, frame) {
	e.t.Helper()
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/?user=" + name
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		e.t.Fatalf("dial as %s: %v", name, err)
	}
	e.t.Cleanup(func() { ws.Close() })
	c := &wsClient{t: e.t, name: name, ws: ws}
	return c, c.read()
}

func (c *wsClient) read() frame {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var f frame
	_, b, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("%s reads: %v", c.name, err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		c.t.Fatalf("%s reads %q: %v", c.name, b, err)
	}
	return f
}

func (c *wsClient) send(typ string, data any) {
	c.t.Helper()
	b, err := json.Marshal(map[string]any{"type": typ, "data": data})
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatalf("%s writes: %v", c.name, err)
	}
}

// drain pings the stream and returns every frame before the pong. Events
// are queued on every stream before the call that published them returns,
// so after it drain holds all of them; and a frame the client sent before
// the ping has been handled by then.
func (c *wsClient) drain() []frame {
	c.t.Helper()
	c.send("ping", nil)
	var out []frame
	for {
		f := c.read()
		if f.Type == "pong" {
			return out
		}
		out = append(out, f)
	}
}

// flush returns every frame queued for the user's stream c so far: it
// publishes a marker to the user and reads up to it. Unlike drain it sends
// nothing, so the hub's limit of client frames per second never applies.
func (e *svcEnv) flush(t testing.TB, c *wsClient) []frame {
	t.Helper()
	u, _ := e.lookup(c.name)
	e.hub.Publish(hub.Event{Frame: hub.Frame{Type: "test.marker"}}, []int64{u.ID})
	r := *c
	r.t = t
	var out []frame
	for {
		f := r.read()
		if f.Type == "test.marker" {
			return out
		}
		out = append(out, f)
	}
}

// ofType keeps the frames of one type.
func ofType(fs []frame, typ string) []frame {
	var out []frame
	for _, f := range fs {
		if f.Type == typ {
			out = append(out, f)
		}
	}
	return out
}
