package chatsvc

import (
	"context"
	"sync"
	"time"

	"github.com/minimost/minimost/pkg/chat"
)

// offlineGrace hides reconnects: a user whose last stream closed is shown
// offline only if none reopens within it (behavior.md §9.1).
const offlineGrace = 30 * time.Second

// presence holds manual overrides and users in their offline grace.
type presence struct {
	mu        sync.Mutex
	overrides map[int64]string
	grace     map[int64]*time.Timer
	// shown is the state everyone else last saw, to publish changes only.
	shown map[int64]string
	// own is the state the user last saw of themself.
	own map[int64]string
	// graceFor is offlineGrace; tests shorten it.
	graceFor time.Duration
}

func newPresence() *presence {
	return &presence{overrides: map[int64]string{}, grace: map[int64]*time.Timer{}, shown: map[int64]string{}, own: map[int64]string{},
		graceFor: offlineGrace}
}

// ownState is a user's presence as they see it themself.
func (s *Service) ownState(userID int64) string {
	p := s.presence
	p.mu.Lock()
	_, inGrace := p.grace[userID]
	override := p.overrides[userID]
	p.mu.Unlock()
	if s.hub == nil || !s.hub.Online(userID) && !inGrace {
		return chat.PresenceOffline
	}
	if override != "" {
		return override
	}
	if s.hub.AnyActive(userID) {
		return chat.PresenceActive
	}
	if inGrace && !s.hub.Online(userID) {
		return p.lastOwn(userID)
	}
	return chat.PresenceIdle
}

func (p *presence) lastOwn(userID int64) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.own[userID]; ok {
		return st
	}
	return chat.PresenceActive
}

// PublicState is a user's presence as others see it: hidden reads offline.
func (s *Service) PublicState(userID int64) string {
	st := s.ownState(userID)
	if st == chat.PresenceHidden {
		return chat.PresenceOffline
	}
	return st
}

// StateFor is userID's presence as viewer sees it.
func (s *Service) StateFor(viewer, userID int64) string {
	if viewer == userID {
		return s.ownState(userID)
	}
	return s.PublicState(userID)
}

// presenceChanged publishes a user's state to everyone whose view of it
// changed: others see hidden as offline, the user's own streams see it.
func (s *Service) presenceChanged(userID int64, username string) {
	own, public := s.ownState(userID), s.PublicState(userID)
	p := s.presence
	p.mu.Lock()
	ownChanged := p.own[userID] != own
	publicChanged := p.shown[userID] != public
	p.own[userID], p.shown[userID] = own, public
	p.mu.Unlock()
	if !ownChanged && !publicChanged {
		return
	}
	s.hub.PublishAll(hubEvent("presence", func(viewer int64) (any, bool) {
		if viewer == userID {
			return map[string]string{"username": username, "state": own}, ownChanged
		}
		return map[string]string{"username": username, "state": public}, publicChanged
	}))
}

// SetOverride is PUT /me/presence-override; "" clears it.
func (s *Service) SetOverride(ctx context.Context, u User, state string) error {
	switch state {
	case "", chat.PresenceActive, chat.PresenceIdle, chat.PresenceHidden:
	default:
		return chat.FieldError(chat.EBadRequest, "state", `state is "active", "idle", "hidden" or null`)
	}
	s.presence.mu.Lock()
	if state == "" {
		delete(s.presence.overrides, u.ID)
	} else {
		s.presence.overrides[u.ID] = state
	}
	s.presence.mu.Unlock()
	s.presenceChanged(u.ID, u.Username)
	return nil
}

// ClearOverride drops a user's override when their last session ends.
func (s *Service) ClearOverride(userID int64, username string) {
	s.presence.mu.Lock()
	_, had := s.presence.overrides[userID]
	delete(s.presence.overrides, userID)
	s.presence.mu.Unlock()
	if had {
		s.presenceChanged(userID, username)
	}
}

// PresenceMap maps every live account to its state as viewer sees it.
func (s *Service) PresenceMap(ctx context.Context, viewer int64) (map[string]string, error) {
	accts, err := s.db.Accounts(ctx, s.now().UnixMilli())
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(accts))
	for _, a := range accts {
		out[a.Username] = s.StateFor(viewer, a.ID)
	}
	return out, nil
}

// streamOpened ends a pending offline grace.
func (s *Service) streamOpened(userID int64, username string) {
	s.presence.mu.Lock()
	if t, ok := s.presence.grace[userID]; ok {
		t.Stop()
		delete(s.presence.grace, userID)
	}
	s.presence.mu.Unlock()
	s.presenceChanged(userID, username)
}

// streamClosed starts the offline grace when the user's last stream went.
func (s *Service) streamClosed(userID int64, username string) {
	if s.hub.Online(userID) {
		s.presenceChanged(userID, username)
		return
	}
	s.presence.mu.Lock()
	if t, ok := s.presence.grace[userID]; ok {
		t.Stop()
	}
	s.presence.grace[userID] = time.AfterFunc(s.presence.graceFor, func() {
		s.presence.mu.Lock()
		delete(s.presence.grace, userID)
		s.presence.mu.Unlock()
		s.presenceChanged(userID, username)
	})
	s.presence.mu.Unlock()
}
