package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/minimost/minimost/pkg/accounts"
	"github.com/minimost/minimost/pkg/admin"
	"github.com/minimost/minimost/pkg/audit"
	"github.com/minimost/minimost/pkg/chatsvc"
	"github.com/minimost/minimost/pkg/config"
	"github.com/minimost/minimost/pkg/httpapi"
	"github.com/minimost/minimost/pkg/hub"
	"github.com/minimost/minimost/pkg/linkpreview"
	"github.com/minimost/minimost/pkg/password"
	"github.com/minimost/minimost/pkg/pki"
	"github.com/minimost/minimost/pkg/store"
	"github.com/minimost/minimost/pkg/stun"
	"github.com/minimost/minimost/pkg/systemd"
	"github.com/minimost/minimost/pkg/version"
)

// drainTimeout bounds how long shutdown waits for in-flight requests
// (api.md §6).
const drainTimeout = 10 * time.Second

// statusInterval is how often STATUS= is refreshed.
const statusInterval = 30 * time.Second

// daemon is the running process: what run wires together and what the
// admin API reports on.
type daemon struct {
	opts         *options
	log          *slog.Logger
	notify       *systemd.Notifier
	settingsPath string
	settings     *config.Live
	audit        *audit.Log
	pki          *pki.Manager
	db           *store.DB
	accounts     *accounts.Service
	chat         *chatsvc.Service
	hub          *hub.Hub
	baseURL      string
	started      time.Time
	listeners    []string
	activated    bool
	ready        atomic.Bool

	reloadMu      sync.Mutex
	reloadFailure atomic.Pointer[string]
}

// run is the whole daemon: it returns when ctx ends or a SIGTERM/SIGINT
// arrives and everything has shut down.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	started := time.Now()
	o, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	if o.version {
		fmt.Fprintf(stdout, "minimost %s\n", version.Version)
		return nil
	}
	journal := audit.JournalEnabled(getenv)
	log := audit.NewLogger(stderr, journal, slog.LevelInfo)

	// A hash in progress keeps its goroutine running, and so one of Go's
	// processors busy, for hundreds of milliseconds: without extra
	// processors a login flood would leave the chat one core fewer at Go's
	// scheduler even though the kernel runs the hash threads last.
	runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + accounts.HashThreads())

	// Signals are taken before anything slow, so a SIGTERM during start-up
	// is not lost to the default handler.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)

	// Settings first: a typo must stop the daemon before it binds anything.
	path := config.Path(o.config, getenv, o.dataDir)
	settings, warnings, err := config.Load(path)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		log.Warn("settings: "+w, "file", path)
	}

	// Then the state directory, so a second daemon names the lock rather
	// than a busy port.
	lock, err := store.LockDir(o.dataDir)
	if err != nil {
		return err
	}
	defer lock.Release()

	socks, err := openSockets(o, settings, log)
	if err != nil {
		return err
	}
	defer socks.Close()

	d := &daemon{
		opts: o, log: log, notify: systemd.NewNotifier(), settingsPath: path,
		settings: config.NewLive(settings), started: started, activated: socks.activated,
		listeners: socks.describe(), baseURL: socks.url(),
	}
	if err := d.openState(ctx, getenv, journal, socks); err != nil {
		return err
	}
	defer d.closeState()
	return d.serve(ctx, socks, sigs)
}

// openState opens the audit log, the certificates and the store.
func (d *daemon) openState(ctx context.Context, getenv func(string) string, journal bool, socks *sockets) error {
	s := d.settings.Get()
	var err error
	d.audit, err = audit.New(audit.Options{Dir: d.opts.dataDir, Limits: auditLimits(s), Journal: journal, Logger: d.log})
	if err != nil {
		return err
	}
	d.pki, err = pki.New(pki.Options{
		StateDir:       d.opts.dataDir,
		CredentialsDir: getenv("CREDENTIALS_DIRECTORY"),
		CertFile:       s.TLSCertFile,
		KeyFile:        s.TLSKeyFile,
		PublicHosts:    s.PublicHosts,
		ListenHost:     socks.httpsHost(),
		Logger:         d.log,
		OnGenerate: func(kind string) {
			d.audit.Record(audit.Event{Kind: audit.TLSGenerated, Success: true, Detail: kind})
		},
	})
	if err != nil {
		return err
	}
	d.db, err = store.Open(ctx, d.opts.dataDir, store.Options{Logger: d.log})
	if err != nil {
		return err
	}
	d.accounts = accounts.New(accounts.Options{
		DB: d.db, Hasher: password.NewHasher(0), Settings: d.settings, Audit: d.audit,
		Logger: d.log, AvatarDir: filepath.Join(d.opts.dataDir, "avatars"),
	})
	d.chat = chatsvc.New(chatsvc.Options{
		DB: d.db, Settings: d.settings, Accounts: d.accounts,
		UploadsDir: filepath.Join(d.opts.dataDir, "uploads"), Logger: d.log,
	})
	d.hub = hub.New(hub.Options{Logger: d.log, Handler: d.chat})
	d.chat.SetHub(d.hub)
	d.accounts.Connect(d.chat, d.chat.PublicState, d.chat)
	return d.chat.SyncChannels(ctx)
}

