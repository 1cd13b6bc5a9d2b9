package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// badValue is a value a key refuses and the reason it must give.
type badValue struct {
	value  string
	reason string
}

// keyCase describes one settings key independently of the implementation:
// its JSON kind, default, an accepted value and refused values.
type keyCase struct {
	key   string
	kind  string // int, number, bool, string, list, object
	def   string
	good  string
	extra string // members the good document needs besides the key
	bad   []badValue
}

// between builds the refusals just outside an integer range.
func between(lo, hi int) []badValue {
	reason := fmt.Sprintf("must be between %d and %d", lo, hi)
	return []badValue{{fmt.Sprint(lo - 1), reason}, {fmt.Sprint(hi + 1), reason}}
}

// jsonList builds a JSON list of n strings made by name.
func jsonList(n int, name func(int) string) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf("%q", name(i))
	}
	return "[" + strings.Join(items, ",") + "]"
}

var keyCases = []keyCase{
	{key: "channels", kind: "list",
		def:  `["general","software","firmware","systems","off-topic"]`,
		good: `["General","dev.ops","a_b-c","` + strings.Repeat("x", 80) + `"]`,
		bad: []badValue{
			{`[]`, "must list between 1 and 50 entries"},
			{jsonList(51, func(i int) string { return fmt.Sprint("c", i) }), "must list between 1 and 50 entries"},
		}},
	{key: "image_retention_days", kind: "int", def: "30", good: "0", bad: between(0, 36500)},
	{key: "file_retention_days", kind: "int", def: "30", good: "36500", bad: between(0, 36500)},
	{key: "message_retention_days", kind: "int", def: "770", good: "1", bad: between(0, 36500)},
	{key: "max_message_db_size_mb", kind: "int", def: "1024", good: "1048576", bad: between(0, 1048576)},
	{key: "max_upload_dir_size_mb", kind: "int", def: "2048", good: "0", bad: between(0, 1048576)},
	{key: "max_upload_size_mb", kind: "int", def: "25", good: "1024", bad: between(1, 1024)},
	{key: "max_avatar_size_mb", kind: "int", def: "5", good: "50", bad: between(1, 50)},
	{key: "max_message_length", kind: "int", def: "10000", good: "100000", bad: between(1, 100000)},
	{key: "stun_port", kind: "int", def: "3478", good: "65535", bad: between(1, 65535)},
	{key: "max_login_attempts", kind: "int", def: "5", good: "0", bad: between(0, 100)},
	{key: "lockout_duration_minutes", kind: "int", def: "15", good: "1440", bad: between(1, 1440)},
	{key: "password_min_length", kind: "int", def: "15", good: "128", bad: between(1, 128)},
	{key: "password_history_count", kind: "int", def: "5", good: "24", bad: between(0, 24)},
	{key: "password_min_age_hours", kind: "number", def: "0", good: "1.5", bad: []badValue{
		{"-0.5", "must be between 0 and 720"},
		{"720.5", "must be between 0 and 720"},
		{"1e400", "must be between 0 and 720"},
	}},
	{key: "password_max_age_days", kind: "int", def: "0", good: "3650", bad: between(0, 3650)},
	{key: "session_idle_minutes", kind: "int", def: "20160", good: "525600", bad: between(0, 525600)},
	{key: "session_max_hours", kind: "int", def: "720", good: "8760", bad: between(1, 8760)},
	{key: "audit_log_max_size_mb", kind: "int", def: "10", good: "1024", bad: between(0, 1024)},
	{key: "audit_log_max_age_days", kind: "int", def: "30", good: "3650", bad: between(0, 3650)},
	{key: "audit_log_backups", kind: "int", def: "12", good: "1000", bad: between(0, 1000)},
	{key: "rate_limit_enabled", kind: "bool", def: "true", good: "false"},
	{key: "max_event_streams_per_user", kind: "int", def: "12", good: "100", bad: between(1, 100)},
	{key: "rate_limits", kind: "object",
		def: `{"login_per_minute":60,"signup_per_hour":20,"password_reset_per_hour":30,` +
			`"messages_per_10s":40,"uploads_per_minute":60,"avatar_per_hour":60,` +
			`"create_channel_per_hour":60,"api_per_minute":1200}`,
		good: `{"login_per_minute":1,"signup_per_hour":2,"password_reset_per_hour":3,` +
			`"messages_per_10s":4,"uploads_per_minute":5,"avatar_per_hour":6,` +
			`"create_channel_per_hour":7,"api_per_minute":9223372036854775807}`},
	{key: "retention_interval_hours", kind: "int", def: "24", good: "168", bad: between(1, 168)},
	{key: "link_previews_enabled", kind: "bool", def: "true", good: "false"},
	{key: "link_preview_allowed_networks", kind: "list", def: `[]`,
		good: `["10.0.0.0/8","192.168.1.0/24","fd00::/8","10.1.2.3/16"]`,
		bad: []badValue{
			{jsonList(65, func(i int) string { return fmt.Sprintf("10.%d.0.0/16", i) }), "must list at most 64 entries"},
			{`["10.0.0.0"]`, `"10.0.0.0" is not a CIDR such as 192.168.0.0/16 or fd00::/8`},
			{`["10.0.0.0/33"]`, `"10.0.0.0/33" is not a CIDR such as 192.168.0.0/16 or fd00::/8`},
			{`["fe80::/10%eth0"]`, `"fe80::/10%eth0" is not a CIDR such as 192.168.0.0/16 or fd00::/8`},
			{`[""]`, `"" is not a CIDR such as 192.168.0.0/16 or fd00::/8`},
		}},
	{key: "tls_cert_file", kind: "string", def: `""`, good: `"/etc/minimost/tls/cert.pem"`,
		extra: `"tls_key_file":"/etc/minimost/tls/key.pem"`,
		bad: []badValue{
			{`"cert.pem"`, "must be an absolute path"},
			{`"/a\u0000b"`, "must be an absolute path"},
		}},
	{key: "tls_key_file", kind: "string", def: `""`, good: `"/etc/minimost/tls/key.pem"`,
		extra: `"tls_cert_file":"/etc/minimost/tls/cert.pem"`,
		bad:   []badValue{{`"./key.pem"`, "must be an absolute path"}}},
	{key: "public_hosts", kind: "list", def: `[]`,
		good: `["chat.example.com","localhost","10.1.2.3","2001:db8::1","xn--bcher-kva.example"]`,
		bad: []badValue{
			{jsonList(33, func(i int) string { return fmt.Sprintf("h%d.example", i) }), "must list at most 32 entries"},
			{`["a..b"]`, `"a..b" is not a DNS name or IP address`},
		}},
}

