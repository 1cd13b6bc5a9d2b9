//go:build e2e

// Package e2e tests the RPM the way an admin meets it: installed on a
// machine booted with systemd, enabled, used, reloaded, restarted, stopped
// and removed. It boots a minimal Debian root file system with
// systemd-nspawn, so it needs root, debootstrap and systemd-container; it
// is behind the e2e build tag so that "go test ./..." and the RPM's %check
// never run it. Run it with "make e2e" (part of "make check").
//
// The root file system is built once with debootstrap, from the Debian
// mirror the machine's apt sources name, and cached (see cacheDir); every
// run boots a throwaway copy of it.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var distDir = flag.String("dist", "../../dist", "directory holding the RPMs that make rpm wrote")

//go:embed journey.sh
var journeyScript []byte

// journeySteps are the steps journey.sh reports, in its order.
var journeySteps = []string{"install", "1", "2", "3", "4", "5", "6", "7", "8", "creds", "9", "10", "11"}

// rootfsPackages are installed into the container besides debootstrap's
// minimal base: systemd to boot, rpm to install the package, and what the
// journey script drives (curl, openssl, ss, pgrep, nc, man for
// systemd-analyze verify's Documentation= check).
var rootfsPackages = []string{
	"systemd", "systemd-sysv", "dbus", "rpm", "ca-certificates", "curl", "openssl",
	"procps", "iproute2", "netcat-openbsd", "man-db",
}

// rootfsRecipe changes when the way the root file system is prepared
// changes, so that a cached one is rebuilt.
const rootfsRecipe = "3"

const (
	debootstrapTimeout = 20 * time.Minute
	// bootTimeout bounds the whole boot, journey and power-off; the
	// journey unit has its own, shorter, TimeoutStartSec=.
	bootTimeout = 8 * time.Minute
)

const journeyUnit = `[Unit]
Description=MiniMost end-to-end journey (packaging/e2e)
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/bin/sh /var/lib/minimost-e2e/journey.sh
ExecStopPost=/bin/systemctl poweroff --no-block
TimeoutStartSec=6min

[Install]
WantedBy=multi-user.target
`

func TestPackage(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the end-to-end test boots a container with systemd-nspawn and must run as root: run 'sudo make e2e'")
	}
	for prog, pkg := range map[string]string{
		"systemd-nspawn": "systemd-container", "debootstrap": "debootstrap",
		"rpmlint": "rpmlint", "timeout": "coreutils", "journalctl": "systemd",
	} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Fatalf("%s not found: run 'apt-get install -y %s' (or 'make deps' as root)", prog, pkg)
		}
	}
	binRPM, srcRPM := findRPMs(t)
	t.Logf("binary RPM %s, source RPM %s", filepath.Base(binRPM), filepath.Base(srcRPM))

	t.Run("rpmlint", func(t *testing.T) { rpmlint(t, binRPM, srcRPM) })

	cached := cachedRootfs(t)
	t0 := time.Now()
	root := filepath.Join(t.TempDir(), "root")
	if out, err := exec.Command("cp", "-a", "--reflink=auto", cached, root).CombinedOutput(); err != nil {
		t.Fatalf("copying the root file system: %v\n%s", err, out)
	}
	t.Logf("timing: throwaway copy of the root file system %.1fs", time.Since(t0).Seconds())
	installJourney(t, root, binRPM)

	t1 := time.Now()
	console := boot(t, root)
	t.Logf("timing: boot, journey and power-off %.1fs", time.Since(t1).Seconds())
	checkNothingLeft(t, root)

	e2eDir := filepath.Join(root, "var/lib/minimost-e2e")
	journeyLog, _ := os.ReadFile(filepath.Join(e2eDir, "journey.log"))
	res, err := readResults(filepath.Join(e2eDir, "results"))
	if err != nil || !res.ended {
		t.Errorf("the journey did not finish (%v); console:\n%s\njourney log:\n%s", err, tail(console, 60), journeyLog)
	}
	for _, n := range res.notes {
		t.Logf("note: %s = %s", n[0], n[1])
	}
	for _, id := range journeySteps {
		t.Run("step "+id, func(t *testing.T) {
			r, ok := res.steps[id]
			if !ok {
				t.Fatal("the journey did not report this step")
			}
			t.Log(r.title)
			if id == "10" {
				t.Logf("systemd-analyze security exposure: %s", res.note("exposure"))
			}
			if !r.pass {
				t.Errorf("FAIL: %s\n%s", r.why, stepLog(journeyLog, id))
			}
		})
	}
	for id := range res.steps {
		if !slices.Contains(journeySteps, id) {
			t.Errorf("journey.sh reported step %q, which journeySteps does not list", id)
		}
	}
	if t.Failed() {
		t.Logf("journey log:\n%s", journeyLog)
		if out, err := exec.Command("journalctl", "-D", filepath.Join(root, "var/log/journal"), "-q", "-o", "short-monotonic", "--no-pager").CombinedOutput(); err == nil {
			t.Logf("container journal:\n%s", tail(out, 200))
		}
	}
}

