package httpapi

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/minimost/minimost/pkg/accounts"
	"github.com/minimost/minimost/pkg/audit"
	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/chatsvc"
)

// hookPrefix starts every hook token, so a leaked one is recognisable.
const hookPrefix = "mmh_"

func (s *server) createHook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b struct {
		Name *string `json:"name"`
	}
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if err := required("name", b.Name); err != nil {
		return err
	}
	name := strings.TrimSpace(*b.Name)
	if n := utf8.RuneCountInString(name); n < 1 || n > 64 || chat.HasControl(name) {
		return chat.FieldError(chat.EBadRequest, "name", "a hook name has 1 to 64 characters")
	}
	token := hookPrefix + accounts.Secret()
	h, err := s.Chat.DB().CreateHook(r.Context(), chatUser(r).ID, id, name, accounts.Digest(token))
	if err != nil {
		return err
	}
	s.Audit.Record(audit.Event{Kind: audit.HookCreate, Success: true, User: h.CreatedBy, Src: src(r), Detail: name})
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": h.ID, "name": h.Name, "channel_id": h.ChannelID, "token": token, "url": "/api/v1/hooks/" + token,
	})
	return nil
}

func (s *server) listHooks(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	hs, err := s.Chat.DB().Hooks(r.Context(), chatUser(r).ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hs)
	return nil
}

func (s *server) deleteHook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	hookID, err := pathID(r, "hook_id")
	if err != nil {
		return err
	}
	if err := s.Chat.DB().DeleteHook(r.Context(), chatUser(r).ID, id, hookID); err != nil {
		return err
	}
	s.Audit.Record(audit.Event{Kind: audit.HookDelete, Success: true, User: chatUser(r).Username, Src: src(r)})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// postHook is the public incoming-webhook endpoint: the message is posted
// as the hook's creator with all the normal rules and events.
func (s *server) postHook(w http.ResponseWriter, r *http.Request) error {
	h, a, err := s.Chat.DB().HookByHash(r.Context(), accounts.Digest(mux.Vars(r)["token"]))
	if err != nil {
		if chat.ErrorCode(err) == chat.ENotFound {
			return chat.Errorf(chat.ENotFound, "no such hook")
		}
		return err
	}
	if a.AdminLocked {
		return chat.Errorf(chat.EForbidden, "the hook's owner is locked")
	}
	if err := s.limit(s.limits.messages, "u:"+strconv.FormatInt(a.ID, 10), s.Settings.Get().RateLimits.MessagesPer10s); err != nil {
		return err
	}
	var b struct {
		Text     *string `json:"text"`
		ClientID *string `json:"client_id"`
	}
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if err := required("text", b.Text); err != nil {
		return err
	}
	in := chatsvc.PostInput{ChannelID: h.ChannelID, Text: *b.Text}
	if b.ClientID != nil {
		in.ClientID = *b.ClientID
	}
	ms, err := s.Chat.Post(r.Context(), chatsvc.User{ID: a.ID, Username: a.Username}, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		Messages []chat.Message `json:"messages"`
	}{ms})
	return nil
}

// rtcConfig names the STUN responder at the host the client reached us on
// (behavior.md §11.4).
func (s *server) rtcConfig(w http.ResponseWriter, r *http.Request) error {
	host := r.Host
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	stun := "stun:" + net.JoinHostPort(host, strconv.Itoa(s.StunPort))
	writeJSON(w, http.StatusOK, map[string]any{"ice_servers": []map[string]any{{"urls": []string{stun}}}})
	return nil
}
