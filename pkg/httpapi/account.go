package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/minimost/minimost/pkg/accounts"
	"github.com/minimost/minimost/pkg/audit"
	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/password"
)

// credentials is the body of signup and login.
type credentials struct {
	Username *string `json:"username"`
	Password *string `json:"password"`
}

func (c *credentials) check() error {
	if err := required("username", c.Username); err != nil {
		return err
	}
	return required("password", c.Password)
}

// loginAnswer is the body of a successful signup or login.
type loginAnswer struct {
	User      chat.User `json:"user"`
	CSRFToken string    `json:"csrf_token"`
}

// setSessionCookie hands the browser its session (behavior.md §15.4).
func setSessionCookie(w http.ResponseWriter, id string, maxAgeSeconds int) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: id, Path: "/", MaxAge: maxAgeSeconds,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode,
	})
}

func clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode,
	})
}

// cookieOnly refuses a bot token on the routes that manage credentials
// (behavior.md §18) before the body is read or any limit counted, so a
// script learns that it may not, whatever it sent.
func cookieOnly(auth *accounts.Auth) error {
	if auth.Session == nil {
		return chat.Errorf(chat.EForbidden, "a bot token cannot manage passwords, tokens or the account; use a browser session")
	}
	return nil
}

func crossOrigin() error {
	return chat.Errorf(chat.EForbidden, "cross-origin request refused")
}

func (s *server) signup(w http.ResponseWriter, r *http.Request) error {
	if err := s.limit(s.limits.signup, ipKey(r), s.Settings.Get().RateLimits.SignupPerHour); err != nil {
		return err
	}
	return s.startSession(w, r, http.StatusCreated, s.Accounts.Signup)
}

func (s *server) login(w http.ResponseWriter, r *http.Request) error {
	if err := s.limit(s.limits.login, ipKey(r), s.Settings.Get().RateLimits.LoginPerMinute); err != nil {
		s.Audit.Record(audit.Event{Kind: audit.Login, Src: src(r), Detail: "rate limited"})
		return err
	}
	return s.startSession(w, r, http.StatusOK, s.Accounts.Login)
}

// startSession is the shared rest of signup and login (after their own
// rate limits): the same-origin check, the credentials body, then the
// session cookie and {user, csrf_token}.
func (s *server) startSession(w http.ResponseWriter, r *http.Request, status int,
	open func(ctx context.Context, username, password, src string) (*accounts.Login, error)) error {
	if !sameOrigin(r) {
		return crossOrigin()
	}
	var c credentials
	if err := decode(w, r, &c); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return err
	}
	login, err := open(r.Context(), *c.Username, *c.Password, src(r))
	if err != nil {
		return err
	}
	setSessionCookie(w, login.SessionID, int(login.MaxAge.Seconds()))
	writeJSON(w, status, loginAnswer{User: login.User, CSRFToken: login.CSRFToken})
	return nil
}

func (s *server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.Accounts.Logout(r.Context(), authFrom(r.Context()), src(r)); err != nil {
		return err
	}
	clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// clientSettings are the settings the web client needs (behavior.md §2).
type clientSettings struct {
	MaxUploadSizeMB      int      `json:"max_upload_size_mb"`
	MaxAvatarSizeMB      int      `json:"max_avatar_size_mb"`
	MaxMessageLength     int      `json:"max_message_length"`
	SessionIdleMinutes   int      `json:"session_idle_minutes"`
	Channels             []string `json:"channels"`
	MessageRetentionDays int      `json:"message_retention_days"`
	ImageRetentionDays   int      `json:"image_retention_days"`
	FileRetentionDays    int      `json:"file_retention_days"`
	LinkPreviewsEnabled  bool     `json:"link_previews_enabled"`
	NameColor            *string  `json:"name_color"`
	Bio                  string   `json:"bio"`
}

func (s *server) session(w http.ResponseWriter, r *http.Request) error {
	auth := authFrom(r.Context())
	set := s.Settings.Get()
	csrf := ""
	if auth.Session != nil {
		csrf = auth.Session.CSRFToken
	}
	writeJSON(w, http.StatusOK, struct {
		User      chat.User      `json:"user"`
		CSRFToken string         `json:"csrf_token"`
		Settings  clientSettings `json:"settings"`
	}{s.Accounts.View(auth.Account), csrf, clientSettings{
		MaxUploadSizeMB: set.MaxUploadSizeMB, MaxAvatarSizeMB: set.MaxAvatarSizeMB,
		MaxMessageLength: set.MaxMessageLength, SessionIdleMinutes: set.SessionIdleMinutes,
		Channels: set.Channels, MessageRetentionDays: set.MessageRetentionDays,
		ImageRetentionDays: set.ImageRetentionDays, FileRetentionDays: set.FileRetentionDays,
		LinkPreviewsEnabled: set.LinkPreviewsEnabled, NameColor: auth.Account.NameColor, Bio: auth.Account.Bio,
	}})
	return nil
}

func (s *server) passwordPolicy(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, struct {
		MinLength      int    `json:"min_length"`
		MaxLength      int    `json:"max_length"`
		RequireUpper   bool   `json:"require_upper"`
		RequireLower   bool   `json:"require_lower"`
		RequireDigit   bool   `json:"require_digit"`
		RequireSpecial bool   `json:"require_special"`
		SpecialChars   string `json:"special_chars"`
	}{s.Accounts.Policy().MinLength, password.MaxLength, true, true, true, true, password.SpecialChars})
	return nil
}

