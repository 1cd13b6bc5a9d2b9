package chatsvc

import (
	"context"
	"encoding/json"

	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/hub"
	"github.com/minimost/minimost/pkg/version"
)

// The service is the hub's Handler: it greets streams, takes their frames
// and tracks presence.
var _ hub.Handler = (*Service)(nil)

func hubEvent(typ string, perUser func(int64) (any, bool)) hub.Event {
	return hub.Event{Frame: hub.Frame{Type: typ}, PerUser: perUser}
}

// Hello is the first frame of a stream (api.md §4).
func (s *Service) Hello(c *hub.Conn) hub.Frame {
	ctx := context.Background()
	data := map[string]any{"server_version": version.Version}
	if u, err := s.accounts.User(ctx, c.Client.Username); err == nil {
		u.Presence = s.ownState(c.Client.UserID)
		data["user"] = u
	}
	if seq, err := s.db.CurrentSeq(ctx); err == nil {
		data["seq"] = seq
	}
	if pm, err := s.PresenceMap(ctx, c.Client.UserID); err == nil {
		data["presence"] = pm
	}
	return hub.Frame{Type: "hello", Data: data}
}

// Opened counts a new stream for presence.
func (s *Service) Opened(c *hub.Conn) { s.streamOpened(c.Client.UserID, c.Client.Username) }

// Closed starts the offline grace when it was the user's last stream.
func (s *Service) Closed(c *hub.Conn) { s.streamClosed(c.Client.UserID, c.Client.Username) }

// Frame handles a client frame; false marks it bad.
func (s *Service) Frame(c *hub.Conn, typ string, data json.RawMessage) bool {
	u := User{ID: c.Client.UserID, Username: c.Client.Username}
	switch typ {
	case "typing":
		var d struct {
			ChannelID int64 `json:"channel_id"`
		}
		if json.Unmarshal(data, &d) != nil || d.ChannelID <= 0 {
			return false
		}
		s.Typing(context.Background(), u, d.ChannelID)
		return true
	case "presence":
		var d struct {
			State string `json:"state"`
		}
		if json.Unmarshal(data, &d) != nil {
			return false
		}
		switch d.State {
		case chat.PresenceActive, chat.PresenceIdle, chat.PresenceHidden, chat.PresenceOffline:
			// A backgrounded tab's hidden or offline counts as idle (the
			// hub's SetPresence does that); anything else is a bad field,
			// ignored like every bad frame (behavior.md §10.3).
		default:
			return false
		}
		if c.SetPresence(d.State) {
			s.presenceChanged(u.ID, u.Username)
		}
		return true
	case "call.signal", "screenshare.signal":
		// Relayed only between participants of a live call or share;
		// without one there is nobody to relay to, so the frame is
		// dropped silently (behavior.md §11.3).
		var d struct {
			To   string          `json:"to"`
			Data json.RawMessage `json:"data"`
		}
		return json.Unmarshal(data, &d) == nil && d.To != ""
	}
	return false
}

// UserUpdated tells everyone about a new or changed account.
func (s *Service) UserUpdated(u chat.User) {
	s.hub.PublishAll(hub.Event{Frame: hub.Frame{Type: "user.updated", Data: map[string]any{"user": u}}})
}

// UserDeleted tells everyone an account is gone.
func (s *Service) UserDeleted(username, mode string) {
	s.hub.PublishAll(hub.Event{Frame: hub.Frame{Type: "user.deleted", Data: map[string]string{"username": username, "mode": mode}}})
}

// TokenRevoked ends the streams of a deleted bot token.
func (s *Service) TokenRevoked(tokenID int64) { s.hub.RevokeToken(tokenID) }

// SessionsEnded revokes the streams of ended sessions.
func (s *Service) SessionsEnded(hashes [][]byte) { s.hub.RevokeSessions(hashes) }