// rateLimitCases lists every rate_limits sub-key with its default.
var rateLimitCases = []struct {
	key string
	def int
}{
	{"login_per_minute", 60},
	{"signup_per_hour", 20},
	{"password_reset_per_hour", 30},
	{"messages_per_10s", 40},
	{"uploads_per_minute", 60},
	{"avatar_per_hour", 60},
	{"create_channel_per_hour", 60},
	{"api_per_minute", 1200},
}

// wrongTypes lists, per JSON kind, values of another JSON type.
var wrongTypes = map[string][]string{
	"int":    {`1.5`, `1.0`, `1e2`, `"1"`, `true`, `false`, `null`, `[]`, `{}`},
	"number": {`"1"`, `true`, `null`, `[1]`, `{}`},
	"bool":   {`1`, `0`, `"true"`, `null`, `[]`},
	"string": {`1`, `true`, `null`, `["/a"]`, `{}`},
	"list":   {`"a"`, `1`, `null`, `{}`, `[1]`, `["a",null]`, `[["a"]]`, `[{}]`},
	"object": {`[]`, `null`, `1`, `"a"`, `true`},
}

var typeReasons = map[string]string{
	"int":    "must be an integer",
	"number": "must be a number",
	"bool":   "must be true or false",
	"string": "must be a string",
	"list":   "must be a list of strings",
	"object": "must be an object",
}

