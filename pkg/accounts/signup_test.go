package accounts_test

import (
	"strings"
	"testing"

	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/config"
)

// TestSignupRules is behavior.md §3.1–3.3 at signup, in the check order
// pattern → reserved → policy → uniqueness: each row's input fails (or
// passes) every earlier check, so the answer shows the order. "Taken" is
// held by an existing account "Bobby".
func TestSignupRules(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 32)
	tests := []struct {
		name, username, password string
		minLength                int // password_min_length, 0: the default 15
		want, stored             string
	}{
		{"plain", "alice", pw(0), 0, "", "alice"},
		{"spelling kept, whitespace trimmed", "  Alice_B-2 ", pw(0), 0, "", "Alice_B-2"},
		{"32 characters", long, pw(0), 0, "", long},
		{"33 characters", long + "a", pw(0), 0, chat.EInvalidUsername, ""},
		{"empty", "", pw(0), 0, chat.EInvalidUsername, ""},
		{"blank", "   ", pw(0), 0, chat.EInvalidUsername, ""},
		{"space inside", "a b", pw(0), 0, chat.EInvalidUsername, ""},
		{"dot", "a.b", pw(0), 0, chat.EInvalidUsername, ""},
		{"at", "a@b", pw(0), 0, chat.EInvalidUsername, ""},
		{"non-ASCII letter", "jörg", pw(0), 0, chat.EInvalidUsername, ""},
		{"control character", "a\x07", pw(0), 0, chat.EInvalidUsername, ""},
		{"reserved minimost", "MiniMost", pw(0), 0, chat.EReservedUsername, ""},
		{"reserved everyone", "EVERYONE", pw(0), 0, chat.EReservedUsername, ""},
		{"reserved deleteduser", "deletedUser", pw(0), 0, chat.EReservedUsername, ""},
		{"reserved system", "System", pw(0), 0, chat.EReservedUsername, ""},
		{"pattern before reserved and policy", "every one", "weak", 0, chat.EInvalidUsername, ""},
		{"reserved before policy", "everyone", "weak", 0, chat.EReservedUsername, ""},
		{"policy before uniqueness", "BOBBY", "weak", 0, chat.EWeakPassword, ""},
		{"taken ignoring case", "bObBy", pw(0), 0, chat.EUsernameTaken, ""},
		{"14 characters", "carol", "Battery-Stap-1", 0, chat.EWeakPassword, ""},
		{"15 characters", "carol", "Battery-Stap-12", 0, "", "carol"},
		{"min length from settings", "carol", pw(0), 20, chat.EWeakPassword, ""},
		{"no digit", "carol", "Battery-Staple-xx", 0, chat.EWeakPassword, ""},
		{"no special", "carol", "BatteryStaple123", 0, chat.EWeakPassword, ""},
		{"no lower case", "carol", "BATTERY-STAPLE-12", 0, chat.EWeakPassword, ""},
		{"non-ASCII letters count for no class", "carol", "ÄÖÜäöü-123456789", 0, chat.EWeakPassword, ""},
		{"1024 characters", "carol", "Aa1!" + strings.Repeat("x", 1020), 0, "", "carol"},
		{"1025 characters", "carol", "Aa1!" + strings.Repeat("x", 1021), 0, chat.EWeakPassword, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			e.signup("Bobby", pw(0))
			if tt.minLength > 0 {
				e.configure(func(s *config.Settings) { s.PasswordMinLength = tt.minLength })
			}
			l, err := e.svc.Signup(e.ctx, tt.username, tt.password, "192.0.2.1")
			wantCode(t, err, tt.want)
			if err != nil {
				if f := fieldOf(err); f != "username" && f != "password" {
					t.Errorf("field %q", f)
				}
				if n := len(e.events.updated); n != 1 {
					t.Errorf("%d user.updated events, want only Bobby's", n)
				}
				return
			}
			if l.User.Username != tt.stored || e.account(tt.stored).Username != tt.stored {
				t.Errorf("stored %q, want %q", l.User.Username, tt.stored)
			}
			if e.mustAuth(l.SessionID).Account.Username != tt.stored {
				t.Error("the signup session is not the new account's")
			}
			if e.audited("event=account_create outcome=success user="+tt.stored) != 1 {
				t.Error("no account_create record")
			}
		})
	}
}
