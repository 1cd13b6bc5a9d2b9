package packaging

import (
	"debug/buildinfo"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// linkedModules lists the modules compiled into the two programs, with
// their versions, as their build information records them.
func linkedModules(t *testing.T) map[string]string {
	t.Helper()
	mods := map[string]string{}
	for _, name := range []string{"minimost", "minimostctl"} {
		info, err := buildinfo.ReadFile(buildTool(t, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range info.Deps {
			if d.Replace != nil {
				d = d.Replace
			}
			mods[d.Path] = d.Version
		}
	}
	if len(mods) == 0 {
		t.Fatal("the programs link no module?")
	}
	return mods
}

// rpmVersion turns a module version into an RPM one: no leading v, no
// "+incompatible", and no '-' (a pre-release or pseudo-version sorts
// before its release, hence '~').
func rpmVersion(v string) string {
	v = strings.TrimSuffix(strings.TrimPrefix(v, "v"), "+incompatible")
	v = strings.Replace(v, "-", "~", 1)
	return strings.ReplaceAll(v, "-", ".")
}

// TestSpecBundledProvides keeps the spec's bundled(golang(...)) list equal
// to the modules compiled into the packaged programs (test-only modules
// are vendored too, but not shipped).
func TestSpecBundledProvides(t *testing.T) {
	spec := readFile(t, "../minimost.spec")
	var got, want []string
	for _, m := range regexp.MustCompile(`(?m)^Provides:\s+bundled\(golang\((\S+)\)\)\s+=\s+(\S+)\s*$`).FindAllStringSubmatch(spec, -1) {
		got = append(got, m[1]+" = "+m[2])
	}
	for mod, v := range linkedModules(t) {
		want = append(want, mod+" = "+rpmVersion(v))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		var lines []string
		for _, w := range want {
			mod, v, _ := strings.Cut(w, " = ")
			lines = append(lines, "Provides:       bundled(golang("+mod+")) = "+v)
		}
		t.Errorf("minimost.spec's bundled provides differ from the modules the programs link; they should read:\n%s", strings.Join(lines, "\n"))
	}
}

// TestSpecNamesEveryUnit checks that the scriptlets and the file list
// cover every unit in systemd/.
func TestSpecNamesEveryUnit(t *testing.T) {
	spec := readFile(t, "../minimost.spec")
	units, _ := filepath.Glob("../systemd/*")
	if len(units) != 4 {
		t.Fatalf("systemd/ holds %d units, want 4: %q", len(units), units)
	}
	var names []string
	for _, u := range units {
		names = append(names, filepath.Base(u))
	}
	slices.Sort(names)
	for _, macro := range []string{"%systemd_post", "%systemd_preun", "%systemd_postun_with_restart"} {
		m := regexp.MustCompile(`(?m)^` + macro + `\s+(.+)$`).FindStringSubmatch(spec)
		if m == nil {
			t.Errorf("minimost.spec has no %s line", macro)
			continue
		}
		got := strings.Fields(m[1])
		slices.Sort(got)
		if !slices.Equal(got, names) {
			t.Errorf("%s names %q, want %q", macro, got, names)
		}
	}
	for _, n := range names {
		if !strings.Contains(spec, "%{_unitdir}/"+n+"\n") {
			t.Errorf("minimost.spec's %%files lacks %%{_unitdir}/%s", n)
		}
	}
	if _, err := os.Stat("../LICENSE"); err != nil {
		t.Errorf("the spec packages LICENSE: %v", err)
	}
}
