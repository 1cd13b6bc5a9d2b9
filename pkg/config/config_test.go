package config

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestLoadMissingFileIsDefaults(t *testing.T) {
	s, warnings, err := Load(filepath.Join(t.TempDir(), "settings.json"))
	if err != nil || len(warnings) != 0 || !reflect.DeepEqual(s, Defaults()) {
		t.Errorf("Load(missing) = %+v, %q, %v; want defaults", s, warnings, err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, doc string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}

	t.Run("valid", func(t *testing.T) {
		path := write("ok.json", `{"stun_port": 3479, "password_min_length": 8}`)
		s, warnings, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if s.StunPort != 3479 || s.PasswordMinLength != 15 {
			t.Errorf("Load = %+v", s)
		}
		want := "settings: " + path + ": password_min_length: 8 raised to 15, the lowest value STIG allows"
		if !slices.Equal(warnings, []string{want}) {
			t.Errorf("warnings = %q, want [%q]", warnings, want)
		}
	})

	tests := []struct {
		name, doc, want string
	}{
		{"range", `{"stun_port": 0}`, "stun_port: must be between 1 and 65535"},
		{"unknown rate limit", `{"rate_limits": {"logins": [1, 1]}}`, "rate_limits.logins: unknown key"},
		{"type", `{"rate_limit_enabled": 1}`, "rate_limit_enabled: must be true or false"},
		{"syntax", `{"stun_port": 1,}`, "invalid JSON at line 1, column 17: invalid character '}' looking for beginning of object key string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(tt.name+".json", tt.doc)
			s, _, err := Load(path)
			if s != nil || err == nil {
				t.Fatalf("Load = %+v, %v; want an error", s, err)
			}
			if got, want := err.Error(), "settings: "+path+": "+tt.want; got != want {
				t.Errorf("error = %q, want %q", got, want)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != path {
				t.Errorf("error %#v does not name the file", err)
			}
		})
	}

	t.Run("unreadable", func(t *testing.T) {
		_, _, err := Load(dir)
		if got, want := err.Error(), "settings: "+dir+": cannot read: is a directory"; got != want {
			t.Errorf("error = %q, want %q", got, want)
		}
	})
}

func TestPath(t *testing.T) {
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	tests := []struct {
		name, flag string
		vars       map[string]string
		want       string
	}{
		{"flag wins", "/srv/custom.json", map[string]string{"CONFIGURATION_DIRECTORY": "/etc/minimost"}, "/srv/custom.json"},
		{"relative flag kept", "my.json", nil, "my.json"},
		{"systemd", "", map[string]string{"CONFIGURATION_DIRECTORY": "/etc/minimost"}, "/etc/minimost/settings.json"},
		{"systemd, several directories", "", map[string]string{"CONFIGURATION_DIRECTORY": "/etc/minimost:/etc/other"}, "/etc/minimost/settings.json"},
		{"data dir", "", nil, "/var/lib/minimost/settings.json"},
		{"empty variable", "", map[string]string{"CONFIGURATION_DIRECTORY": ""}, "/var/lib/minimost/settings.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Path(tt.flag, env(tt.vars), "/var/lib/minimost"); got != tt.want {
				t.Errorf("Path = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name             string
		doc              string
		changed, restart []string
	}{
		{"same", `{}`, nil, nil},
		{"same values written out", `{"stun_port":3478,"public_hosts":[],"rate_limits":{"api_per_minute":1200}}`, nil, nil},
		{"live keys", `{"channels":["general"],"password_min_age_hours":0.5,"rate_limit_enabled":false}`,
			[]string{"channels", "password_min_age_hours", "rate_limit_enabled"}, nil},
		{"rate limits dotted", `{"rate_limits":{"uploads_per_minute":1,"login_per_minute":2}}`,
			[]string{"rate_limits.login_per_minute", "rate_limits.uploads_per_minute"}, nil},
		{"legacy rate limits", `{"rate_limits":{"send":[120,60]}}`,
			[]string{"rate_limits.messages_per_10s"}, nil},
		{"restart required", `{"stun_port":3479,"public_hosts":["chat.example"],"tls_cert_file":"/c","tls_key_file":"/k"}`,
			[]string{"public_hosts", "stun_port", "tls_cert_file", "tls_key_file"}, []string{"public_hosts", "stun_port"}},
		{"list order matters", `{"channels":["software","general","firmware","systems","off-topic"]}`,
			[]string{"channels"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := mustParse(t, tt.doc)
			changed, restart := Diff(Defaults(), s)
			if !slices.Equal(changed, tt.changed) || !slices.Equal(restart, tt.restart) {
				t.Errorf("Diff = %q, %q; want %q, %q", changed, restart, tt.changed, tt.restart)
			}
			// The difference is symmetric.
			changed, restart = Diff(s, Defaults())
			if !slices.Equal(changed, tt.changed) || !slices.Equal(restart, tt.restart) {
				t.Errorf("reverse Diff = %q, %q; want %q, %q", changed, restart, tt.changed, tt.restart)
			}
		})
	}

	t.Run("nil list equals empty list", func(t *testing.T) {
		s := Defaults()
		s.PublicHosts, s.LinkPreviewAllowedNetworks = nil, nil
		if changed, restart := Diff(Defaults(), s); changed != nil || restart != nil {
			t.Errorf("Diff = %q, %q; want nothing", changed, restart)
		}
	})
}

func TestDefaultJSON(t *testing.T) {
	b := DefaultJSON()
	s, warnings, err := Parse(b)
	if err != nil || len(warnings) != 0 {
		t.Fatalf("Parse(DefaultJSON()) = %v, %q", err, warnings)
	}
	if !reflect.DeepEqual(s, Defaults()) {
		t.Errorf("Parse(DefaultJSON()) = %+v, want %+v", s, Defaults())
	}
	if !strings.HasPrefix(string(b), "{\n  \"channels\": [\n") || !strings.HasSuffix(string(b), "}\n") {
		t.Errorf("DefaultJSON is not indented JSON ending in a newline:\n%s", b)
	}
	// Every key is written out, including the empty ones.
	for _, key := range []string{`"link_preview_allowed_networks": []`, `"tls_cert_file": ""`, `"public_hosts": []`, `"api_per_minute": 1200`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("DefaultJSON lacks %s", key)
		}
	}
}

func TestDefaultsAreFresh(t *testing.T) {
	a := Defaults()
	a.Channels[0] = "changed"
	if Defaults().Channels[0] != "general" {
		t.Error("Defaults shares its channel list between calls")
	}
}

func TestAllowedNetworks(t *testing.T) {
	s, _ := mustParse(t, `{"link_preview_allowed_networks":["10.1.2.3/8","fd00::/8","192.168.1.0/24"]}`)
	want := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("fd00::/8"),
		netip.MustParsePrefix("192.168.1.0/24"),
	}
	if got := s.AllowedNetworks(); !slices.Equal(got, want) {
		t.Errorf("AllowedNetworks = %v, want %v", got, want)
	}
	if got := Defaults().AllowedNetworks(); len(got) != 0 {
		t.Errorf("default AllowedNetworks = %v, want none", got)
	}
}

func TestLive(t *testing.T) {
	first := Defaults()
	l := NewLive(first)
	if l.Get() != first {
		t.Fatal("Get does not return the settings given to NewLive")
	}

	// Readers race a writer; -race reports any unsynchronised access, and
	// every reader must see one complete Settings or the other.
	second, _ := mustParse(t, `{"stun_port":1,"channels":["x"]}`)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				s := l.Get()
				if s != first && s != second {
					t.Error("Get returned settings that were never swapped in")
					return
				}
				if (s.StunPort == 1) != (len(s.Channels) == 1) {
					t.Error("Get returned a mixture of two settings")
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 1000 {
			if i%2 == 0 {
				l.Swap(second)
			} else {
				l.Swap(first)
			}
		}
	})
	wg.Wait()
	l.Swap(second)
	if l.Get() != second {
		t.Error("Get does not return the settings last swapped in")
	}
}
