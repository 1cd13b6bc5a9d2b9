package httpapi

import (
	"net/http"

	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/hub"
)

// ws upgrades to the event stream after the checks of behavior.md §10.1,
// in order: Origin, authentication, the per-user stream cap (in Accept).
func (s *server) ws(w http.ResponseWriter, r *http.Request) error {
	if !s.Hub.OriginOK(r) {
		return chat.Errorf(chat.EForbidden, "cross-origin stream refused")
	}
	auth, err := s.authenticate(r)
	if err != nil {
		return err
	}
	if auth == nil {
		return chat.Errorf(chat.EUnauthenticated, "not logged in")
	}
	c := hub.Client{UserID: auth.Account.ID, Username: auth.Account.Username}
	if auth.Session != nil {
		// A browser always sends Origin on a WebSocket; its absence with a
		// cookie means a non-browser replaying a stolen cookie.
		if r.Header.Get("Origin") == "" {
			return chat.Errorf(chat.EForbidden, "a cookie-authenticated stream needs an Origin header")
		}
		c.SessionHash = auth.Session.IDHash
	} else {
		c.TokenID = auth.Token.ID
	}
	s.Hub.Accept(w, r, c, s.Settings.Get().MaxEventStreamsPerUser)
	return nil
}

func (s *server) presence(w http.ResponseWriter, r *http.Request) error {
	pm, err := s.Chat.PresenceMap(r.Context(), authFrom(r.Context()).Account.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pm)
	return nil
}

func (s *server) presenceOverride(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		State *string `json:"state"`
	}
	if err := decode(w, r, &b); err != nil {
		return err
	}
	state := ""
	if b.State != nil {
		if *b.State == "" {
			return chat.FieldError(chat.EBadRequest, "state", `state is "active", "idle", "hidden" or null`)
		}
		state = *b.State
	}
	if err := s.Chat.SetOverride(r.Context(), chatUser(r), state); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
