package accounts

import (
	"context"
	"os"
	"path/filepath"

	"github.com/minimost/minimost/pkg/audit"
	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/store"
)

// AccountSummary is one row of `minimostctl users list`.
type AccountSummary struct {
	Username    string `json:"username"`
	CreatedAt   int64  `json:"created_at"`
	LastLoginAt *int64 `json:"last_login_at"`
	Locked      bool   `json:"locked"`
	Sessions    int    `json:"sessions"`
}

// Summaries lists live accounts for the admin; locked covers an admin lock
// and an active lockout.
func (s *Service) Summaries(ctx context.Context) ([]AccountSummary, error) {
	now := s.nowMs()
	accts, err := s.db.Accounts(ctx, now)
	if err != nil {
		return nil, err
	}
	out := make([]AccountSummary, 0, len(accts))
	for _, a := range accts {
		out = append(out, AccountSummary{
			Username: a.Username, CreatedAt: a.CreatedAt, LastLoginAt: a.LastLoginAt,
			Locked: a.AdminLocked || a.LockoutUntil > now, Sessions: a.LiveSessions,
		})
	}
	return out, nil
}

// SetLocked is the admin lock and unlock (behavior.md §3.9).
func (s *Service) SetLocked(ctx context.Context, username string, locked bool, src string) error {
	a, err := s.db.AccountByName(ctx, username)
	if err != nil {
		return err
	}
	unlock := s.lockAccount(a.ID)
	ended, err := s.db.SetAdminLock(ctx, a.ID, locked)
	unlock()
	if err != nil {
		return err
	}
	s.events.SessionsEnded(ended)
	kind := audit.AccountUnlock
	if locked {
		kind = audit.AccountLock
	}
	s.audit.Record(audit.Event{Kind: kind, Success: true, User: a.Username, Src: src})
	return nil
}

// EndAllSessions is `minimostctl users logout`.
func (s *Service) EndAllSessions(ctx context.Context, username, src string) error {
	a, err := s.db.AccountByName(ctx, username)
	if err != nil {
		return err
	}
	unlock := s.lockAccount(a.ID)
	ended, err := s.db.EndSessions(ctx, a.ID)
	unlock()
	if err != nil {
		return err
	}
	s.events.SessionsEnded(ended)
	s.audit.Record(audit.Event{Kind: audit.SessionsRevoked, Success: true, User: a.Username, Src: src})
	return nil
}

// Deletion modes of DELETE /me and the admin's delete.
const (
	ModeSoft = "soft"
	ModeHard = "hard"
)

// DeleteSelf is DELETE /me: the password confirms it.
func (s *Service) DeleteSelf(ctx context.Context, auth *Auth, pw, mode, src string) error {
	if auth.Session == nil {
		return chat.Errorf(chat.EForbidden, "a bot token cannot delete its account")
	}
	if mode != ModeSoft && mode != ModeHard {
		return chat.FieldError(chat.EBadRequest, "mode", `mode must be "soft" or "hard"`)
	}
	ok, err := s.hasher.Verify(ctx, auth.Account.PasswordHash, pw)
	if err != nil || !ok {
		return chat.FieldError(chat.EInvalidCredentials, "password", "the password is wrong")
	}
	return s.remove(ctx, auth.Account, mode, false, src)
}

// Delete is the admin's deletion of an account.
func (s *Service) Delete(ctx context.Context, username, mode, src string) error {
	if mode != ModeSoft && mode != ModeHard {
		return chat.FieldError(chat.EBadRequest, "mode", `mode must be "soft" or "hard"`)
	}
	a, err := s.db.AccountByName(ctx, username)
	if err != nil {
		return err
	}
	return s.remove(ctx, a, mode, true, src)
}

func (s *Service) remove(ctx context.Context, a *chat.Account, mode string, byAdmin bool, src string) error {
	unlock := s.lockAccount(a.ID)
	var hook func(*store.Tx) error
	if s.removed != nil {
		hook = func(tx *store.Tx) error { return s.removed(ctx, tx, a, mode == ModeHard) }
	}
	ended, avatar, err := s.db.DeleteAccount(ctx, a.ID, mode == ModeHard, hook)
	unlock()
	if err != nil {
		return err
	}
	if avatar != "" {
		if err := os.Remove(filepath.Join(s.avatars, avatar)); err != nil && !os.IsNotExist(err) {
			s.log.Warn("removing a deleted account's avatar", "err", err)
		}
	}
	s.events.SessionsEnded(ended)
	s.events.UserDeleted(a.Username, mode)
	detail := mode
	if byAdmin {
		detail += ", by admin"
	}
	s.audit.Record(audit.Event{Kind: audit.AccountDelete, Success: true, User: a.Username, Src: src, Detail: detail})
	return nil
}