// mustParse parses doc and fails the test on an error.
func mustParse(t *testing.T, doc string) (*Settings, []string) {
	t.Helper()
	s, warnings, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return s, warnings
}

// parseError parses doc, which must be refused, and returns the *Error.
func parseError(t *testing.T, doc string) *Error {
	t.Helper()
	s, _, err := Parse([]byte(doc))
	if err == nil {
		t.Fatalf("Parse(%s) = %+v, want an error", doc, s)
	}
	if s != nil {
		t.Errorf("Parse(%s) returned settings along with error %v", doc, err)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Parse(%s) error %T %v, want *Error", doc, err, err)
	}
	if e.File != "settings.json" {
		t.Errorf("Parse(%s) error File = %q, want settings.json", doc, e.File)
	}
	return e
}

// wantError checks that doc is refused naming key with reason.
func wantError(t *testing.T, doc, key, reason string) {
	t.Helper()
	e := parseError(t, doc)
	if e.Key != key || e.Reason != reason {
		t.Errorf("Parse(%s) error key %q reason %q, want key %q reason %q", doc, e.Key, e.Reason, key, reason)
	}
}

// members re-encodes s and returns its keys and compact values.
func members(t *testing.T, s *Settings) map[string]string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = compact(t, string(v))
	}
	return out
}

func compact(t *testing.T, doc string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(doc)); err != nil {
		t.Fatalf("compact %s: %v", doc, err)
	}
	return buf.String()
}

func TestEveryKey(t *testing.T) {
	defaults := members(t, Defaults())
	for _, c := range keyCases {
		t.Run(c.key, func(t *testing.T) {
			if got, want := defaults[c.key], compact(t, c.def); got != want {
				t.Errorf("default = %s, want %s", got, want)
			}

			doc := `{"` + c.key + `":` + c.good
			if c.extra != "" {
				doc += "," + c.extra
			}
			s, warnings := mustParse(t, doc+"}")
			if got, want := members(t, s)[c.key], compact(t, c.good); got != want {
				t.Errorf("good value: got %s, want %s", got, want)
			}
			if len(warnings) != 0 {
				t.Errorf("good value: warnings %q", warnings)
			}

			for _, v := range wrongTypes[c.kind] {
				wantError(t, `{"`+c.key+`":`+v+`}`, c.key, typeReasons[c.kind]+listSuffix(c.kind, v))
			}
			for _, b := range c.bad {
				wantError(t, `{"`+c.key+`":`+b.value+`}`, c.key, b.reason)
			}
		})
	}
}

// listSuffix is the detail a list refusal adds when the list itself is
// fine but one of its entries is not a string.
func listSuffix(kind, v string) string {
	if kind != "list" || v[0] != '[' {
		return ""
	}
	switch v {
	case `[1]`:
		return " (entry 1 is a number)"
	case `["a",null]`:
		return " (entry 2 is null)"
	case `[{}]`:
		return " (entry 1 is an object)"
	default:
		return " (entry 1 is a list)"
	}
}

func TestEveryKeyIsCovered(t *testing.T) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(DefaultJSON(), &top); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, c := range keyCases {
		want = append(want, c.key)
	}
	if got := slices.Sorted(maps.Keys(top)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("DefaultJSON keys %q, test table keys %q", got, want)
	}

	var sub map[string]json.RawMessage
	if err := json.Unmarshal(top["rate_limits"], &sub); err != nil {
		t.Fatal(err)
	}
	want = want[:0]
	for _, c := range rateLimitCases {
		want = append(want, c.key)
	}
	if got := slices.Sorted(maps.Keys(sub)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("DefaultJSON rate_limits keys %q, test table keys %q", got, want)
	}
}

