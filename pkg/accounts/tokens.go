package accounts

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/minimost/minimost/pkg/audit"
	"github.com/minimost/minimost/pkg/chat"
)

// MaxTokens is how many bot tokens one account may hold.
const MaxTokens = 20

// NewToken is a created bot token; Token is shown this once.
type NewToken struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Token string `json:"token"`
}

// cookieOnly refuses bot tokens for the routes that manage credentials.
func cookieOnly(auth *Auth) error {
	if auth.Session == nil {
		return chat.Errorf(chat.EForbidden, "bot tokens cannot manage tokens")
	}
	return nil
}

// CreateToken makes a bot token for the caller.
func (s *Service) CreateToken(ctx context.Context, auth *Auth, name, src string) (*NewToken, error) {
	if err := cookieOnly(auth); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n < 1 || n > 64 || chat.HasControl(name) {
		return nil, chat.FieldError(chat.EBadRequest, "name", "a token name has 1 to 64 characters and no control characters")
	}
	token := TokenPrefix + Secret()
	t, err := s.db.CreateBotToken(ctx, auth.Account.ID, name, Digest(token), MaxTokens)
	if err != nil {
		return nil, err
	}
	s.audit.Record(audit.Event{Kind: audit.TokenCreate, Success: true, User: auth.Account.Username, Src: src, Detail: name})
	return &NewToken{ID: t.ID, Name: t.Name, Token: token}, nil
}

// Tokens lists the caller's tokens without their secrets.
func (s *Service) Tokens(ctx context.Context, auth *Auth) ([]chat.BotToken, error) {
	if err := cookieOnly(auth); err != nil {
		return nil, err
	}
	return s.db.BotTokens(ctx, auth.Account.ID)
}

// DeleteToken revokes one of the caller's tokens.
func (s *Service) DeleteToken(ctx context.Context, auth *Auth, id int64, src string) error {
	if err := cookieOnly(auth); err != nil {
		return err
	}
	if err := s.db.DeleteBotToken(ctx, auth.Account.ID, id); err != nil {
		return err
	}
	s.events.TokenRevoked(id)
	s.audit.Record(audit.Event{Kind: audit.TokenDelete, Success: true, User: auth.Account.Username, Src: src})
	return nil
}
