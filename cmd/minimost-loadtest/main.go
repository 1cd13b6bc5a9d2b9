// Command minimost-loadtest loads a MiniMost daemon on this machine's
// loopback interface and prints the figures docs/performance.md records:
// send→receive latency over WebSocket streams, durable sends per second,
// memory per idle stream, search and history latency. It starts the
// daemon itself (bin/minimost with bench-settings.json on ephemeral ports)
// or attaches to a running one (--addr). Every scenario is bounded in
// count and in time, and the whole run by --timeout. See README.md here.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

//go:embed bench-settings.json
var benchSettings []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	var ue usageError
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "minimost-loadtest:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "minimost-loadtest:", err)
		os.Exit(1)
	}
}

type usageError struct{ error }

// options are the command line.
type options struct {
	daemon      string
	addr        string
	dataDir     string
	adminSocket string
	config      string
	pid         int
	scenarios   map[string]bool

	clients        []int
	rate           float64
	latencyDur     time.Duration
	senders        []int
	sendDur        time.Duration
	idleConns      int
	settle         time.Duration
	searchMessages int
	searchRequests int
	historyReqs    int
	seed           string
	streamsPerUser int
	timeout        time.Duration
}

var allScenarios = []string{"throughput", "latency", "idle", "search", "history"}

const usageText = `Usage: minimost-loadtest [flags]

Loads a MiniMost daemon on loopback and prints send→receive latency,
durable sends/s, RSS per idle stream, search and history latency, with
the ratio of each to its target. By default it starts --daemon itself with
the bench settings (rate limits off, 100 streams per user) on ephemeral
loopback ports, state in --data-dir; with --addr it attaches to a daemon
that is already running. Accounts (and bot tokens) are made once per data
directory and reused. Only loopback targets are accepted.

Flags:
`

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("minimost-loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
	}
	var scenarios, clients, senders string
	fs.StringVar(&o.daemon, "daemon", "bin/minimost", "daemon `binary` to start (ignored with --addr)")
	fs.StringVar(&o.addr, "addr", "", "attach to the daemon serving HTTPS at this loopback `host:port` instead of starting one")
	fs.StringVar(&o.dataDir, "data-dir", "loadtest-data", "the daemon's state `directory` (its tls/ca.pem, admin.sock and database); the accounts file is kept there")
	fs.StringVar(&o.adminSocket, "admin-socket", "", "admin socket `path` (default <data-dir>/admin.sock)")
	fs.StringVar(&o.config, "config", "", "settings `file` for the started daemon (default: the embedded bench-settings.json)")
	fs.IntVar(&o.pid, "pid", 0, "the attached daemon's `pid`, for its VmRSS (default: from the admin socket)")
	fs.StringVar(&scenarios, "scenarios", strings.Join(allScenarios, ","), "comma-separated `list` of scenarios to run")
	fs.StringVar(&clients, "clients", "200,2000", "stream `counts` of the latency scenario")
	fs.Float64Var(&o.rate, "rate", 20, "messages per `second` the latency sender posts")
	fs.DurationVar(&o.latencyDur, "latency-duration", 10*time.Second, "how long the latency sender posts, after 1 s of warm-up")
	fs.StringVar(&senders, "senders", "1,8,64", "concurrent sender `counts` of the throughput scenario")
	fs.DurationVar(&o.sendDur, "send-duration", 5*time.Second, "how long each throughput step posts")
	fs.IntVar(&o.idleConns, "idle", 10000, "idle streams opened for the memory figure")
	fs.DurationVar(&o.settle, "settle", 5*time.Second, "wait before each VmRSS reading")
	fs.IntVar(&o.searchMessages, "search-messages", 1_000_000, "messages the database holds for the search scenario (seeded when fewer)")
	fs.IntVar(&o.searchRequests, "search-requests", 300, "timed search requests")
	fs.IntVar(&o.historyReqs, "history-requests", 400, "timed history requests (half newest page, half ?before=)")
	fs.StringVar(&o.seed, "seed", "auto", "how to add search messages: sqlite (stop the daemon, bulk insert, restart; needs a daemon started here), posts (through the API), none, or auto (sqlite when the daemon was started here, else posts)")
	fs.IntVar(&o.streamsPerUser, "streams-per-user", 100, "the daemon's max_event_streams_per_user, which sets how many accounts the streams need")
	fs.DurationVar(&o.timeout, "timeout", 13*time.Minute, "bound of the whole run")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err}
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	bad := func(format string, a ...any) (*options, error) { return nil, usageError{fmt.Errorf(format, a...)} }
	o.scenarios = map[string]bool{}
	for _, s := range strings.Split(scenarios, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !containsString(allScenarios, s) {
			return bad("unknown scenario %q (known: %s)", s, strings.Join(allScenarios, ", "))
		}
		o.scenarios[s] = true
	}
	var err error
	if o.clients, err = intList(clients, 1, 50000); err != nil {
		return bad("--clients: %v", err)
	}
	if o.senders, err = intList(senders, 1, 1000); err != nil {
		return bad("--senders: %v", err)
	}
	switch {
	case o.rate <= 0 || o.rate > 10000:
		return bad("--rate must be in (0, 10000]")
	case o.latencyDur <= 0 || o.latencyDur > 10*time.Minute:
		return bad("--latency-duration must be in (0, 10m]")
	case o.sendDur <= 0 || o.sendDur > 10*time.Minute:
		return bad("--send-duration must be in (0, 10m]")
	case o.idleConns < 1 || o.idleConns > 100000:
		return bad("--idle must be in [1, 100000]")
	case o.settle < 0 || o.settle > 10*time.Minute:
		return bad("--settle must be in [0, 10m]")
	case o.searchMessages < 0 || o.searchMessages > 20_000_000:
		return bad("--search-messages must be in [0, 20000000]")
	case o.searchRequests < 1 || o.searchRequests > 100000, o.historyReqs < 1 || o.historyReqs > 100000:
		return bad("--search-requests and --history-requests must be in [1, 100000]")
	case o.streamsPerUser < 1 || o.streamsPerUser > 100:
		return bad("--streams-per-user must be in [1, 100] (the settings' range)")
	case o.timeout <= 0 || o.timeout > 2*time.Hour:
		return bad("--timeout must be in (0, 2h]")
	case o.pid < 0:
		return bad("--pid must be positive")
	}
	if !containsString([]string{"auto", "sqlite", "posts", "none"}, o.seed) {
		return bad("--seed is auto, sqlite, posts or none")
	}
	if o.addr != "" {
		if o.addr, err = checkLoopback(o.addr); err != nil {
			return nil, usageError{err}
		}
		if o.seed == "sqlite" {
			return bad("--seed sqlite stops the daemon, so it needs a daemon started here (no --addr)")
		}
	}
	return o, nil
}

