package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/chatsvc"
	"github.com/minimost/minimost/pkg/media"
	"github.com/minimost/minimost/pkg/store"
)

// chatRoutes lists the channel, message, search and file routes.
func (s *server) chatRoutes(api *mux.Router) {
	h := func(f handlerFunc) http.Handler { return s.handle(s.withAuth(f)) }
	api.Handle("/channels", h(s.listChannels)).Methods(http.MethodGet)
	api.Handle("/channels", h(s.createChannel)).Methods(http.MethodPost)
	api.Handle("/dms", h(s.openDM)).Methods(http.MethodPost)
	api.Handle("/channels/{id}", h(s.getChannel)).Methods(http.MethodGet)
	api.Handle("/channels/{id}", h(s.renameChannel)).Methods(http.MethodPatch)
	api.Handle("/channels/{id}/members", h(s.listMembers)).Methods(http.MethodGet)
	api.Handle("/channels/{id}/members", h(s.addMember)).Methods(http.MethodPost)
	api.Handle("/channels/{id}/members/me", h(s.leaveChannel)).Methods(http.MethodDelete)
	api.Handle("/channels/{id}/hide", h(s.hideChannel)).Methods(http.MethodPost)
	api.Handle("/channels/{id}/read", h(s.markRead)).Methods(http.MethodPost)
	api.Handle("/channels/{id}/read-receipts", h(s.readReceipts)).Methods(http.MethodGet)
	api.Handle("/channels/{id}/pins", h(s.listPins)).Methods(http.MethodGet)
	api.Handle("/channels/{id}/typing", h(s.typingNow)).Methods(http.MethodGet)
	api.Handle("/channels/{id}/messages", h(s.history)).Methods(http.MethodGet)
	api.Handle("/channels/{id}/messages", h(s.postMessage)).Methods(http.MethodPost)
	api.Handle("/messages/{id}", h(s.getMessage)).Methods(http.MethodGet)
	api.Handle("/messages/{id}", h(s.editMessage)).Methods(http.MethodPatch)
	api.Handle("/messages/{id}", h(s.deleteMessage)).Methods(http.MethodDelete)
	api.Handle("/messages/{id}/reactions/{emoji}", h(s.react(true))).Methods(http.MethodPut)
	api.Handle("/messages/{id}/reactions/{emoji}", h(s.react(false))).Methods(http.MethodDelete)
	api.Handle("/messages/{id}/pin", h(s.pin(true))).Methods(http.MethodPut)
	api.Handle("/messages/{id}/pin", h(s.pin(false))).Methods(http.MethodDelete)
	api.Handle("/search", h(s.search)).Methods(http.MethodGet)
	api.Handle("/mentions", h(s.mentions)).Methods(http.MethodGet)
	api.Handle("/files/{id}/{name}", h(s.file)).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/channels/{id}/hooks", h(s.createHook)).Methods(http.MethodPost)
	api.Handle("/channels/{id}/hooks", h(s.listHooks)).Methods(http.MethodGet)
	api.Handle("/channels/{id}/hooks/{hook_id}", h(s.deleteHook)).Methods(http.MethodDelete)
	api.Handle("/hooks/{token}", s.handle(s.public(s.postHook))).Methods(http.MethodPost)
	api.Handle("/rtc-config", h(s.rtcConfig)).Methods(http.MethodGet)
}

func chatUser(r *http.Request) chatsvc.User {
	a := authFrom(r.Context()).Account
	return chatsvc.User{ID: a.ID, Username: a.Username}
}

func userKey(r *http.Request) string {
	return "u:" + strconv.FormatInt(authFrom(r.Context()).Account.ID, 10)
}

func (s *server) listChannels(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.Chat.Channels(r.Context(), chatUser(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cs)
	return nil
}

type channelBody struct {
	Name    *string   `json:"name"`
	Members *[]string `json:"members"`
}

func (s *server) createChannel(w http.ResponseWriter, r *http.Request) error {
	var b channelBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if err := required("name", b.Name); err != nil {
		return err
	}
	var members []string
	if b.Members != nil {
		members = *b.Members
	}
	if err := s.limit(s.limits.createChannel, userKey(r), s.Settings.Get().RateLimits.CreateChannelPerHour); err != nil {
		return err
	}
	c, err := s.Chat.CreatePrivate(r.Context(), chatUser(r), *b.Name, members)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *server) openDM(w http.ResponseWriter, r *http.Request) error {
	var b channelBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if b.Members == nil {
		return chat.FieldError(chat.EBadRequest, "members", "members is required")
	}
	// Only a creation counts toward the limit: opening an existing DM
	// is free.
	c, created, err := s.Chat.OpenDMLimited(r.Context(), chatUser(r), *b.Members, func() error {
		return s.limit(s.limits.createChannel, userKey(r), s.Settings.Get().RateLimits.CreateChannelPerHour)
	})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, c)
	return nil
}