func TestRateLimitSubKeys(t *testing.T) {
	for _, c := range rateLimitCases {
		t.Run(c.key, func(t *testing.T) {
			key := "rate_limits." + c.key
			if got := members(t, Defaults())["rate_limits"]; !strings.Contains(got, fmt.Sprintf(`"%s":%d`, c.key, c.def)) {
				t.Errorf("default rate_limits %s lacks %s = %d", got, c.key, c.def)
			}

			// A partial object overrides only the key it names.
			s, _ := mustParse(t, `{"rate_limits":{"`+c.key+`":7}}`)
			want := Defaults().RateLimits
			reflect.ValueOf(&want).Elem().FieldByIndex(fieldIndex(t, c.key)).SetInt(7)
			if s.RateLimits != want {
				t.Errorf("rate_limits = %+v, want %+v", s.RateLimits, want)
			}

			for _, v := range wrongTypes["int"] {
				wantError(t, `{"rate_limits":{"`+c.key+`":`+v+`}}`, key, "must be an integer")
			}
			wantError(t, `{"rate_limits":{"`+c.key+`":0}}`, key, "must be at least 1")
			wantError(t, `{"rate_limits":{"`+c.key+`":-9223372036854775809}}`, key, "must be at least 1")
			wantError(t, `{"rate_limits":{"`+c.key+`":9223372036854775808}}`, key, "must be at most 9223372036854775807")
		})
	}
}

func TestEmptyDocumentIsDefaults(t *testing.T) {
	for _, doc := range []string{`{}`, " \n\t{ }\n", `{"rate_limits":{}}`} {
		s, warnings := mustParse(t, doc)
		if !reflect.DeepEqual(s, Defaults()) || len(warnings) != 0 {
			t.Errorf("Parse(%q) = %+v, %q; want defaults and no warnings", doc, s, warnings)
		}
	}
}

func TestDocumentShape(t *testing.T) {
	tests := []struct {
		name, doc, key, reason string
	}{
		{"unknown key", `{"stun_prot":1}`, "stun_prot", "unknown key"},
		{"keys are case sensitive", `{"STUN_PORT":1}`, "STUN_PORT", "unknown key"},
		{"unknown rate_limits key", `{"rate_limits":{"login_per_hour":1}}`, "rate_limits.login_per_hour", "unknown key"},
		{"duplicate key", `{"stun_port":1,"stun_port":2}`, "stun_port", "duplicate key"},
		{"duplicate key spelled with an escape", `{"stun_port":1,"stun\u005fport":1}`, "stun_port", "duplicate key"},
		{"duplicate unknown key", `{"x":1,"x":1}`, "x", "unknown key"},
		{"duplicate rate_limits key", `{"rate_limits":{"api_per_minute":1,"api_per_minute":1}}`, "rate_limits.api_per_minute", "duplicate key"},
		{"duplicate legacy key", `{"rate_limits":{"send":[1,1],"send":[1,1]}}`, "rate_limits.send", "duplicate key"},
		{"first problem in document order", `{"stun_port":0,"bogus":1,"stun_port":1}`, "stun_port", "must be between 1 and 65535"},
		{"unknown key after valid keys", `{"stun_port":1,"bogus":1}`, "bogus", "unknown key"},
		{"array", `[]`, "", "the top level must be a JSON object, not a list"},
		{"string", `"{}"`, "", "the top level must be a JSON object, not a string"},
		{"number", `42`, "", "the top level must be a JSON object, not a number"},
		{"null", `null`, "", "the top level must be a JSON object, not null"},
		{"boolean", ` true `, "", "the top level must be a JSON object, not a boolean"},
		{"empty", ``, "", "invalid JSON at line 1, column 1: unexpected end of JSON input"},
		{"truncated", "{\n\"stun_port\": 1", "", "invalid JSON at line 2, column 14: unexpected end of JSON input"},
		{"bad character", "{\n  \"a\": }", "", "invalid JSON at line 2, column 8: invalid character '}' looking for beginning of value"},
		{"trailing comma", `{"stun_port":1,}`, "", "invalid JSON at line 1, column 16: invalid character '}' looking for beginning of object key string"},
		{"two objects", `{} {}`, "", "invalid JSON at line 1, column 4: invalid character '{' after top-level value"},
		{"comment", "{ // no\n}", "", "invalid JSON at line 1, column 3: invalid character '/' looking for beginning of object key string"},
		{"byte order mark", "\ufeff{}", "", "invalid JSON at line 1, column 1: invalid character 'ï' looking for beginning of value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.doc, tt.key, tt.reason)
		})
	}
}