func intList(s string, lo, hi int) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil || v < lo || v > hi {
			return nil, fmt.Errorf("%q is not a number in [%d, %d]", f, lo, hi)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, errors.New("empty list")
	}
	return out, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// env is what the scenarios share.
type env struct {
	d         *daemon
	receivers []account // hold the streams, round-robin
	senders   []account // post; sender i is account i
	channels  []channel // the public channels, general first
	out, log  io.Writer
}

func (e *env) printf(format string, a ...any) { fmt.Fprintf(e.out, format+"\n", a...) }
func (e *env) logf(format string, a ...any)   { fmt.Fprintf(e.log, format+"\n", a...) }

// figures are the results kept for the closing table.
type figures struct {
	latency    []*latencyResult
	throughput []*throughputResult
	idle       *idleResult
	search     *searchResult
	history    *historyResult
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	maxStreams := 1
	if o.scenarios["latency"] {
		for _, c := range o.clients {
			maxStreams = max(maxStreams, c)
		}
	}
	if o.scenarios["idle"] {
		maxStreams = max(maxStreams, o.idleConns)
	}
	// Each stream is a descriptor here and one in the daemon (which inherits
	// this limit and raises its own soft limit to its hard one as well).
	nofile, err := raiseNoFile()
	if err != nil {
		return fmt.Errorf("raising RLIMIT_NOFILE: %w", err)
	}
	if need := uint64(maxStreams) + 512; nofile < need {
		if nofile < 1024 {
			return fmt.Errorf("the hard RLIMIT_NOFILE is %d: too low for a load test (ulimit -Hn)", nofile)
		}
		fit := int(nofile) - 512
		fmt.Fprintf(stderr, "minimost-loadtest: the hard RLIMIT_NOFILE is %d, too low for %d streams; using at most %d (raise it with ulimit -Hn)\n", nofile, maxStreams, fit)
		o.idleConns = min(o.idleConns, fit)
		for i := range o.clients {
			o.clients[i] = min(o.clients[i], fit)
		}
		maxStreams = min(maxStreams, fit)
	}

	dataDir, err := filepath.Abs(o.dataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	d := &daemon{dataDir: dataDir, adminSock: o.adminSocket, logPath: filepath.Join(dataDir, "loadtest-daemon.log")}
	if d.adminSock == "" {
		d.adminSock = filepath.Join(dataDir, "admin.sock")
		// A Unix socket path holds at most 107 bytes.
		if o.addr == "" && len(d.adminSock) > 100 {
			tmp, err := os.MkdirTemp("", "mmlt")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			d.adminSock = filepath.Join(tmp, "admin.sock")
		}
	}
	log := func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }
	if o.addr != "" {
		d.addr = o.addr
		if err := d.attach(ctx, o.pid); err != nil {
			return err
		}
	} else {
		if d.bin, err = daemonPath(o.daemon); err != nil {
			return err
		}
		d.settings = o.config
		if d.settings == "" {
			d.settings = filepath.Join(dataDir, "loadtest-settings.json")
			if err := os.WriteFile(d.settings, benchSettings, 0o600); err != nil {
				return err
			}
		}
		log("starting %s (state in %s)...", d.bin, dataDir)
		if err := d.start(ctx); err != nil {
			return err
		}
		defer func() {
			if err := d.stop(); err != nil {
				log("%v", err)
			}
		}()
	}
	st, err := d.status(ctx)
	if err != nil {
		return err
	}

	e := &env{d: d, out: stdout, log: stderr}
	e.printf("minimost-loadtest: machine %s; daemon %s (pid %d) at https://%s; the load generator runs on the same cores",
		machine(), st.Version, d.pid, d.addr)

	maxSenders := 1
	if o.scenarios["throughput"] {
		for _, s := range o.senders {
			maxSenders = max(maxSenders, s)
		}
	}
	nAccounts := max((maxStreams+o.streamsPerUser-1)/o.streamsPerUser, maxSenders, 1)
	accts, err := ensureAccounts(ctx, d, nAccounts, stderr)
	if err != nil {
		return err
	}
	e.receivers, e.senders = accts, accts
	c := newAPI(d, 1)
	e.channels, err = publicChannels(ctx, c, accts[0].Token)
	c.close()
	if err != nil {
		return err
	}

	var fig figures
	if o.scenarios["throughput"] {
		for _, s := range o.senders {
			log("throughput: %d senders for %v...", s, o.sendDur)
			r, err := throughputRun(ctx, e, s, o.sendDur, 1_000_000)
			if err != nil {
				return fmt.Errorf("throughput, %d senders: %w", s, err)
			}
			r.print(e)
			fig.throughput = append(fig.throughput, r)
		}
	}
	if o.scenarios["latency"] {
		for _, n := range o.clients {
			if err := d.waitConnections(ctx, 0, 30*time.Second); err != nil {
				return err
			}
			log("latency: %d streams, %.0f msg/s for %v...", n, o.rate, o.latencyDur)
			r, err := latencyRun(ctx, e, n, o.rate, o.latencyDur)
			if err != nil {
				return fmt.Errorf("latency, %d streams: %w", n, err)
			}
			r.print(e)
			fig.latency = append(fig.latency, r)
		}
	}

	// Before the idle streams: seed the search messages, and (when the
	// daemon is ours) restart it, so the memory figure is of a fresh
	// process and not of the heap the earlier scenarios grew.
	if o.scenarios["search"] || o.scenarios["idle"] || o.scenarios["history"] {
		if err := prepareStore(ctx, e, o); err != nil {
			return err
		}
	}
	if o.scenarios["idle"] {
		log("idle: %d streams...", o.idleConns)
		r, err := idleRun(ctx, e, o.idleConns, o.settle)
		if err != nil {
			return fmt.Errorf("idle streams: %w", err)
		}
		r.print(e)
		fig.idle = r
		if err := d.waitConnections(ctx, 0, 60*time.Second); err != nil {
			return err
		}
	}
	if o.scenarios["search"] {
		st, err := d.status(ctx)
		if err != nil {
			return err
		}
		log("search: %d requests over %d messages...", o.searchRequests, st.Messages)
		r, err := searchRun(ctx, e, newCorpus(1), o.searchRequests)
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		r.messages = st.Messages
		r.print(e)
		fig.search = r
	}
	if o.scenarios["history"] {
		log("history: %d requests...", o.historyReqs)
		r, err := historyRun(ctx, e, o.historyReqs)
		if err != nil {
			return fmt.Errorf("history: %w", err)
		}
		r.print(e)
		fig.history = r
	}
	printTargets(e, &fig)
	return nil
}