func (s *server) changePassword(w http.ResponseWriter, r *http.Request) error {
	auth := authFrom(r.Context())
	if err := cookieOnly(auth); err != nil {
		return err
	}
	if err := s.limit(s.limits.reset, "u:"+strconv.FormatInt(auth.Account.ID, 10), s.Settings.Get().RateLimits.PasswordResetPerHour); err != nil {
		return err
	}
	var body struct {
		Current *string `json:"current_password"`
		New     *string `json:"new_password"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := required("current_password", body.Current); err != nil {
		return err
	}
	if err := required("new_password", body.New); err != nil {
		return err
	}
	newID, err := s.Accounts.ChangePassword(r.Context(), auth, *body.Current, *body.New, src(r))
	if err != nil {
		return err
	}
	setSessionCookie(w, newID, int(time.Duration(s.Settings.Get().SessionMaxHours)*time.Hour/time.Second))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) deleteMe(w http.ResponseWriter, r *http.Request) error {
	if err := cookieOnly(authFrom(r.Context())); err != nil {
		return err
	}
	var body struct {
		Password *string `json:"password"`
		Mode     *string `json:"mode"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := required("password", body.Password); err != nil {
		return err
	}
	if err := required("mode", body.Mode); err != nil {
		return err
	}
	if err := s.Accounts.DeleteSelf(r.Context(), authFrom(r.Context()), *body.Password, *body.Mode, src(r)); err != nil {
		return err
	}
	clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) mySettings(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, accounts.Settings(authFrom(r.Context()).Account))
	return nil
}

func (s *server) patchSettings(w http.ResponseWriter, r *http.Request) error {
	var raw map[string]json.RawMessage
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err != nil {
		return chat.Errorf(chat.ETooLarge, "the request body is larger than 1 MiB")
	}
	if err := decodeBytes(body, &raw); err != nil {
		return err
	}
	var p accounts.SettingsPatch
	if v, ok := raw["name_color"]; ok {
		p.NameColor = true
		if err := json.Unmarshal(v, &p.Color); err != nil {
			return chat.FieldError(chat.EBadRequest, "name_color", "name_color must be a string or null")
		}
	}
	if v, ok := raw["bio"]; ok {
		if err := json.Unmarshal(v, &p.Bio); err != nil || p.Bio == nil {
			return chat.FieldError(chat.EBadRequest, "bio", "bio must be a string")
		}
	}
	set, err := s.Accounts.UpdateSettings(r.Context(), authFrom(r.Context()), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, set)
	return nil
}

