package packaging

import (
	"bytes"
	"flag"
	"os"
	"reflect"
	"testing"

	"github.com/minimost/minimost/pkg/config"
)

var update = flag.Bool("update", false, "rewrite settings.json from config.DefaultJSON()")

// TestSettingsJSONIsTheDefaults keeps the packaged /etc/minimost/settings.json
// byte-identical to what the daemon writes out as its defaults, so a new or
// changed default can never ship with a stale settings file.
func TestSettingsJSONIsTheDefaults(t *testing.T) {
	want := config.DefaultJSON()
	if *update {
		if err := os.WriteFile("settings.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("settings.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("packaging/settings.json differs from config.DefaultJSON(); regenerate it with\n"+
			"  go test ./packaging -run TestSettingsJSONIsTheDefaults -update\n--- file:\n%s\n--- DefaultJSON:\n%s", got, want)
	}
	// The daemon must accept its own file unchanged and without warnings.
	s, warnings, err := config.Parse(got)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("config.Parse(settings.json) = %v, warnings %q", err, warnings)
	}
	if !reflect.DeepEqual(s, config.Defaults()) {
		t.Fatalf("settings.json parses to %+v, not to the defaults", s)
	}
}
