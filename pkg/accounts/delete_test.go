package accounts_test

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimost/minimost/pkg/accounts"
	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/config"
)

// tinyPNG is a valid 2×2 PNG.
func tinyPNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestDeleteAccount is behavior.md §3.10 for what exists so far: both
// modes free the name and end every session, token and reset link; soft
// leaves a tombstone, hard leaves nothing.
func TestDeleteAccount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode    string
		byAdmin bool
	}{
		{accounts.ModeSoft, false},
		{accounts.ModeHard, false},
		{accounts.ModeSoft, true},
		{accounts.ModeHard, true},
	}
	for _, tt := range tests {
		name := tt.mode
		if tt.byAdmin {
			name += " by admin"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(s *config.Settings) { s.MaxLoginAttempts = 0 })
			first := e.signup("Carol", pw(0))
			second := e.mustLogin("carol", pw(0))
			auth := e.mustAuth(first.SessionID)
			bot, err := e.svc.CreateToken(e.ctx, auth, "ci", "192.0.2.1")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.SetAvatar(e.ctx, auth, tinyPNG(t)); err != nil {
				t.Fatal(err)
			}
			avatar := filepath.Join(e.dir, "avatars", e.account("carol").AvatarFile)
			if _, err := os.Stat(avatar); err != nil {
				t.Fatal(err)
			}
			link := e.issue("carol", 60)
			other := e.signup("dave", pw(0))

			if tt.byAdmin {
				err = e.svc.Delete(e.ctx, "CAROL", tt.mode, "admin:uid=0")
			} else {
				err = e.svc.DeleteSelf(e.ctx, auth, pw(0), tt.mode, "192.0.2.1")
			}
			if err != nil {
				t.Fatal(err)
			}

			for _, id := range []string{first.SessionID, second.SessionID} {
				if _, err := e.auth(id); chat.ErrorCode(err) != chat.EUnauthenticated {
					t.Errorf("a session survived the deletion: %v", err)
				}
			}
			e.mustAuth(other.SessionID)
			if e.events.endedCount() != 2 {
				t.Errorf("%d sessions announced ended, want 2", e.events.endedCount())
			}
			if _, err := e.svc.AuthenticateToken(e.ctx, bot.Token); chat.ErrorCode(err) != chat.EUnauthenticated {
				t.Errorf("the bot token survived: %v", err)
			}
			if _, err := e.svc.ResetInfo(e.ctx, link); chat.ErrorCode(err) != chat.ENotFound {
				t.Errorf("the reset link survived: %v", err)
			}
			if _, err := os.Stat(avatar); !os.IsNotExist(err) {
				t.Errorf("the avatar file is still there: %v", err)
			}
			_, err = e.login("carol", pw(0))
			wantCode(t, err, invalid)
			users, err := e.svc.Users(e.ctx)
			if err != nil || len(users) != 1 || users[0].Username != "dave" {
				t.Errorf("Users = %+v, %v; want dave only", users, err)
			}
			if got := strings.Join(e.events.deleted, ","); got != "Carol "+tt.mode {
				t.Errorf("user.deleted events %q", got)
			}
			detail := tt.mode
			if tt.byAdmin {
				detail = `"` + tt.mode + `, by admin"`
			}
			if e.audited("event=account_delete outcome=success user=Carol", "detail="+detail) != 1 {
				t.Errorf("no account_delete record with detail %s:\n%s", detail, strings.Join(e.audit(), "\n"))
			}

			u, err := e.svc.User(e.ctx, "carol")
			if tt.mode == accounts.ModeHard {
				wantCode(t, err, chat.ENotFound)
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if !u.Deleted || u.Username != "Carol" || u.Presence != chat.PresenceOffline || u.HasAvatar || u.AvatarURL != nil || u.Bio != "" {
					t.Errorf("tombstone %+v", u)
				}
			}

			// The name is free again, for a new and different account.
			again := e.signup("carol", pw(5))
			if _, err := e.svc.Tokens(e.ctx, e.mustAuth(again.SessionID)); err != nil {
				t.Fatal(err)
			}
			u, err = e.svc.User(e.ctx, "CAROL")
			if err != nil || u.Deleted || u.Username != "carol" {
				t.Errorf("after re-signup User = %+v, %v; want the new live account", u, err)
			}
			_, err = e.login("carol", pw(0))
			wantCode(t, err, invalid)
		})
	}
}

// TestDeleteSelfRefusals: a wrong password or mode deletes nothing.
func TestDeleteSelfRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	l := e.signup("carol", pw(0))
	auth := e.mustAuth(l.SessionID)
	err := e.svc.DeleteSelf(e.ctx, auth, pw(1), accounts.ModeSoft, "192.0.2.1")
	wantCode(t, err, chat.EInvalidCredentials)
	if fieldOf(err) != "password" {
		t.Errorf("field %q, want password", fieldOf(err))
	}
	for _, mode := range []string{"", "SOFT", "purge"} {
		err = e.svc.DeleteSelf(e.ctx, auth, pw(0), mode, "192.0.2.1")
		wantCode(t, err, chat.EBadRequest)
		if fieldOf(err) != "mode" {
			t.Errorf("mode %q: field %q, want mode", mode, fieldOf(err))
		}
	}
	wantCode(t, e.svc.Delete(e.ctx, "carol", "purge", "admin:uid=0"), chat.EBadRequest)
	wantCode(t, e.svc.Delete(e.ctx, "nobody", accounts.ModeSoft, "admin:uid=0"), chat.ENotFound)
	e.mustAuth(l.SessionID)
	if e.account("carol").FailedLogins != 0 {
		t.Error("a wrong deletion password counted towards the login lockout")
	}
	if len(e.events.deleted) != 0 {
		t.Error("a refused deletion was announced")
	}
}