func (s *server) getChannel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.Chat.Channel(r.Context(), chatUser(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *server) renameChannel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b channelBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if err := required("name", b.Name); err != nil {
		return err
	}
	c, err := s.Chat.Rename(r.Context(), chatUser(r), id, *b.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *server) listMembers(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	names, err := s.Chat.Members(r.Context(), chatUser(r), id)
	if err != nil {
		return err
	}
	out := make([]chat.User, 0, len(names))
	for _, n := range names {
		u, err := s.Accounts.User(r.Context(), n)
		if err != nil {
			return err
		}
		out = append(out, u)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) addMember(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b struct {
		Username *string `json:"username"`
	}
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if err := required("username", b.Username); err != nil {
		return err
	}
	if err := s.Chat.AddMember(r.Context(), chatUser(r), id, *b.Username); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) leaveChannel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Chat.Leave(r.Context(), chatUser(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) hideChannel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Chat.Hide(r.Context(), chatUser(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) markRead(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b struct {
		MessageID *int64 `json:"message_id"`
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, &b); err != nil {
			return err
		}
	}
	var mid int64
	if b.MessageID != nil {
		if *b.MessageID <= 0 {
			return chat.FieldError(chat.EBadRequest, "message_id", "message_id must be a message id")
		}
		mid = *b.MessageID
	}
	if err := s.Chat.MarkRead(r.Context(), chatUser(r), id, mid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) readReceipts(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rr, err := s.Chat.ReadReceipts(r.Context(), chatUser(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rr)
	return nil
}

func (s *server) listPins(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ms, err := s.Chat.Pins(r.Context(), chatUser(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ms)
	return nil
}

func (s *server) typingNow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	names, err := s.Chat.TypingNow(r.Context(), chatUser(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, names)
	return nil
}

// queryInt reads an optional integer parameter within [lo, hi].
func queryInt(q url.Values, name string, lo, hi int64) (int64, bool, error) {
	v := q.Get(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, false, chat.FieldError(chat.EBadRequest, name, "%s must be an integer from %d to %d", name, lo, hi)
	}
	return n, true, nil
}

const maxID = 1<<63 - 1

func (s *server) history(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	pq := store.PageQuery{Limit: 50}
	if l, ok, err := queryInt(q, "limit", 1, 200); err != nil {
		return err
	} else if ok {
		pq.Limit = int(l)
	}
	modes := 0
	for _, p := range []struct {
		name string
		dst  *int64
		has  *bool
		lo   int64
	}{{"before", &pq.Before, nil, 1}, {"around", &pq.Around, nil, 1}, {"after", &pq.After, &pq.HasAfter, 0}, {"since_seq", &pq.SinceSeq, &pq.HasSinceSeq, 0}} {
		v, ok, err := queryInt(q, p.name, p.lo, maxID)
		if err != nil {
			return err
		}
		if ok {
			modes++
			*p.dst = v
			if p.has != nil {
				*p.has = true
			}
		}
	}
	if modes > 1 {
		return chat.Errorf(chat.EBadRequest, "give at most one of before, around, after and since_seq")
	}
	page, err := s.Chat.History(r.Context(), chatUser(r), id, pq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// maxFiles is the most files one message request carries.
const maxFiles = chat.MaxFilesPerMessage

func (s *server) postMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	set := s.Settings.Get()
	if err := s.limit(s.limits.messages, userKey(r), set.RateLimits.MessagesPer10s); err != nil {
		return err
	}
	in := chatsvc.PostInput{ChannelID: id}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		if err := s.readMultipart(w, r, &in); err != nil {
			s.Chat.DiscardUploads(in.Files)
			return err
		}
	} else {
		var b struct {
			Text     *string `json:"text"`
			ReplyTo  *int64  `json:"reply_to"`
			ClientID *string `json:"client_id"`
		}
		if err := decode(w, r, &b); err != nil {
			return err
		}
		if b.Text != nil {
			in.Text = *b.Text
		}
		if b.ReplyTo != nil {
			in.ReplyTo = *b.ReplyTo
		}
		if b.ClientID != nil {
			in.ClientID = *b.ClientID
		}
	}
	ms, err := s.Chat.Post(r.Context(), chatUser(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		Messages []chat.Message `json:"messages"`
	}{ms})
	return nil
}

// readMultipart streams a multipart message: fields text, reply_to,
// client_id and up to ten files, each saved as it arrives, so memory stays
// flat whatever the size. The body cap is checked while reading.
func (s *server) readMultipart(w http.ResponseWriter, r *http.Request, in *chatsvc.PostInput) error {
	set := s.Settings.Get()
	perFile := int64(set.MaxUploadSizeMB) << 20
	r.Body = http.MaxBytesReader(w, r.Body, perFile*maxFiles+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return chat.Errorf(chat.EBadRequest, "malformed multipart body")
	}
	tooBig := func() error {
		return chat.Errorf(chat.ETooLarge, "a file may be at most %d MiB", set.MaxUploadSizeMB)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooBig()
		}
		if err != nil {
			return chat.Errorf(chat.EBadRequest, "malformed multipart body")
		}
		switch part.FormName() {
		case "file":
			if len(in.Files) == maxFiles {
				return chat.FieldError(chat.EBadRequest, "file", "at most %d files per message", maxFiles)
			}
			if err := s.limit(s.limits.uploads, userKey(r), set.RateLimits.UploadsPerMinute); err != nil {
				return err
			}
			f, err := s.Chat.SaveUpload(part, part.FileName(), perFile)
			if errors.Is(err, chatsvc.ErrTooLarge) || errors.As(err, &mbe) {
				return tooBig()
			}
			if err != nil {
				return err
			}
			in.Files = append(in.Files, f)
		case "text", "reply_to", "client_id":
			b, err := io.ReadAll(io.LimitReader(part, 1<<20))
			if err != nil {
				return chat.Errorf(chat.EBadRequest, "malformed multipart body")
			}
			v := string(b)
			switch part.FormName() {
			case "text":
				in.Text = v
			case "client_id":
				in.ClientID = v
			case "reply_to":
				n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				if err != nil || n <= 0 {
					return chat.FieldError(chat.EBadRequest, "reply_to", "reply_to must be a message id")
				}
				in.ReplyTo = n
			}
		}
	}
}

func (s *server) messageID(r *http.Request) (int64, error) { return pathID(r, "id") }

func (s *server) getMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := s.messageID(r)
	if err != nil {
		return err
	}
	m, err := s.Chat.Message(r.Context(), chatUser(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *server) editMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := s.messageID(r)
	if err != nil {
		return err
	}
	var b struct {
		Text *string `json:"text"`
	}
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if err := required("text", b.Text); err != nil {
		return err
	}
	m, err := s.Chat.Edit(r.Context(), chatUser(r), id, *b.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *server) deleteMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := s.messageID(r)
	if err != nil {
		return err
	}
	if err := s.Chat.Delete(r.Context(), chatUser(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) react(add bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := s.messageID(r)
		if err != nil {
			return err
		}
		m, err := s.Chat.React(r.Context(), chatUser(r), id, mux.Vars(r)["emoji"], add)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, m)
		return nil
	}
}

func (s *server) pin(pin bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := s.messageID(r)
		if err != nil {
			return err
		}
		m, err := s.Chat.Pin(r.Context(), chatUser(r), id, pin)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, m)
		return nil
	}
}

func (s *server) search(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	sq := store.SearchQuery{Q: strings.TrimSpace(q.Get("q")), Limit: 50}
	if len([]rune(sq.Q)) > chat.SearchQueryMax {
		return chat.FieldError(chat.EBadRequest, "q", "a search has at most %d characters", chat.SearchQueryMax)
	}
	var err error
	var ok bool
	if sq.ChannelID, _, err = queryInt(q, "channel_id", 1, maxID); err != nil {
		return err
	}
	if sq.After, _, err = queryInt(q, "after", 0, maxID); err != nil {
		return err
	}
	if sq.Before, _, err = queryInt(q, "before", 0, maxID); err != nil {
		return err
	}
	var l int64
	if l, ok, err = queryInt(q, "limit", 1, 200); err != nil {
		return err
	} else if ok {
		sq.Limit = int(l)
	}
	if q.Has("from") {
		sq.From, sq.HasFrom = q.Get("from"), true
	}
	results := []chatsvc.SearchResult{}
	if sq.Q != "" || sq.HasFrom || sq.After > 0 || sq.Before > 0 {
		if results, err = s.Chat.Search(r.Context(), chatUser(r), sq); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Results []chatsvc.SearchResult `json:"results"`
	}{results})
	return nil
}

func (s *server) mentions(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.Chat.Mentions(r.Context(), chatUser(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ms)
	return nil
}

// fileCSP keeps a downloaded file from running anything even if a browser
// were to render it.
const fileCSP = "sandbox; default-src 'none'"

func (s *server) file(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return chat.Errorf(chat.ENotFound, "no such file")
	}
	f, path, err := s.Chat.File(r.Context(), chatUser(r), id)
	if err != nil {
		return err
	}
	if mux.Vars(r)["name"] != f.Name {
		return chat.Errorf(chat.ENotFound, "no such file")
	}
	fh, err := os.Open(path)
	if err != nil {
		return chat.Errorf(chat.ENotFound, "no such file")
	}
	defer fh.Close()
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Disposition", media.ContentDisposition(f.Image, f.Name))
	h.Set("Content-Security-Policy", fileCSP)
	h.Set("Cache-Control", "private, max-age=86400")
	h.Set("ETag", `"`+f.SHA256+`"`)
	http.ServeContent(w, r, "", time.Time{}, fh)
	return nil
}