// prepareStore brings the message count up to --search-messages (when the
// search scenario runs) and restarts a daemon started here.
func prepareStore(ctx context.Context, e *env, o *options) error {
	st, err := e.d.status(ctx)
	if err != nil {
		return err
	}
	missing := 0
	if o.scenarios["search"] && st.Messages < int64(o.searchMessages) {
		missing = o.searchMessages - int(st.Messages)
	}
	how := o.seed
	if how == "auto" {
		how = "posts"
		if e.d.owned() {
			how = "sqlite"
		}
	}
	// Seeded by the count, so a data directory's texts are the same on
	// every machine.
	corp := newCorpus(uint64(st.Messages) + 1)
	if missing > 0 && how == "posts" {
		e.logf("seeding %d messages through the API (64 senders)...", missing)
		t0 := time.Now()
		if err := seedPosts(ctx, e, missing, corp); err != nil {
			return fmt.Errorf("seeding: %w", err)
		}
		e.logf("  seeded in %.0f s", time.Since(t0).Seconds())
	}
	if !e.d.owned() {
		return nil
	}
	e.logf("restarting the daemon...")
	if err := e.d.stop(); err != nil {
		return err
	}
	if missing > 0 && how == "sqlite" {
		e.logf("seeding %d messages into the stopped daemon's database (once per data directory)...", missing)
		t0 := time.Now()
		if err := seedSQLite(ctx, e.d.dataDir, missing, corp, e.logf); err != nil {
			return fmt.Errorf("seeding: %w", err)
		}
		e.logf("  seeded in %.0f s", time.Since(t0).Seconds())
	}
	return e.d.start(ctx)
}