func TestLegacyRateLimits(t *testing.T) {
	tests := []struct {
		name, limits, key string
		want              int
		pair              string
	}{
		{"login", `{"login":[60,60]}`, "login_per_minute", 60, "login [60, 60]"},
		{"signup", `{"signup":[20,3600]}`, "signup_per_hour", 20, "signup [20, 3600]"},
		{"password reset", `{"password_reset":[30,3600]}`, "password_reset_per_hour", 30, "password_reset [30, 3600]"},
		{"send", `{"send":[240,60]}`, "messages_per_10s", 40, "send [240, 60]"},
		{"avatar", `{"avatar":[60,3600]}`, "avatar_per_hour", 60, "avatar [60, 3600]"},
		{"create channel", `{"create_channel":[60,3600]}`, "create_channel_per_hour", 60, "create_channel [60, 3600]"},
		{"send rounds up", `{"send":[241,60]}`, "messages_per_10s", 41, "send [241, 60]"},
		{"tiny rate rounds up to 1", `{"send":[1,86400]}`, "messages_per_10s", 1, "send [1, 86400]"},
		{"half rounds up", `{"login":[7,120]}`, "login_per_minute", 4, "login [7, 120]"},
		{"shorter window scales up", `{"signup":[5,60]}`, "signup_per_hour", 300, "signup [5, 60]"},
		{"largest", `{"login":[9223372036854775807,60]}`, "login_per_minute", 9223372036854775807, "login [9223372036854775807, 60]"},
		{"large rounds up without overflow", `{"login":[9223372036854775807,9223372036854775806]}`, "login_per_minute", 61, "login [9223372036854775807, 9223372036854775806]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, warnings := mustParse(t, `{"rate_limits":`+tt.limits+`}`)
			want := Defaults().RateLimits
			reflect.ValueOf(&want).Elem().FieldByIndex(fieldIndex(t, tt.key)).SetInt(int64(tt.want))
			if s.RateLimits != want {
				t.Errorf("rate_limits = %+v, want %+v", s.RateLimits, want)
			}
			wantWarning := fmt.Sprintf("settings: settings.json: rate_limits: converted from the legacy [max, window_seconds] form: %s -> %s %d", tt.pair, tt.key, tt.want)
			if len(warnings) != 1 || warnings[0] != wantWarning {
				t.Errorf("warnings = %q, want [%q]", warnings, wantWarning)
			}
		})
	}

	t.Run("python defaults", func(t *testing.T) {
		s, warnings := mustParse(t, `{"rate_limits":{"login":[60,60],"signup":[20,3600],"password_reset":[30,3600],`+
			`"send":[240,60],"avatar":[60,3600],"create_channel":[60,3600]}}`)
		if s.RateLimits != Defaults().RateLimits {
			t.Errorf("rate_limits = %+v, want the defaults", s.RateLimits)
		}
		if len(warnings) != 1 || !strings.Contains(warnings[0], "send [240, 60] -> messages_per_10s 40") ||
			!strings.Contains(warnings[0], "create_channel [60, 3600] -> create_channel_per_hour 60") {
			t.Errorf("warnings = %q, want one naming every conversion", warnings)
		}
	})

	refused := []struct {
		name, limits, key, reason string
	}{
		{"mixed, legacy first", `{"login":[60,60],"api_per_minute":5}`, "rate_limits.api_per_minute",
			"cannot be mixed with the legacy [max, window_seconds] form of rate_limits.login"},
		{"mixed, current first", `{"api_per_minute":5,"send":[240,60]}`, "rate_limits.send",
			"the legacy [max, window_seconds] form cannot be mixed with rate_limits.api_per_minute"},
		{"legacy name with an integer", `{"login":5}`, "rate_limits.login", "must be a [max, window_seconds] pair of integers"},
		{"no legacy form for uploads", `{"uploads":[1,1]}`, "rate_limits.uploads", "unknown key"},
		{"empty key", `{"":[1,1]}`, "rate_limits.", "unknown key"},
		{"one element", `{"login":[60]}`, "rate_limits.login", "must be a [max, window_seconds] pair of integers"},
		{"three elements", `{"login":[60,60,60]}`, "rate_limits.login", "must be a [max, window_seconds] pair of integers"},
		{"fraction", `{"login":[1.5,60]}`, "rate_limits.login", "must be a [max, window_seconds] pair of integers"},
		{"string", `{"login":["60",60]}`, "rate_limits.login", "must be a [max, window_seconds] pair of integers"},
		{"boolean", `{"login":[true,60]}`, "rate_limits.login", "must be a [max, window_seconds] pair of integers"},
		{"null", `{"login":null}`, "rate_limits.login", "must be a [max, window_seconds] pair of integers"},
		{"zero max", `{"login":[0,60]}`, "rate_limits.login", "max and window_seconds must be at least 1"},
		{"zero window", `{"login":[60,0]}`, "rate_limits.login", "max and window_seconds must be at least 1"},
		{"negative", `{"login":[-1,60]}`, "rate_limits.login", "max and window_seconds must be at least 1"},
		{"huge", `{"login":[9223372036854775808,60]}`, "rate_limits.login", "max and window_seconds must be at most 9223372036854775807"},
		{"hugely negative", `{"login":[60,-9223372036854775809]}`, "rate_limits.login", "max and window_seconds must be at least 1"},
		{"conversion overflows", `{"send":[9223372036854775807,1]}`, "rate_limits.send",
			"converts to a messages_per_10s above 9223372036854775807"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, `{"rate_limits":`+tt.limits+`}`, tt.key, tt.reason)
		})
	}
}