// findRPMs returns the binary RPM for this machine's architecture and the
// source RPM in -dist.
func findRPMs(t *testing.T) (bin, src string) {
	t.Helper()
	all, _ := filepath.Glob(filepath.Join(*distDir, "minimost-*.rpm"))
	var bins, srcs []string
	for _, f := range all {
		switch base := filepath.Base(f); {
		case strings.HasSuffix(base, ".src.rpm"):
			srcs = append(srcs, f)
		case strings.Contains(base, "-debuginfo-") || strings.Contains(base, "-debugsource-"):
		default:
			bins = append(bins, f)
		}
	}
	if len(bins) != 1 || len(srcs) != 1 {
		t.Fatalf("want one binary and one source RPM in %s (run make rpm), found %q and %q", *distDir, bins, srcs)
	}
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	return abs(bins[0]), abs(srcs[0])
}

var lintLine = regexp.MustCompile(`^\S+: ([EW]): (\S+)`)

// rpmlint lints both packages with the project's configuration: no error
// is allowed, and every warning must be one that rpm/README.md justifies.
func rpmlint(t *testing.T, rpms ...string) {
	out, err := exec.Command("rpmlint", append([]string{"-c", "../../rpm/rpmlint.toml"}, rpms...)...).CombinedOutput()
	t.Logf("rpmlint:\n%s", out)
	readme, rerr := os.ReadFile("../../rpm/README.md")
	if rerr != nil {
		t.Fatal(rerr)
	}
	sum := regexp.MustCompile(`(\d+) errors, (\d+) warnings`).FindSubmatch(out)
	if sum == nil {
		t.Fatalf("rpmlint printed no summary (%v)", err)
	}
	if string(sum[1]) != "0" || err != nil {
		t.Errorf("rpmlint: %s errors (exit %v)", sum[1], err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := lintLine.FindStringSubmatch(sc.Text())
		if m != nil && m[1] == "W" && !bytes.Contains(readme, []byte("`"+m[2]+"`")) {
			t.Errorf("rpmlint warning %s is not justified in rpm/README.md: %s", m[2], sc.Text())
		}
	}
}

// cacheDir is where built root file systems are kept:
// $MINIMOST_E2E_CACHE, else $XDG_CACHE_HOME/minimost-e2e, else
// /var/cache/minimost-e2e.
func cacheDir() string {
	if d := os.Getenv("MINIMOST_E2E_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "minimost-e2e")
	}
	return "/var/cache/minimost-e2e"
}

// cachedRootfs returns a bootable root file system, building it with
// debootstrap when the cache has none for the current recipe.
func cachedRootfs(t *testing.T) string {
	t.Helper()
	suite, mirror := aptSource(t)
	h := sha256.Sum256([]byte(strings.Join(append([]string{rootfsRecipe, suite, runtime.GOARCH}, rootfsPackages...), "\n")))
	key := suite + "-" + runtime.GOARCH + "-" + hex.EncodeToString(h[:8])
	cache := cacheDir()
	dir := filepath.Join(cache, "rootfs-"+key)
	complete := filepath.Join(cache, "rootfs-"+key+".complete")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	// One builder at a time; a second run waits and then finds the cache.
	lock, err := os.OpenFile(filepath.Join(cache, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(complete); err == nil && isDir(dir) {
		t.Logf("timing: root file system from the cache (%s), no debootstrap", dir)
		return dir
	}

	t0 := time.Now()
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	os.RemoveAll(dir)
	logPath := filepath.Join(cache, "debootstrap-"+key+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	ctx, cancel := context.WithTimeout(context.Background(), debootstrapTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "debootstrap", "--variant=minbase",
		"--include="+strings.Join(rootfsPackages, ","), suite, tmp, mirror)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), aptProxyEnv()...)
	t.Logf("building the root file system: debootstrap %s from %s (log %s)", suite, mirror, logPath)
	if err := cmd.Run(); err != nil {
		log, _ := os.ReadFile(logPath)
		t.Fatalf("debootstrap: %v\n%s", err, tail(log, 40))
	}
	prepareRootfs(t, tmp)
	if err := os.Rename(tmp, dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(complete, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Root file systems of older recipes or package lists are not used again.
	old, _ := filepath.Glob(filepath.Join(cache, "rootfs-*"))
	for _, o := range old {
		if o != dir && o != complete {
			os.RemoveAll(o)
		}
	}
	t.Logf("timing: debootstrap and preparation of the root file system %.1fs", time.Since(t0).Seconds())
	return dir
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// prepareRootfs trims the fresh root file system, makes its journal
// persistent, so the test can read it after the container is gone, and
// drops the host name debootstrap copied from this machine.
func prepareRootfs(t *testing.T, dir string) {
	t.Helper()
	for _, pattern := range []string{"var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*"} {
		matches, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, m := range matches {
			if err := os.RemoveAll(m); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "var/log/journal"), 0o755); err != nil {
		t.Fatal(err)
	}
	// debootstrap copies this machine's host name; without the file the
	// container is named after --machine=.
	if err := os.Remove(filepath.Join(dir, "etc/hostname")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
}

// aptSource finds the Debian suite this machine runs and a mirror that
// serves it, from the apt sources: one-line entries in sources.list and
// sources.list.d/*.list, deb822 stanzas in sources.list.d/*.sources.
func aptSource(t *testing.T) (suite, mirror string) {
	t.Helper()
	osRelease, err := os.ReadFile("/etc/os-release")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^VERSION_CODENAME="?([a-z]+)"?$`).FindSubmatch(osRelease)
	if m == nil {
		t.Fatal("/etc/os-release names no VERSION_CODENAME: the end-to-end test needs a Debian-like machine")
	}
	suite = string(m[1])
	if _, err := os.Stat("/usr/share/debootstrap/scripts/" + suite); err != nil {
		t.Fatalf("debootstrap does not know the suite %q of this machine", suite)
	}
	var files []string
	if _, err := os.Stat("/etc/apt/sources.list"); err == nil {
		files = append(files, "/etc/apt/sources.list")
	}
	more, _ := filepath.Glob("/etc/apt/sources.list.d/*")
	files = append(files, more...)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var entries []aptEntry
		switch {
		case strings.HasSuffix(f, ".sources"):
			entries = parseDeb822(string(data))
		case strings.HasSuffix(f, ".list") || f == "/etc/apt/sources.list":
			entries = parseOneLine(string(data))
		}
		for _, e := range entries {
			if e.serves(suite) {
				return suite, e.uri
			}
		}
	}
	t.Fatalf("no apt source of this machine serves %s main over http(s), ftp or file: the end-to-end test reads its Debian mirror from there", suite)
	return "", ""
}

// aptEntry is one "deb" source.
type aptEntry struct {
	uri        string
	suites     []string
	components []string
}

func (e aptEntry) serves(suite string) bool {
	u, err := url.Parse(e.uri)
	if err != nil || !slices.Contains([]string{"http", "https", "ftp", "file"}, u.Scheme) {
		return false
	}
	return slices.Contains(e.suites, suite) && slices.Contains(e.components, "main")
}

// parseOneLine reads "deb [options] URI SUITE COMPONENT..." lines.
func parseOneLine(data string) []aptEntry {
	var out []aptEntry
	for _, line := range strings.Split(data, "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "deb" {
			continue
		}
		f = f[1:]
		if strings.HasPrefix(f[0], "[") {
			for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
				f = f[1:]
			}
			if len(f) > 0 {
				f = f[1:]
			}
		}
		if len(f) >= 3 {
			out = append(out, aptEntry{uri: f[0], suites: f[1:2], components: f[2:]})
		}
	}
	return out
}

// parseDeb822 reads the stanzas of a .sources file.
func parseDeb822(data string) []aptEntry {
	var out []aptEntry
	for _, stanza := range regexp.MustCompile(`\n\s*\n`).Split(data, -1) {
		fields := map[string]string{}
		last := ""
		for _, line := range strings.Split(stanza, "\n") {
			if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
				continue
			}
			if line[0] == ' ' || line[0] == '\t' {
				fields[last] += " " + strings.TrimSpace(line)
				continue
			}
			k, v, ok := strings.Cut(line, ":")
			if ok {
				last = strings.ToLower(strings.TrimSpace(k))
				fields[last] = strings.TrimSpace(v)
			}
		}
		if !slices.Contains(strings.Fields(fields["types"]), "deb") || strings.EqualFold(fields["enabled"], "no") {
			continue
		}
		for _, uri := range strings.Fields(fields["uris"]) {
			out = append(out, aptEntry{uri: uri, suites: strings.Fields(fields["suites"]), components: strings.Fields(fields["components"])})
		}
	}
	return out
}

// aptProxyEnv passes apt's HTTP proxy, when one is configured, to
// debootstrap (which reads http_proxy).
func aptProxyEnv() []string {
	out, err := exec.Command("apt-config", "shell", "P", "Acquire::http::Proxy").Output()
	if err != nil {
		return nil
	}
	m := regexp.MustCompile(`^P='([^']+)'`).FindSubmatch(out)
	if m == nil || os.Getenv("http_proxy") != "" {
		return nil
	}
	return []string{"http_proxy=" + string(m[1])}
}

// installJourney puts the RPM, the journey script and the unit that runs
// it at boot into the throwaway root file system.
func installJourney(t *testing.T, root, rpm string) {
	t.Helper()
	dir := filepath.Join(root, "var/lib/minimost-e2e")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(rpm)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		filepath.Join(dir, "minimost.rpm"):                             data,
		filepath.Join(dir, "journey.sh"):                               journeyScript,
		filepath.Join(root, "etc/systemd/system/minimost-e2e.service"): []byte(journeyUnit),
	}
	for name, content := range files {
		if err := os.WriteFile(name, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wants := filepath.Join(root, "etc/systemd/system/multi-user.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/systemd/system/minimost-e2e.service", filepath.Join(wants, "minimost-e2e.service")); err != nil {
		t.Fatal(err)
	}
}

// boot runs the container until the journey powers it off, and returns
// what it printed. The container has a private network (loopback only)
// and is not registered with machined; timeout ends it, and the process
// group is killed if even that hangs.
func boot(t *testing.T, root string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bootTimeout+time.Minute)
	defer cancel()
	secs := strconv.Itoa(int(bootTimeout.Seconds()))
	cmd := exec.CommandContext(ctx, "timeout", "--kill-after=20", secs,
		"systemd-nspawn", "--directory="+root, "--machine=minimost-e2e", "--boot",
		"--register=no", "--keep-unit", "--private-network", "--quiet")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) && ee.ExitCode() == 124:
		t.Errorf("the container did not power off within %v", bootTimeout)
	case err != nil:
		t.Errorf("systemd-nspawn: %v", err)
	}
	if t.Failed() {
		t.Logf("console:\n%s", tail(out.Bytes(), 60))
	}
	return out.Bytes()
}

// checkNothingLeft fails the test if a process still runs in the
// container's root or a mount remains under it, and removes both.
func checkNothingLeft(t *testing.T, root string) {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/root")
	for _, p := range procs {
		if r, err := os.Readlink(p); err == nil && (r == root || strings.HasPrefix(r, root+"/")) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			comm, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "comm"))
			t.Errorf("process %d (%s) still runs in the container after it stopped; killing it", pid, bytes.TrimSpace(comm))
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, line := range strings.Split(string(mounts), "\n") {
		if f := strings.Fields(line); len(f) > 4 && (f[4] == root || strings.HasPrefix(f[4], root+"/")) {
			left = append(left, f[4])
		}
	}
	for i := len(left) - 1; i >= 0; i-- {
		t.Errorf("mount %s remains after the container stopped; unmounting it", left[i])
		syscall.Unmount(left[i], syscall.MNT_DETACH)
	}
}

// results is what journey.sh reported.
type results struct {
	steps map[string]stepResult
	notes [][2]string
	ended bool
}

type stepResult struct {
	pass       bool
	title, why string
}

func (r results) note(key string) string {
	for _, n := range r.notes {
		if n[0] == key {
			return n[1]
		}
	}
	return "(none)"
}

func readResults(path string) (results, error) {
	r := results{steps: map[string]stepResult{}}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return r, errors.New("no results file: the journey never ran")
		}
		return r, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, "\t")
		switch {
		case f[0] == "step" && len(f) == 5:
			r.steps[f[1]] = stepResult{pass: f[2] == "PASS", title: f[3], why: f[4]}
		case f[0] == "note" && len(f) == 3:
			r.notes = append(r.notes, [2]string{f[1], f[2]})
		case f[0] == "end":
			r.ended = true
		case line != "":
			return r, fmt.Errorf("unreadable results line %q", line)
		}
	}
	return r, nil
}

// stepLog is the part of the journey log that one step wrote.
func stepLog(log []byte, id string) string {
	start := bytes.Index(log, []byte("=== step "+id+":"))
	if start < 0 {
		return ""
	}
	rest := log[start+1:]
	if end := bytes.Index(rest, []byte("\n=== ")); end >= 0 {
		rest = rest[:end]
	}
	return string(log[start:start+1]) + string(rest)
}

// tail is the last n lines of b.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
