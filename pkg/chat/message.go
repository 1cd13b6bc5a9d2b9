package chat

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Message is one message as api.md §2 shows it.
type Message struct {
	ID               int64        `json:"id"`
	ChannelID        int64        `json:"channel_id"`
	Author           string       `json:"author"`
	AuthorDeleted    bool         `json:"author_deleted"`
	Text             string       `json:"text"`
	CreatedAt        int64        `json:"created_at"`
	EditedAt         *int64       `json:"edited_at"`
	Deleted          bool         `json:"deleted"`
	System           bool         `json:"system"`
	ReplyTo          *ReplyRef    `json:"reply_to"`
	Attachments      []Attachment `json:"attachments"`
	Reactions        []Reaction   `json:"reactions"`
	Mentions         []string     `json:"mentions"`
	MentionsEveryone bool         `json:"mentions_everyone"`
	Pinned           bool         `json:"pinned"`
	PinnedBy         *string      `json:"pinned_by"`
	PinnedAt         *int64       `json:"pinned_at"`
	Seq              int64        `json:"seq"`
	ClientID         *string      `json:"client_id"`
}

// ReplyRef is what a reply shows of the message it answers.
type ReplyRef struct {
	ID      int64  `json:"id"`
	Author  string `json:"author"`
	Excerpt string `json:"excerpt"`
	Deleted bool   `json:"deleted"`
}

// GoneReply is what a reply shows of a message its reader cannot see:
// one removed by retention, or one from before the reader joined the
// channel (behavior.md §4.2: such messages are as if they did not exist).
func GoneReply(id int64) *ReplyRef {
	return &ReplyRef{ID: id, Author: DeletedAuthor, Deleted: true}
}

// ForHistoryStart returns m as a member whose history starts after message
// id start sees it: a reply to an older message of the channel (replies
// stay in one channel) keeps its reference but shows nothing of it.
func (m Message) ForHistoryStart(start int64) Message {
	if m.ReplyTo != nil && m.ReplyTo.ID <= start {
		m.ReplyTo = GoneReply(m.ReplyTo.ID)
	}
	return m
}

// Attachment is one file of a message.
type Attachment struct {
	ID          int64   `json:"id"`
	Name        string  `json:"name"`
	Size        int64   `json:"size"`
	ContentType string  `json:"content_type"`
	Image       bool    `json:"image"`
	Width       int     `json:"width"`
	Height      int     `json:"height"`
	URL         *string `json:"url"`
	Deleted     bool    `json:"deleted"`
}

// Reaction is one emoji and who reacted with it, in order.
type Reaction struct {
	Emoji string   `json:"emoji"`
	Users []string `json:"users"`
}

// Limits of behavior.md §5.
const (
	ExcerptMax         = 200
	ClientIDMax        = 64
	MaxFilesPerMessage = 10
	MaxReactionEmojis  = 30
	MaxPinsPerChannel  = 50
)

// NormalizeText applies §5.1: trailing spaces, tabs, CR and LF removed;
// NUL refused; at most maxLen characters. Empty text is allowed here (a
// message may be files only); the caller decides.
func NormalizeText(text string, maxLen int) (string, error) {
	text = strings.TrimRight(text, " \t\r\n")
	if strings.ContainsRune(text, 0) {
		return "", FieldError(EBadRequest, "text", "text may not contain NUL characters")
	}
	if !utf8.ValidString(text) {
		return "", FieldError(EBadRequest, "text", "text must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(text); n > maxLen {
		return "", FieldError(EBadRequest, "text", "a message has at most %d characters (this one has %d)", maxLen, n)
	}
	return text, nil
}

// ValidClientID reports whether a client_id is 1–64 printable ASCII
// characters.
func ValidClientID(id string) bool {
	if id == "" || len(id) > ClientIDMax {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x20 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// Excerpt is a reply's view of the text it answers: the text when it has at
// most 200 characters, else its first 200 followed by "…".
func Excerpt(text string) string {
	if utf8.RuneCountInString(text) <= ExcerptMax {
		return text
	}
	r := []rune(text)
	return string(r[:ExcerptMax]) + "…"
}

// isNameChar is a character of a username run in a mention.
func isNameChar(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
}

// MentionRuns returns the names after each @ that starts a mention
// (behavior.md §5.3): the @ begins the text or follows a character that is
// not a letter, digit, _, @ or /, so e-mail addresses and paths are not
// mentions. Names are returned as written, in order, with repeats.
func MentionRuns(text string) []string {
	var out []string
	prev := rune(-1)
	for i, r := range text {
		if r == '@' && (prev == -1 || !(unicode.IsLetter(prev) || unicode.IsDigit(prev) || prev == '_' || prev == '@' || prev == '/')) {
			j := i + 1
			for j < len(text) && isNameChar(rune(text[j])) {
				j++
			}
			if j > i+1 {
				out = append(out, text[i+1:j])
			}
		}
		prev = r
	}
	return out
}

// Mentions resolves a text's mention runs against the readers of its
// channel (canonical spellings keyed by UsernameKey): matches once each in
// order of first appearance, and whether @everyone appears.
func Mentions(text string, readers map[string]string) (names []string, everyone bool) {
	seen := map[string]bool{}
	for _, run := range MentionRuns(text) {
		key := UsernameKey(run)
		if key == "everyone" {
			everyone = true
			continue
		}
		if canon, ok := readers[key]; ok && !seen[key] {
			seen[key] = true
			names = append(names, canon)
		}
	}
	return names, everyone
}