// fieldIndex finds the RateLimits field of a sub-key.
func fieldIndex(t *testing.T, key string) []int {
	t.Helper()
	rt := reflect.TypeFor[RateLimits]()
	for i := range rt.NumField() {
		if rt.Field(i).Tag.Get("json") == key {
			return []int{i}
		}
	}
	t.Fatalf("no rate_limits key %s", key)
	return nil
}

func TestPasswordMinLengthFloor(t *testing.T) {
	tests := []struct {
		value, want int
		warning     string
	}{
		{1, 15, "settings: settings.json: password_min_length: 1 raised to 15, the lowest value STIG allows"},
		{14, 15, "settings: settings.json: password_min_length: 14 raised to 15, the lowest value STIG allows"},
		{15, 15, ""},
		{16, 16, ""},
	}
	for _, tt := range tests {
		s, warnings := mustParse(t, fmt.Sprintf(`{"password_min_length":%d}`, tt.value))
		if s.PasswordMinLength != tt.want {
			t.Errorf("password_min_length %d became %d, want %d", tt.value, s.PasswordMinLength, tt.want)
		}
		var want []string
		if tt.warning != "" {
			want = []string{tt.warning}
		}
		if !slices.Equal(warnings, want) {
			t.Errorf("password_min_length %d: warnings %q, want %q", tt.value, warnings, want)
		}
	}
}

