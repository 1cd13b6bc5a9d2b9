package accounts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/media"
	"github.com/minimost/minimost/pkg/store"
)

// SettingsPatch is PATCH /me/settings; a nil field is left as it is.
type SettingsPatch struct {
	// NameColor is set when the field was given; Color nil resets it.
	NameColor bool
	Color     *string
	Bio       *string
}

// MySettings is the answer of GET and PATCH /me/settings.
type MySettings struct {
	NameColor *string `json:"name_color"`
	Bio       string  `json:"bio"`
}

// Settings returns the caller's own settings.
func Settings(a *chat.Account) MySettings {
	return MySettings{NameColor: a.NameColor, Bio: a.Bio}
}

// UpdateSettings validates and applies a settings change.
func (s *Service) UpdateSettings(ctx context.Context, auth *Auth, p SettingsPatch) (MySettings, error) {
	var us store.UserSettings
	if p.NameColor {
		us.SetColor = true
		if p.Color != nil {
			c, err := chat.NormalizeNameColor(*p.Color)
			if err != nil {
				return MySettings{}, err
			}
			us.Color = &c
		}
	}
	if p.Bio != nil {
		b, err := chat.NormalizeBio(*p.Bio)
		if err != nil {
			return MySettings{}, err
		}
		us.Bio = &b
	}
	a, err := s.db.UpdateSettings(ctx, auth.Account.ID, us)
	if err != nil {
		return MySettings{}, err
	}
	s.events.UserUpdated(s.View(a))
	return Settings(a), nil
}

// SetAvatar stores an uploaded avatar (already size-checked by the
// transport) under a random name and removes the previous one.
func (s *Service) SetAvatar(ctx context.Context, auth *Auth, data []byte) (chat.User, error) {
	img, ok := media.SniffImage(data, media.MaxAvatarSide)
	if !ok {
		return chat.User{}, chat.FieldError(chat.EBadRequest, "file", "an avatar must be a PNG, JPEG, GIF or WebP image of at most %d pixels a side", media.MaxAvatarSide)
	}
	if err := os.MkdirAll(s.avatars, 0o700); err != nil {
		return chat.User{}, fmt.Errorf("avatars: %w", err)
	}
	name := make([]byte, 16)
	rand.Read(name)
	file := hex.EncodeToString(name)
	path := filepath.Join(s.avatars, file)
	if err := writeFileSync(path, data); err != nil {
		return chat.User{}, err
	}
	old, a, err := s.db.SetAvatar(ctx, auth.Account.ID, file, img.ContentType)
	if err != nil {
		os.Remove(path)
		return chat.User{}, err
	}
	s.removeAvatar(old)
	u := s.View(a)
	s.events.UserUpdated(u)
	return u, nil
}

// DeleteAvatar removes the caller's avatar.
func (s *Service) DeleteAvatar(ctx context.Context, auth *Auth) error {
	old, a, err := s.db.SetAvatar(ctx, auth.Account.ID, "", "")
	if err != nil {
		return err
	}
	s.removeAvatar(old)
	s.events.UserUpdated(s.View(a))
	return nil
}

func (s *Service) removeAvatar(file string) {
	if file == "" {
		return
	}
	if err := os.Remove(filepath.Join(s.avatars, file)); err != nil && !os.IsNotExist(err) {
		s.log.Warn("removing an old avatar", "err", err)
	}
}

// Avatar is a stored avatar to serve.
type Avatar struct {
	Path        string
	ContentType string
	Version     int64
}

// AvatarOf finds a live user's avatar; none is not found.
func (s *Service) AvatarOf(ctx context.Context, username string) (*Avatar, error) {
	a, err := s.db.AccountByName(ctx, username)
	if err != nil {
		return nil, err
	}
	if a.AvatarFile == "" {
		return nil, chat.Errorf(chat.ENotFound, "no avatar")
	}
	return &Avatar{Path: filepath.Join(s.avatars, a.AvatarFile), ContentType: a.AvatarType, Version: a.AvatarVersion}, nil
}

// writeFileSync writes a new file durably: temporary name, fsync, rename,
// so a crash never leaves half a file under the final name.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
