package chatsvc

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// FuzzFrame feeds arbitrary client frames (type and data) to the
// service's frame handler from a real stream of carol, who reads the
// public channels only. Nothing may panic, and dave, connected beside her,
// must never hear of the private channel or the DM of alice and bob,
// whatever channel ids the frames name.
func FuzzFrame(f *testing.F) {
	e := newSvcEnv(f, nil, "alice", "bob", "carol", "dave")
	pc := e.private("alice", "ab", "bob")
	dm, _, err := e.svc.OpenDM(e.ctx, e.user("alice"), []string{"bob"})
	if err != nil {
		f.Fatal(err)
	}
	secret := map[int64]bool{pc: true, dm.ID: true}
	carol := e.connect("carol")
	dave := e.connect("dave")
	dave.drain()
	conn := e.hub.Streams(e.user("carol").ID)[0]
	// Carol's own copies are read and dropped, so her queue never fills.
	go func() {
		for {
			if _, _, err := carol.ws.ReadMessage(); err != nil {
				return
			}
		}
	}()

	for _, id := range []int64{e.general, e.random, pc, dm.ID, 0, -1, 1 << 40} {
		f.Add("typing", []byte(fmt.Sprintf(`{"channel_id":%d}`, id)))
	}
	for _, seed := range [][2]string{
		{"typing", `{"channel_id":"1"}`}, {"typing", `{"channel_id":1.5}`}, {"typing", `{"channel_id":1e400}`},
		{"typing", `{}`}, {"typing", `null`}, {"typing", `[1]`}, {"typing", ``}, {"typing", `{"channel_id":1,"channel_id":3}`},
		{"presence", `{"state":"idle"}`}, {"presence", `{"state":"active"}`}, {"presence", `{"state":"hidden"}`},
		{"presence", `{"state":"offline"}`}, {"presence", `{"state":"busy"}`}, {"presence", `{"state":null}`},
		{"call.signal", `{"call_id":"x","to":"alice","data":{"sdp":"v=0"}}`}, {"screenshare.signal", `{"share_id":"x","to":"bob"}`},
		{"ping", `{}`}, {"", `{}`}, {"unknown", `{"channel_id":3}`}, {"TYPING", `{"channel_id":1}`},
	} {
		f.Add(seed[0], []byte(seed[1]))
	}
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		// Past the one-frame-a-second typing limit, so every frame counts.
		e.clock.Advance(1100 * time.Millisecond)
		e.svc.Frame(conn, typ, json.RawMessage(data))
		for _, fr := range e.flush(t, dave) {
			var v struct {
				ChannelID int64 `json:"channel_id"`
			}
			_ = json.Unmarshal(fr.Data, &v)
			if secret[v.ChannelID] {
				t.Fatalf("after %s %q dave received %s %s", typ, data, fr.Type, fr.Data)
			}
		}
	})
}