func (d *daemon) closeState() {
	if d.db != nil {
		if err := d.db.Close(); err != nil {
			d.log.Error("closing the store", "err", err)
		}
	}
	if d.audit != nil {
		d.audit.Close()
	}
}

func auditLimits(s *config.Settings) audit.Limits {
	return audit.Limits{MaxSizeMB: s.AuditLogMaxSizeMB, MaxAgeDays: s.AuditLogMaxAgeDays, Backups: s.AuditLogBackups}
}

// serve runs every server until a stop signal, then drains them.
func (d *daemon) serve(ctx context.Context, socks *sockets, sigs <-chan os.Signal) error {
	bg, stopBG := context.WithCancel(ctx)
	defer stopBG()

	web := &http.Server{
		Handler: httpapi.NewServer(httpapi.Deps{
			Logger:   d.log,
			Settings: d.settings,
			Accounts: d.accounts,
			Chat:     d.chat,
			Hub:      d.hub,
			StunPort: socks.stun.LocalAddr().(*net.UDPAddr).Port,
			Previews: linkpreview.New(linkpreview.Options{
				Allowed: func() []netip.Prefix { return d.settings.Get().AllowedNetworks() },
				Enabled: func() bool { return d.settings.Get().LinkPreviewsEnabled },
				Logger:  d.log,
			}),
			Audit: d.audit,
			CAPEM: d.pki.CAPEM,
			Ready: d.ready.Load,
		}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelDebug),
	}
	adminSrv := admin.NewServer(d, d.audit, d.log, d.opts.dataDir).HTTPServer()
	stunSrv := stun.New(d.log, nil)

	var wg sync.WaitGroup
	errs := make(chan error, 4)
	goServe := func(name string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil {
				errs <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	// Ready before the listeners serve: a connection that socket
	// activation queued may be answered the moment Serve starts, and the
	// store is already open.
	d.ready.Store(true)
	goServe("https", func() error { return ignoreClosed(web.Serve(tls.NewListener(socks.https, d.pki.TLSConfig()))) })
	goServe("admin", func() error { return ignoreClosed(adminSrv.Serve(socks.admin)) })
	goServe("stun", func() error { return stunSrv.Serve(bg, socks.stun) })
	goServe("tls renewal", func() error { d.pki.Run(bg); return nil })
	goServe("watchdog", func() error { d.notify.Watchdog(bg); return nil })
	goServe("status", func() error { d.refreshStatus(bg); return nil })
	goServe("session sweep", func() error { d.sweepSessions(bg); return nil })
	goServe("typing expiry", func() error { d.chat.ExpireTyping(bg); return nil })
	goServe("heap floor", func() error { keepHeapFloor(bg); return nil })

	d.notify.Ready(d.statusLine())
	if err := d.notify.Err(); err != nil {
		d.log.Warn("sd_notify failed", "err", err)
	}
	d.log.Info("minimost serving", "version", version.Version, "url", socks.url(), "ca", d.pki.CAPath(),
		"listeners", d.listeners, "socket_activated", d.activated)

	var failure error
loop:
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				d.reload("signal:SIGHUP")
				continue
			}
			d.log.Info("shutting down", "signal", sig.String())
			break loop
		case <-ctx.Done():
			break loop
		case err := <-errs:
			d.log.Error("server failed", "err", err)
			failure = err
			break loop
		}
	}

	d.ready.Store(false)
	d.notify.Stopping()
	drain, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	var shutdownErr error
	// Streams are hijacked connections that http.Server.Shutdown does not
	// track: they are closed on purpose, with 1001, first.
	if err := d.hub.Shutdown(drain); err != nil {
		d.log.Warn("event streams did not close in time", "err", err)
	}
	for name, srv := range map[string]*http.Server{"https": web, "admin": adminSrv} {
		if err := srv.Shutdown(drain); err != nil {
			d.log.Warn("in-flight requests cut at shutdown", "server", name, "err", err)
			srv.Close()
			shutdownErr = err
		}
	}
	socks.stun.Close()
	stopBG()
	wg.Wait()
	if failure != nil {
		return failure
	}
	if shutdownErr != nil {
		d.log.Warn("shutdown was not clean", "err", shutdownErr)
	}
	return nil
}

func ignoreClosed(err error) error {
	if err == nil || errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// refreshStatus keeps STATUS= current until ctx ends.
func (d *daemon) refreshStatus(ctx context.Context) {
	t := time.NewTicker(statusInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.notify.Status(d.statusLine())
		}
	}
}

// sweepSessions ends idle and expired sessions every minute, so their
// streams close even when nobody touches them.
func (d *daemon) sweepSessions(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := d.accounts.SweepSessions(ctx); err != nil && ctx.Err() == nil {
				d.log.Error("session sweep", "err", err)
			}
		}
	}
}

// statusLine is the one-line summary systemctl status shows.
func (d *daemon) statusLine() string {
	line := fmt.Sprintf("serving %s", d.listeners[0])
	if msg := d.reloadFailure.Load(); msg != nil {
		line += "; last reload failed, old settings kept: " + *msg
	}
	return line
}