func TestChannels(t *testing.T) {
	const rule = "(names are 1–80 characters of a–z A–Z 0–9 - _ .)"
	for _, name := range []string{"", "a b", "a/b", "café", "tab\t", strings.Repeat("x", 81), "#general"} {
		doc, _ := json.Marshal(map[string][]string{"channels": {"general", name}})
		wantError(t, string(doc), "channels", fmt.Sprintf("invalid channel name %q %s", name, rule))
	}
	wantError(t, `{"channels":["general","General"]}`, "channels",
		`duplicate channel name "General" (names are unique ignoring case)`)
	wantError(t, `{"channels":["a","b","A"]}`, "channels",
		`duplicate channel name "A" (names are unique ignoring case)`)

	names := make([]string, 50)
	for i := range names {
		names[i] = fmt.Sprint("channel-", i)
	}
	doc, _ := json.Marshal(map[string][]string{"channels": names})
	if s, _ := mustParse(t, string(doc)); !slices.Equal(s.Channels, names) {
		t.Errorf("channels = %q, want %q in order", s.Channels, names)
	}
}

func TestPublicHosts(t *testing.T) {
	good := []string{
		"localhost", "a", "A-b.Example", "xn--bcher-kva.example", "0.example", "example.a1",
		strings.Repeat("a", 63) + ".example",
		strings.Repeat(strings.Repeat("a", 63)+".", 3) + strings.Repeat("a", 61), // 253 characters
		"192.168.1.1", "2001:db8::1", "::1", "::ffff:10.0.0.1",
	}
	for _, h := range good {
		doc, _ := json.Marshal(map[string][]string{"public_hosts": {h}})
		mustParse(t, string(doc))
	}

	bad := []string{
		"", "-a.example", "a-.example", "a..example", ".example", "example.", "*.example.com",
		"a_b.example", "a b", "exa%mple", "bücher.example", "[::1]", "host:443",
		strings.Repeat("a", 64) + ".example",
		strings.Repeat(strings.Repeat("a", 63)+".", 3) + strings.Repeat("a", 62), // 254 characters
		"10.1", "1.2.3.4.5", "256.1.1.1", "example.0x1f", "example.0X", "123",
	}
	for _, h := range bad {
		doc, _ := json.Marshal(map[string][]string{"public_hosts": {"ok.example", h}})
		wantError(t, string(doc), "public_hosts", fmt.Sprintf("%q is not a DNS name or IP address", h))
	}
	wantError(t, `{"public_hosts":["fe80::1%eth0"]}`, "public_hosts", `"fe80::1%eth0": an IP address must not carry a zone`)
}

func TestTLSPair(t *testing.T) {
	wantError(t, `{"tls_cert_file":"/c.pem"}`, "tls_key_file", "must be set when tls_cert_file is set")
	wantError(t, `{"tls_key_file":"/k.pem"}`, "tls_cert_file", "must be set when tls_key_file is set")
	wantError(t, `{"tls_cert_file":"/c.pem","tls_key_file":""}`, "tls_key_file", "must be set when tls_cert_file is set")
	s, _ := mustParse(t, `{"tls_cert_file":"/c.pem","tls_key_file":"/k.pem"}`)
	if s.TLSCertFile != "/c.pem" || s.TLSKeyFile != "/k.pem" {
		t.Errorf("tls pair = %q, %q", s.TLSCertFile, s.TLSKeyFile)
	}
	mustParse(t, `{"tls_cert_file":"","tls_key_file":""}`)
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{"/etc/minimost/settings.json", "rate_limits.login", "unknown key"},
			"settings: /etc/minimost/settings.json: rate_limits.login: unknown key"},
		{Error{"settings.json", "", "the top level must be a JSON object, not a list"},
			"settings: settings.json: the top level must be a JSON object, not a list"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