func (s *server) putAvatar(w http.ResponseWriter, r *http.Request) error {
	auth := authFrom(r.Context())
	set := s.Settings.Get()
	if err := s.limit(s.limits.avatar, "u:"+strconv.FormatInt(auth.Account.ID, 10), set.RateLimits.AvatarPerHour); err != nil {
		return err
	}
	limit := int64(set.MaxAvatarSizeMB) << 20
	// The multipart envelope gets a little room beyond the file itself.
	r.Body = http.MaxBytesReader(w, r.Body, limit+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return chat.Errorf(chat.EBadRequest, "send the avatar as multipart/form-data with a file field")
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return chat.FieldError(chat.EBadRequest, "file", "no file field in the upload")
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return chat.Errorf(chat.ETooLarge, "an avatar may be at most %d MiB", set.MaxAvatarSizeMB)
		}
		if err != nil {
			return chat.Errorf(chat.EBadRequest, "malformed multipart body")
		}
		if part.FormName() != "file" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, limit+1))
		if errors.As(err, &tooBig) || int64(len(data)) > limit {
			return chat.Errorf(chat.ETooLarge, "an avatar may be at most %d MiB", set.MaxAvatarSizeMB)
		}
		if err != nil {
			return chat.Errorf(chat.EBadRequest, "malformed multipart body")
		}
		u, err := s.Accounts.SetAvatar(r.Context(), auth, data)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, struct {
			User chat.User `json:"user"`
		}{u})
		return nil
	}
}

func (s *server) deleteAvatar(w http.ResponseWriter, r *http.Request) error {
	if err := s.Accounts.DeleteAvatar(r.Context(), authFrom(r.Context())); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) avatar(w http.ResponseWriter, r *http.Request) error {
	av, err := s.Accounts.AvatarOf(r.Context(), mux.Vars(r)["username"])
	if err != nil {
		return err
	}
	f, err := os.Open(av.Path)
	if err != nil {
		return chat.Errorf(chat.ENotFound, "no avatar")
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", av.ContentType)
	if r.URL.Query().Get("v") == strconv.FormatInt(av.Version, 10) {
		w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "private, no-cache")
	}
	http.ServeContent(w, r, "", fi.ModTime(), f)
	return nil
}

func (s *server) users(w http.ResponseWriter, r *http.Request) error {
	us, err := s.Accounts.Users(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, us)
	return nil
}

func (s *server) user(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Accounts.User(r.Context(), mux.Vars(r)["username"])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *server) resetInfo(w http.ResponseWriter, r *http.Request) error {
	if err := s.limit(s.limits.reset, ipKey(r), s.Settings.Get().RateLimits.PasswordResetPerHour); err != nil {
		return err
	}
	t, err := s.Accounts.ResetInfo(r.Context(), mux.Vars(r)["token"])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Username  string `json:"username"`
		ExpiresAt int64  `json:"expires_at"`
	}{t.Username, t.ExpiresAt})
	return nil
}

func (s *server) resetPassword(w http.ResponseWriter, r *http.Request) error {
	if err := s.limit(s.limits.reset, ipKey(r), s.Settings.Get().RateLimits.PasswordResetPerHour); err != nil {
		return err
	}
	var body struct {
		New *string `json:"new_password"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := required("new_password", body.New); err != nil {
		return err
	}
	if err := s.Accounts.ResetPassword(r.Context(), mux.Vars(r)["token"], *body.New, src(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) createToken(w http.ResponseWriter, r *http.Request) error {
	if err := cookieOnly(authFrom(r.Context())); err != nil {
		return err
	}
	var body struct {
		Name *string `json:"name"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := required("name", body.Name); err != nil {
		return err
	}
	t, err := s.Accounts.CreateToken(r.Context(), authFrom(r.Context()), *body.Name, src(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *server) listTokens(w http.ResponseWriter, r *http.Request) error {
	if err := cookieOnly(authFrom(r.Context())); err != nil {
		return err
	}
	ts, err := s.Accounts.Tokens(r.Context(), authFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ts)
	return nil
}

func (s *server) deleteToken(w http.ResponseWriter, r *http.Request) error {
	if err := cookieOnly(authFrom(r.Context())); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Accounts.DeleteToken(r.Context(), authFrom(r.Context()), id, src(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// pathID parses a positive 63-bit integer id from the path; anything else
// never reaches the store.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(mux.Vars(r)[name], 10, 64)
	if err != nil || id <= 0 {
		return 0, chat.Errorf(chat.EBadRequest, "%s must be a positive integer", name)
	}
	return id, nil
}
