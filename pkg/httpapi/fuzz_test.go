package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/minimost/minimost/pkg/chat"
)

// FuzzDecodeCredentials feeds arbitrary bodies to the decoding that signup
// and login run before anything else: it never panics, it only ever
// refuses with a 400 or 413 code that says what is wrong (never an
// internal error, which would be a 500), and a body it accepts holds both
// fields as strings, is at most 1 MiB and 64 levels deep, and is a JSON
// object the standard decoder reads too.
func FuzzDecodeCredentials(f *testing.F) {
	for _, seed := range []string{
		`{"username":"bob","password":"Correct-Horse-Battery-9"}`,
		`{"username":"bob","password":"x","extra":[1,{"a":null}]}`,
		`{"username":1,"password":"x"}`,
		`{"username":"bob","password":null}`,
		`{"username":"bob"`,
		`[{"username":"bob"}]`,
		`null`, `"x"`, ``, ` `, `{}`,
		`{"username":"\u0000\ud800","password":"\\\""}`,
		nest(63, "1"), nest(64, "1"),
		`{"USERNAME":"bob","Password":"x"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/login", bytes.NewReader(body))
		var c credentials
		err := decode(httptest.NewRecorder(), req, &c)
		if err == nil {
			err = c.check()
		}
		if err != nil {
			code := chat.ErrorCode(err)
			if status, ok := statusOf[code]; !ok || status != http.StatusBadRequest && status != http.StatusRequestEntityTooLarge {
				t.Fatalf("refused with %q (%v), want a 400 or 413 code", code, err)
			}
			if chat.ErrorMessage(err) == "" {
				t.Fatal("refusal without a message")
			}
			return
		}
		if c.Username == nil || c.Password == nil {
			t.Fatal("accepted without both fields")
		}
		if len(body) > maxJSONBody {
			t.Fatalf("accepted a %d-byte body", len(body))
		}
		if depth(body) > maxJSONDepth {
			t.Fatalf("accepted a body nested %d deep", depth(body))
		}
		trimmed := strings.TrimLeft(string(body), " \t\r\n")
		if !strings.HasPrefix(trimmed, "{") {
			t.Fatalf("accepted a body that is not an object: %q", body)
		}
		var std map[string]json.RawMessage
		if err := json.Unmarshal(body, &std); err != nil {
			t.Fatalf("accepted a body the standard decoder refuses: %v", err)
		}
	})
}
