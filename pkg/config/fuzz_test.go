package config

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, refuses only with a well-formed
// *Error, and that whatever it accepts survives a re-encode: encoding the
// result and parsing it again gives the same Settings and no warnings, as a
// reload of a file written from the running settings must.
func FuzzParse(f *testing.F) {
	f.Add(DefaultJSON())
	for _, seed := range []string{
		`{}`,
		`{"channels":["General","dev.ops"],"password_min_length":8,"password_min_age_hours":1.5e1}`,
		`{"rate_limits":{"send":[240,60],"login":[7,120]}}`,
		`{"rate_limits":{"login_per_minute":1,"api_per_minute":9223372036854775807}}`,
		`{"rate_limits":{"login":[60,60],"api_per_minute":5}}`,
		`{"public_hosts":["chat.example","10.0.0.1","::1"],"link_preview_allowed_networks":["10.1.2.3/8"]}`,
		`{"tls_cert_file":"/c.pem","tls_key_file":"/k\u00e9.pem"}`,
		`{"stun_port":1,"stun\u005fport":2}`,
		`{"password_min_age_hours":-0}`,
		`[1]`,
		`{"a":`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, _, err := Parse(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.File != "settings.json" || e.Reason == "" || s != nil {
				t.Fatalf("Parse refused with %#v and settings %v", err, s)
			}
			if !strings.HasPrefix(err.Error(), "settings: settings.json: ") {
				t.Fatalf("error %q lacks the settings prefix", err)
			}
			return
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("marshal accepted settings: %v", err)
		}
		again, warnings, err := Parse(b)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", b, err)
		}
		if len(warnings) != 0 {
			t.Fatalf("re-parse of %s warned %q", b, warnings)
		}
		if !reflect.DeepEqual(s, again) {
			t.Fatalf("re-parse changed the settings:\n%+v\n%+v", s, again)
		}
	})
}
