// Package chatsvc holds the chat rules that need the store and the live
// streams: posting and changing messages, channels and membership, read
// state, typing and presence, uploads, and the events each change
// publishes to exactly the users allowed to see it.
package chatsvc

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/minimost/minimost/pkg/accounts"
	"github.com/minimost/minimost/pkg/config"
	"github.com/minimost/minimost/pkg/hub"
	"github.com/minimost/minimost/pkg/store"
)

// Event is one frame for the live streams.
type Event struct {
	Type string
	Seq  int64
	Data any
}

// publisher hands events to the hub, in commit order, never blocking.
type publisher struct{ s *Service }

func (p publisher) event(ev Event) hub.Event {
	he := hub.Event{Frame: hub.Frame{Type: ev.Type, Seq: ev.Seq, Data: ev.Data}}
	if pc, ok := ev.Data.(perUserChannel); ok {
		he.PerUser = func(userID int64) (any, bool) {
			c, err := p.s.db.ChannelFor(context.Background(), userID, "", pc.id)
			if err != nil {
				return nil, false
			}
			return map[string]any{"channel": c}, true
		}
	}
	return he
}

func (p publisher) Publish(ev Event, userIDs []int64) {
	if len(userIDs) > 0 {
		p.s.hub.Publish(p.event(ev), userIDs)
	}
}

func (p publisher) PublishAll(ev Event) { p.s.hub.PublishAll(p.event(ev)) }

// Options build a Service.
type Options struct {
	DB       *store.DB
	Settings *config.Live
	Accounts *accounts.Service
	// UploadsDir is <state>/uploads.
	UploadsDir string
	Logger     *slog.Logger
	Now        func() time.Time
}

// Service is the chat over a store and a publisher.
type Service struct {
	db       *store.DB
	settings *config.Live
	accounts *accounts.Service
	hub      *hub.Hub
	events   publisher
	uploads  string
	log      *slog.Logger
	now      func() time.Time

	typingMu sync.Mutex
	// typing: channel → user id → expiry.
	typing map[int64]map[int64]typist

	presence *presence
}

// DB is the store, for the routes that are storage alone (hooks).
func (s *Service) DB() *store.DB { return s.db }

// SetHub connects the service to the live streams. The hub needs the
// service as its Handler, so it is made after the service and handed
// back here before anything is published.
func (s *Service) SetHub(h *hub.Hub) { s.hub = h }

type typist struct {
	name    string
	expires time.Time
	last    time.Time
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{db: o.DB, settings: o.Settings, accounts: o.Accounts, uploads: o.UploadsDir, log: o.Logger, now: o.Now,
		typing: map[int64]map[int64]typist{}, presence: newPresence()}
	s.events = publisher{s}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// User is the caller as the chat needs it.
type User struct {
	ID       int64
	Username string
}

// ids lists the user ids of members who may see message id.
func seeing(rs []store.Member, messageID int64) []int64 {
	out := make([]int64, 0, len(rs))
	for _, r := range rs {
		if messageID > r.HistoryStart {
			out = append(out, r.UserID)
		}
	}
	return out
}

func allIDs(rs []store.Member) []int64 {
	out := make([]int64, len(rs))
	for i, r := range rs {
		out[i] = r.UserID
	}
	return out
}

// SyncChannels makes the public channels match settings (at start and on
// reload) and announces additions and removals to everyone.
func (s *Service) SyncChannels(ctx context.Context) error {
	ch, err := s.db.SyncPublicChannels(ctx, s.settings.Get().Channels)
	if err != nil {
		return err
	}
	for _, id := range ch.Added {
		id := id
		s.events.PublishAll(Event{Type: "channel.created", Data: perUserChannel{s: s, id: id}})
	}
	for _, id := range ch.Removed {
		s.events.PublishAll(Event{Type: "channel.removed", Data: map[string]int64{"channel_id": id}})
	}
	return nil
}

// perUserChannel marks channel data the publisher renders per viewer.
type perUserChannel struct {
	s  *Service
	id int64
}
