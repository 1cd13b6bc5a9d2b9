package httpapi

import (
	"strings"
	"testing"
)

// nest wraps inner in n levels of arrays inside the body's object, so the
// whole body nests n+1 deep.
func nest(n int, inner string) string {
	return `{"username":"bob","password":"x","pad":` + strings.Repeat("[", n) + inner + strings.Repeat("]", n) + `}`
}

// TestMalformedJSON is behavior.md §1 on request bodies, through the login
// route that every caller can reach: each shape of garbage is a 400
// bad_request (413 too_large past 1 MiB), never a 500, and refuses before
// any credential is checked; unknown fields are ignored.
func TestMalformedJSON(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	e.signup("bob")
	c := e.client()
	big := `{"username":"bob","password":"` + strings.Repeat("p", 1<<20) + `"}`
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		field  string
	}{
		{"empty", "", 400, "bad_request", ""},
		{"whitespace", " \n\t", 400, "bad_request", ""},
		{"array", `[{"username":"bob","password":"x"}]`, 400, "bad_request", ""},
		{"null", "null", 400, "bad_request", ""},
		{"string", `"username"`, 400, "bad_request", ""},
		{"number", "42", 400, "bad_request", ""},
		{"true", "true", 400, "bad_request", ""},
		{"truncated", `{"username":"bob","password":"x"`, 400, "bad_request", ""},
		{"truncated string", `{"username":"bo`, 400, "bad_request", ""},
		{"trailing garbage", `{"username":"bob","password":"x"} {}`, 400, "bad_request", ""},
		{"bad escape", `{"username":"\q","password":"x"}`, 400, "bad_request", ""},
		{"single quotes", `{'username':'bob'}`, 400, "bad_request", ""},
		{"comment", `{"username":"bob", /* */ "password":"x"}`, 400, "bad_request", ""},
		{"username a number", `{"username":1,"password":"x"}`, 400, "bad_request", "username"},
		{"password an object", `{"username":"bob","password":{"a":1}}`, 400, "bad_request", "password"},
		{"password an array", `{"username":"bob","password":["x"]}`, 400, "bad_request", "password"},
		{"password true", `{"username":"bob","password":true}`, 400, "bad_request", "password"},
		{"password null", `{"username":"bob","password":null}`, 400, "bad_request", "password"},
		{"password missing", `{"username":"bob"}`, 400, "bad_request", "password"},
		{"username missing", `{"password":"x"}`, 400, "bad_request", "username"},
		{"empty object", `{}`, 400, "bad_request", "username"},
		{"depth 65", nest(64, "1"), 400, "bad_request", ""},
		{"depth 65 of objects", `{"a":` + strings.Repeat(`{"a":`, 64) + `1` + strings.Repeat("}", 65), 400, "bad_request", ""},
		{"depth 64 is allowed", nest(63, "1"), 401, "invalid_credentials", ""},
		{"brackets inside strings do not nest", `{"username":"bob","password":"` + strings.Repeat("[{", 100) + `"}`, 401, "invalid_credentials", ""},
		{"names are exact", `{"USERNAME":"bob","Password":"x"}`, 400, "bad_request", "username"},
		{"unknown fields ignored", `{"username":"bob","password":"x","is_admin":true,"author":"minimost"}`, 401, "invalid_credentials", ""},
		{"1 MiB + 1", big[:len(big)-(len(big)-(1<<20)-1)], 413, "too_large", ""},
		{"well over 1 MiB", big, 413, "too_large", ""},
		{"invalid UTF-8", "{\"username\":\"b\xffob\",\"password\":\"x\"}", 401, "invalid_credentials", ""},
	}
	for _, tt := range tests {
		r := c.send("POST", "/api/v1/login", tt.body)
		if r.status != tt.status || r.body["error"] != tt.code {
			t.Errorf("%s: %d %.200s, want %d %s", tt.name, r.status, r.raw, tt.status, tt.code)
			continue
		}
		if got, _ := r.body["field"].(string); got != tt.field {
			t.Errorf("%s: field %q, want %q", tt.name, got, tt.field)
		}
	}
	// Not one of them was a failed login: garbage is refused before the
	// credentials are looked at, so bob is not locked out.
	c.send("POST", "/api/v1/login", map[string]string{"username": "bob", "password": testPassword}).want(t, 200, "")
	// Another spelling of a field is an unknown field, never a second
	// value for it.
	c.send("POST", "/api/v1/login", `{"username":"bob","password":"`+testPassword+`","PASSWORD":"wrong"}`).want(t, 200, "")
	c.send("POST", "/api/v1/login", `{"username":"bob","Username":"mallory","password":"`+testPassword+`"}`).want(t, 200, "")

	// Exactly 1 MiB is within the cap.
	exact := `{"username":"bob","password":"` + strings.Repeat("p", 1<<20-len(`{"username":"bob","password":""}`)) + `"}`
	if len(exact) != 1<<20 {
		t.Fatalf("exact body is %d bytes", len(exact))
	}
	c.send("POST", "/api/v1/login", exact).want(t, 401, "invalid_credentials")
}

// TestWrongTypesNameTheField covers the other decoders: every route that
// takes a JSON body names the field of the wrong type.
func TestWrongTypesNameTheField(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	alice := e.signup("alice")
	tests := []struct {
		method, path, body, field string
	}{
		{"POST", "/api/v1/signup", `{"username":["x"],"password":"x"}`, "username"},
		{"POST", "/api/v1/me/password", `{"current_password":1,"new_password":"x"}`, "current_password"},
		{"POST", "/api/v1/me/password", `{"current_password":"x","new_password":false}`, "new_password"},
		{"PATCH", "/api/v1/me/settings", `{"name_color":5}`, "name_color"},
		{"PATCH", "/api/v1/me/settings", `{"bio":null}`, "bio"},
		{"PATCH", "/api/v1/me/settings", `{"bio":["x"]}`, "bio"},
		{"POST", "/api/v1/me/tokens", `{"name":{}}`, "name"},
		{"DELETE", "/api/v1/me", `{"password":"x","mode":1}`, "mode"},
		{"POST", "/api/v1/password-reset/x", `{"new_password":2}`, "new_password"},
	}
	for _, tt := range tests {
		r := alice.send(tt.method, tt.path, tt.body)
		if r.status != 400 || r.body["error"] != "bad_request" || r.body["field"] != tt.field {
			t.Errorf("%s %s %s: %d %s, want 400 bad_request on %s", tt.method, tt.path, tt.body, r.status, r.raw, tt.field)
		}
	}
	for _, body := range []string{"[]", "null", `"x"`, "{", nest(64, "1")} {
		r := alice.send("PATCH", "/api/v1/me/settings", body)
		if r.status != 400 || r.body["error"] != "bad_request" {
			t.Errorf("PATCH /me/settings %.40s: %d %s, want 400 bad_request", body, r.status, r.raw)
		}
	}
	r := alice.send("PATCH", "/api/v1/me/settings", `{"bio":"`+strings.Repeat("b", 1<<20)+`"}`)
	if r.status != 413 {
		t.Errorf("PATCH /me/settings over 1 MiB: %d %s, want 413", r.status, r.raw)
	}
}
