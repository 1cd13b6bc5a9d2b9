package main

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/minimost/minimost/pkg/accounts"
	"github.com/minimost/minimost/pkg/admin"
	"github.com/minimost/minimost/pkg/audit"
	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/config"
	"github.com/minimost/minimost/pkg/version"
)

// The daemon is the admin API's backend.
var _ admin.Backend = (*daemon)(nil)

// Status reports the daemon's figures for GET /v1/status.
func (d *daemon) Status(ctx context.Context) (admin.Status, error) {
	dbBytes, err := d.db.Size(ctx)
	if err != nil {
		return admin.Status{}, err
	}
	users, err := d.db.CountAccounts(ctx)
	if err != nil {
		return admin.Status{}, err
	}
	messages, err := d.db.CountMessages(ctx)
	if err != nil {
		return admin.Status{}, err
	}
	return admin.Status{
		Version:         version.Version,
		Users:           users,
		Messages:        messages,
		Connections:     int64(d.hub.Count()),
		UptimeS:         int64(time.Since(d.started) / time.Second),
		DBBytes:         dbBytes,
		UploadsBytes:    dirBytes(filepath.Join(d.opts.dataDir, "uploads")),
		Listeners:       d.listeners,
		SocketActivated: d.activated,
	}, nil
}

// dirBytes adds up the regular files under dir; a missing dir holds 0.
func dirBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			if fi, err := e.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// Reload answers POST /v1/reload.
func (d *daemon) Reload(ctx context.Context) (admin.ReloadResult, error) {
	return d.reload(admin.PeerFrom(ctx).Src())
}

// Backup writes an online backup of the store to dest.
func (d *daemon) Backup(ctx context.Context, dest string) error {
	return d.db.Backup(ctx, dest)
}

// reload re-reads settings.json and swaps it in whole, or keeps the
// running settings and reports why. systemd hears RELOADING=1 first and
// READY=1 after, whatever the outcome, so `systemctl reload` never hangs.
func (d *daemon) reload(src string) (admin.ReloadResult, error) {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	d.notify.Reloading()
	defer func() { d.notify.Ready(d.statusLine()) }()

	next, warnings, err := config.Load(d.settingsPath)
	if err != nil {
		msg := err.Error()
		d.reloadFailure.Store(&msg)
		d.log.Error("minimost: "+msg+" (old settings kept)", "src", src)
		d.audit.Record(audit.Event{Kind: audit.SettingsReload, Src: src, Detail: msg})
		return admin.ReloadResult{}, &chat.Error{Code: chat.EBadRequest, Message: msg}
	}
	for _, w := range warnings {
		d.log.Warn("settings: "+w, "file", d.settingsPath)
	}
	cur := d.settings.Get()
	changed, restart := config.Diff(cur, next)
	// A bad operator pair keeps the certificate in use (behavior.md §15.3);
	// the other settings still apply.
	if err := d.pki.Reload(next.TLSCertFile, next.TLSKeyFile); err != nil {
		d.log.Error("settings reload: TLS pair refused, keeping the current certificate", "err", err)
	}
	d.settings.Swap(next)
	d.audit.SetLimits(auditLimits(next))
	if err := d.chat.SyncChannels(context.Background()); err != nil {
		d.log.Error("settings reload: public channels not updated", "err", err)
	}
	d.reloadFailure.Store(nil)

	detail := "nothing changed"
	if len(changed) > 0 {
		detail = "changed: " + strings.Join(changed, ",")
	}
	d.audit.Record(audit.Event{Kind: audit.SettingsReload, Success: true, Src: src, Detail: detail})
	d.log.Info("settings reloaded", "changed", changed, "restart_required", restart)
	return admin.ReloadResult{Changed: changed, RestartRequired: restart}, nil
}

// Users lists accounts for `minimostctl users list`.
func (d *daemon) Users(ctx context.Context) ([]admin.UserSummary, error) {
	sums, err := d.accounts.Summaries(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]admin.UserSummary, 0, len(sums))
	for _, s := range sums {
		out = append(out, admin.UserSummary(s))
	}
	return out, nil
}

// PasswordReset issues a reset link. The default base URL is the first
// HTTPS listener as a browser would reach it.
func (d *daemon) PasswordReset(ctx context.Context, username string, req admin.ResetRequest) (admin.ResetAnswer, error) {
	if req.ExpiresMinutes == 0 {
		req.ExpiresMinutes = accounts.ResetExpiresDefault
	}
	if req.BaseURL == "" {
		req.BaseURL = d.baseURL
	}
	r, err := d.accounts.IssueReset(ctx, username, req.ExpiresMinutes, req.BaseURL, admin.PeerFrom(ctx).Src())
	if err != nil {
		return admin.ResetAnswer{}, err
	}
	// The user learns of it in their MiniMost DM, never with the token.
	notice := fmt.Sprintf("An administrator requested a password reset for your account. The reset link expires at %s. "+
		"If you did not expect this, contact your administrators.", time.UnixMilli(r.ExpiresAt).UTC().Format("2006-01-02 15:04 UTC"))
	if err := d.chat.Notify(ctx, r.UserID, notice); err != nil {
		d.log.Error("reset notice not delivered", "user", r.Username, "err", err)
	}
	return admin.ResetAnswer{URL: r.URL, ExpiresAt: r.ExpiresAt}, nil
}

// SetLocked is `minimostctl users lock|unlock`.
func (d *daemon) SetLocked(ctx context.Context, username string, locked bool) error {
	return d.accounts.SetLocked(ctx, username, locked, admin.PeerFrom(ctx).Src())
}

// DeleteUser is `minimostctl users delete`.
func (d *daemon) DeleteUser(ctx context.Context, username, mode string) error {
	return d.accounts.Delete(ctx, username, mode, admin.PeerFrom(ctx).Src())
}

// EndSessions is `minimostctl users logout`.
func (d *daemon) EndSessions(ctx context.Context, username string) error {
	return d.accounts.EndAllSessions(ctx, username, admin.PeerFrom(ctx).Src())
}
