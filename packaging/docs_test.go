package packaging

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
)

// toolDir holds the commands built for the tests, once per run.
var (
	toolDir   string
	toolMu    sync.Mutex
	toolBuilt = map[string]string{}
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "minimost-packaging-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	toolDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildTool builds one of the project's commands for the tests, with the
// flags of the test build itself so that the cgo packages compiled for the
// tests are reused.
func buildTool(t *testing.T, name string) string {
	t.Helper()
	toolMu.Lock()
	defer toolMu.Unlock()
	if bin, ok := toolBuilt[name]; ok {
		return bin
	}
	bin := filepath.Join(toolDir, name)
	out, err := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", bin, "../cmd/"+name).CombinedOutput()
	if err != nil {
		t.Fatalf("go build ../cmd/%s: %v\n%s", name, err, out)
	}
	toolBuilt[name] = bin
	return bin
}

// ctlCommands lists the commands "minimostctl help" prints.
func ctlCommands(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command(buildTool(t, "minimostctl"), "help").Output()
	if err != nil {
		t.Fatalf("minimostctl help: %v", err)
	}
	var cmds []string
	in := false
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "Commands:":
			in = true
		case in && strings.TrimSpace(line) == "":
			in = false
		case in:
			cmds = append(cmds, strings.Fields(line)[0])
		}
	}
	if len(cmds) == 0 {
		t.Fatalf("no commands in minimostctl help:\n%s", out)
	}
	return cmds
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// roffName is how a command or flag is written in the roff source, where a
// hyphen is "\-".
func roffName(s string) string { return strings.ReplaceAll(s, "-", `\-`) }

// TestCtlManPageCoversCommands keeps minimostctl.8 describing every
// command the program offers: each one must head an entry (.TP then .B or
// .BI starting with its name).
func TestCtlManPageCoversCommands(t *testing.T) {
	page := readFile(t, "minimostctl.8")
	for _, c := range ctlCommands(t) {
		entry := regexp.MustCompile(`(?m)^\.TP\n\.B[IR]? "?` + regexp.QuoteMeta(roffName(c)) + `\b`)
		if !entry.MatchString(page) {
			t.Errorf("minimostctl.8 has no entry for the command %q", c)
		}
	}
}

// TestDaemonManPageCoversFlags keeps minimost.8 listing every flag of
// "minimost --help".
func TestDaemonManPageCoversFlags(t *testing.T) {
	page := readFile(t, "minimost.8")
	// --help prints the flag list on stderr and exits 0.
	cmd := exec.Command(buildTool(t, "minimost"), "--help")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("minimost --help: %v\n%s", err, out)
	}
	flags := regexp.MustCompile(`(?m)^  -([a-z][a-z-]*)`).FindAllStringSubmatch(string(out), -1)
	if len(flags) == 0 {
		t.Fatalf("no flags in minimost --help:\n%s", out)
	}
	for _, f := range flags {
		entry := regexp.MustCompile(`(?m)^\.TP\n\.BI? ` + regexp.QuoteMeta(roffName("--"+f[1])) + `\b`)
		if !entry.MatchString(page) {
			t.Errorf("minimost.8 has no entry for the flag --%s", f[1])
		}
	}
}

// complete runs the bash completion for the words of line (the last one
// being completed) and returns what it offers. bash-completion's helpers
// are replaced by minimal ones, so the test needs bash only.
func complete(t *testing.T, line string) []string {
	t.Helper()
	words := strings.Split(line, " ")
	script := `
_init_completion() {
	words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
	cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}
}
_filedir() { COMPREPLY=(FILE); }
. ./minimostctl.bash
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
_minimostctl
printf '%s\n' "${COMPREPLY[@]}"
`
	out, err := exec.Command("bash", append([]string{"-c", script, "bash"}, words...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("completion of %q: %v\n%s", line, err, out)
	}
	return strings.Fields(string(out))
}

func TestBashCompletion(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("bash is needed to test the completion")
	}
	// Every command of "minimostctl help" is offered.
	offered := strings.Join(complete(t, "minimostctl "), " ") + " "
	for _, c := range ctlCommands(t) {
		if !strings.Contains(" "+offered, " "+c+" ") {
			t.Errorf("completion does not offer the command %q (offers %s)", c, offered)
		}
	}
	cases := []struct{ line, want string }{
		{"minimostctl st", "status"},
		{"minimostctl re", "reload reset-password"},
		{"minimostctl --socket /tmp/a.sock re", "reload reset-password"},
		{"minimostctl --json users ", "list lock unlock delete logout --socket --json --help"},
		{"minimostctl users delete bob --h", "--hard --help"},
		{"minimostctl backup -o ", "FILE"},
		{"minimostctl --socket ", "FILE"},
		{"minimostctl prune --d", "--dry-run"},
		{"minimostctl status x", ""},
	}
	for _, c := range cases {
		got := complete(t, c.line)
		sort.Strings(got)
		want := strings.Fields(c.want)
		sort.Strings(want)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("completing %q offers %q, want %q", c.line, got, c.want)
		}
	}
}