// printTargets closes the report: each target with the figure it is
// judged on and their ratio.
func printTargets(e *env, fig *figures) {
	e.printf("")
	e.printf("targets (machine: %s):", machine())
	for _, r := range fig.latency {
		if r.clients == 200 {
			e.printf("  p99 delivery at 200 streams   %9s  target ≤ 10 ms          %s", ms(r.lat.P99), verdict(float64(r.lat.P99), float64(10*time.Millisecond), true))
		}
	}
	for _, r := range fig.throughput {
		if r.senders == 64 {
			e.printf("  durable sends/s, 64 senders   %9.0f  target ≥ 5000/s         %s", r.perSec, verdict(r.perSec, 5000, false))
		}
	}
	if r := fig.idle; r != nil {
		note := ""
		if r.conns != 10000 {
			note = fmt.Sprintf(" (measured at %d streams, the target is at 10000)", r.conns)
		}
		e.printf("  RSS per idle stream           %6.1f KiB  target ≤ 32 KiB   %s%s", r.perConnKiB, verdict(r.perConnKiB, 32, true), note)
	}
	if r := fig.search; r != nil {
		note := ""
		if r.messages < 1_000_000 {
			note = fmt.Sprintf(" (at %d messages, the target is at 1000000)", r.messages)
		}
		e.printf("  search p95 at 1 M messages    %9s  target ≤ 20 ms          %s%s", ms(r.all.P95), verdict(float64(r.all.P95), float64(20*time.Millisecond), true), note)
	}
}

// daemonPath resolves the daemon binary to an absolute path.
func daemonPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("daemon binary: %w (run make build, or give --daemon or --addr)", err)
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("daemon binary %s is not executable", abs)
	}
	return abs, nil
}

// machine describes the cores and memory the figures were taken on.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if f, err := os.Open("/proc/meminfo"); err == nil {
		if kb, err := parseStatusKiB(f, "MemTotal:"); err == nil {
			mem = fmt.Sprintf(", %.0f GiB memory", float64(kb)/(1<<20))
		}
		f.Close()
	}
	return fmt.Sprintf("%d cores (%s)%s, %s/%s, %s", runtime.NumCPU(), model, mem, runtime.GOOS, runtime.GOARCH, runtime.Version())
}
