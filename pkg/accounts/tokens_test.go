package accounts_test

import (
	"strings"
	"testing"

	"github.com/minimost/minimost/pkg/accounts"
	"github.com/minimost/minimost/pkg/chat"
)

// TestBotTokenNames is the name rule of behavior.md §18: trimmed, 1 to 64
// characters (not bytes), no control characters.
func TestBotTokenNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	auth := e.mustAuth(e.signup("bob", pw(0)).SessionID)
	tests := []struct {
		name, stored string
		ok           bool
	}{
		{"ci", "ci", true},
		{"  deploy bot  ", "deploy bot", true},
		{strings.Repeat("x", 64), strings.Repeat("x", 64), true},
		{strings.Repeat("é", 64), strings.Repeat("é", 64), true},
		{strings.Repeat("x", 65), "", false},
		{"", "", false},
		{"   ", "", false},
		{"line\nbreak", "", false},
		{"bell\a", "", false},
		{"del\x7f", "", false},
	}
	for _, tt := range tests {
		tok, err := e.svc.CreateToken(e.ctx, auth, tt.name, "192.0.2.1")
		if !tt.ok {
			if chat.ErrorCode(err) != chat.EBadRequest || fieldOf(err) != "name" {
				t.Errorf("name %q: %v, want bad_request on name", tt.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("name %q: %v", tt.name, err)
			continue
		}
		if tok.Name != tt.stored {
			t.Errorf("name %q stored as %q, want %q", tt.name, tok.Name, tt.stored)
		}
	}
}

// TestBotTokens is the rest of §18 for tokens: shown once, 20 at most, only
// the owner deletes, refused while the account is locked, never allowed to
// manage credentials.
func TestBotTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	bob := e.mustAuth(e.signup("bob", pw(0)).SessionID)
	alice := e.mustAuth(e.signup("alice", pw(0)).SessionID)

	first, err := e.svc.CreateToken(e.ctx, bob, "ci", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(first.Token, accounts.TokenPrefix) || len(first.Token) != len(accounts.TokenPrefix)+43 {
		t.Fatalf("token %q, want mmt_ and 43 base64url characters", first.Token)
	}
	bot, err := e.svc.AuthenticateToken(e.ctx, first.Token)
	if err != nil || bot.Account.Username != "bob" || bot.Session != nil || bot.Token == nil {
		t.Fatalf("AuthenticateToken = %+v, %v", bot, err)
	}
	list, err := e.svc.Tokens(e.ctx, bob)
	if err != nil || len(list) != 1 || list[0].LastUsedAt == nil || *list[0].LastUsedAt != e.clock.Now().UnixMilli() {
		t.Fatalf("Tokens = %+v, %v; want the one token, used now", list, err)
	}

	// Twenty at most; deleting one makes room.
	for i := 2; i <= accounts.MaxTokens; i++ {
		if _, err := e.svc.CreateToken(e.ctx, bob, "t", "192.0.2.1"); err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
	}
	_, err = e.svc.CreateToken(e.ctx, bob, "one too many", "192.0.2.1")
	wantCode(t, err, chat.EConflict)
	if _, err := e.svc.CreateToken(e.ctx, alice, "alice's", "192.0.2.1"); err != nil {
		t.Errorf("the limit is per account, alice was refused: %v", err)
	}

	// Only the owner deletes: another account's id is not found.
	wantCode(t, e.svc.DeleteToken(e.ctx, alice, first.ID, "192.0.2.1"), chat.ENotFound)
	if _, err := e.svc.AuthenticateToken(e.ctx, first.Token); err != nil {
		t.Fatalf("alice's delete revoked bob's token: %v", err)
	}
	wantCode(t, e.svc.DeleteToken(e.ctx, bob, first.ID, "192.0.2.1"), "")
	// The deleted token's open streams are ended too.
	e.events.mu.Lock()
	revoked := append([]int64(nil), e.events.tokens...)
	e.events.mu.Unlock()
	if len(revoked) != 1 || revoked[0] != first.ID {
		t.Errorf("streams revoked for tokens %v, want only %d", revoked, first.ID)
	}
	_, err = e.svc.AuthenticateToken(e.ctx, first.Token)
	wantCode(t, err, chat.EUnauthenticated)
	wantCode(t, e.svc.DeleteToken(e.ctx, bob, first.ID, "192.0.2.1"), chat.ENotFound)
	if _, err := e.svc.CreateToken(e.ctx, bob, "room again", "192.0.2.1"); err != nil {
		t.Errorf("no room after a delete: %v", err)
	}
	if e.audited("event=token_create outcome=success user=bob") != accounts.MaxTokens+1 ||
		e.audited("event=token_delete outcome=success user=bob") != 1 {
		t.Error("token changes were not all audited")
	}

	// A locked account's tokens are refused until unlocked.
	tok, err := e.svc.CreateToken(e.ctx, alice, "script", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetLocked(e.ctx, "alice", true, "admin:uid=0"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.AuthenticateToken(e.ctx, tok.Token)
	wantCode(t, err, chat.EUnauthenticated)
	if err := e.svc.SetLocked(e.ctx, "alice", false, "admin:uid=0"); err != nil {
		t.Fatal(err)
	}
	botAlice, err := e.svc.AuthenticateToken(e.ctx, tok.Token)
	if err != nil {
		t.Fatalf("token refused after unlock: %v", err)
	}

	// A token acts as its user but cannot manage credentials or sessions.
	for name, err := range map[string]error{
		"create token":    func() error { _, err := e.svc.CreateToken(e.ctx, botAlice, "x", "192.0.2.1"); return err }(),
		"list tokens":     func() error { _, err := e.svc.Tokens(e.ctx, botAlice); return err }(),
		"delete token":    e.svc.DeleteToken(e.ctx, botAlice, tok.ID, "192.0.2.1"),
		"change password": func() error { _, err := e.svc.ChangePassword(e.ctx, botAlice, pw(0), pw(1), "192.0.2.1"); return err }(),
		"delete account":  e.svc.DeleteSelf(e.ctx, botAlice, pw(0), accounts.ModeSoft, "192.0.2.1"),
		"log out":         e.svc.Logout(e.ctx, botAlice, "192.0.2.1"),
	} {
		if chat.ErrorCode(err) != chat.EForbidden {
			t.Errorf("%s with a bot token: %v, want forbidden", name, err)
		}
	}
	if _, err := e.svc.AuthenticateToken(e.ctx, tok.Token); err != nil {
		t.Errorf("a refused bot action harmed the token: %v", err)
	}

	for _, bad := range []string{"", "mmt_", "mmt_" + strings.Repeat("A", 43), first.Token[4:], "Bearer " + tok.Token} {
		if _, err := e.svc.AuthenticateToken(e.ctx, bad); chat.ErrorCode(err) != chat.EUnauthenticated {
			t.Errorf("token %q: %v, want unauthenticated", bad, err)
		}
	}
}
