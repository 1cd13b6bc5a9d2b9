package icongen

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the committed icons")

// The committed icons are exactly what this package draws, so the SVG
// favicons and the PNG app icons never drift apart.
func TestIconsUpToDate(t *testing.T) {
	dir := filepath.Join("..", "..", "static", "icons")
	for name, want := range Files() {
		p := filepath.Join(dir, name)
		if *update {
			if err := os.WriteFile(p, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (run: go generate ./assets)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./assets", name)
		}
	}
}
