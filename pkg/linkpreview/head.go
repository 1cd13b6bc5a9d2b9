package linkpreview

import (
	"bytes"
	"html"
	"mime"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Length caps, in characters, of what a preview shows. site_name has no cap
// of its own in the rules; it gets the title's, since it is shown on one line
// as well.
const (
	maxTitle       = 200
	maxDescription = 500
	maxSiteName    = 200
)

// pageMeta is what a page's head says about it, as plain text ready to show,
// except Image, which is still an unresolved reference.
type pageMeta struct {
	Title       string
	Description string
	SiteName    string
	Image       string
}

// rawHead collects the undecoded bytes of interest while scanning, because
// the charset that decodes them may be declared after them.
type rawHead struct {
	title    []byte
	hasTitle bool
	meta     map[string][]byte
	charset  string
}

// metaKeys are the <meta> names and properties a preview reads.
var metaKeys = map[string]bool{
	"og:title":            true,
	"twitter:title":       true,
	"og:description":      true,
	"twitter:description": true,
	"description":         true,
	"og:site_name":        true,
	"og:image":            true,
	"og:image:url":        true,
	"og:image:secure_url": true,
	"twitter:image":       true,
	"twitter:image:src":   true,
}

// rawTextTags hold text that is not markup; a "<meta" inside a script is
// not a meta element, so their content is skipped whole.
var rawTextTags = map[string]bool{
	"script": true, "style": true, "template": true, "noscript": true,
	"textarea": true, "xmp": true, "iframe": true, "noembed": true,
	"noframes": true, "plaintext": true,
}

// parseHead reads the preview fields from the start of an HTML document.
// headerCharset is the charset parameter of the response's Content-Type, if
// any. done reports that the head ended (</head>, <body>, </body> or
// </html>) within b, so reading more of the document cannot change the
// result.
//
// The scanner is deliberately forgiving rather than a full HTML parser: it
// only needs <title> and <meta> in the head, and every malformed or cut-off
// construct simply ends the scan with what was found so far.
func parseHead(b []byte, headerCharset string) (m pageMeta, done bool) {
	raw := rawHead{meta: map[string][]byte{}}
	done = scanHead(b, &raw)
	cs := headerCharset
	if cs == "" {
		cs = raw.charset
	}
	// A byte order mark outranks every declaration, as in browsers.
	if bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		cs = "utf-8"
	}
	dec := decoderFor(cs)
	text := func(limit int, keys ...string) string {
		for _, k := range keys {
			if v, ok := raw.meta[k]; ok {
				if s := cleanLine(html.UnescapeString(dec(v)), limit); s != "" {
					return s
				}
			}
		}
		return ""
	}
	m.Title = text(maxTitle, "og:title", "twitter:title")
	if m.Title == "" && raw.hasTitle {
		m.Title = cleanLine(html.UnescapeString(dec(raw.title)), maxTitle)
	}
	m.Description = text(maxDescription, "og:description", "twitter:description", "description")
	m.SiteName = text(maxSiteName, "og:site_name")
	for _, k := range []string{"og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"} {
		if v, ok := raw.meta[k]; ok {
			// A URL that had to be cut would point somewhere else, so an
			// over-long one is dropped, not shortened.
			if s := cleanLine(html.UnescapeString(dec(v)), maxURLLength+1); s != "" && utf8.RuneCountInString(s) <= maxURLLength {
				m.Image = s
				break
			}
		}
	}
	return m, done
}

// scanHead walks the markup of b, filling raw, and reports whether the head
// ended within b.
func scanHead(b []byte, raw *rawHead) bool {
	i := 0
	for i < len(b) {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			return false
		}
		i += j
		rest := b[i:]
		if len(rest) < 2 {
			return false
		}
		switch c := rest[1]; {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("-->"))
			if end < 0 {
				return false
			}
			i += 4 + end + 3
		case c == '!' || c == '?':
			end := bytes.IndexByte(rest, '>')
			if end < 0 {
				return false
			}
			i += end + 1
		case c == '/':
			name, _ := tagName(rest[2:])
			if name == "head" || name == "body" || name == "html" {
				return true
			}
			end := bytes.IndexByte(rest, '>')
			if end < 0 {
				return false
			}
			i += end + 1
		case isASCIILetter(c):
			name, attrs, n, ok := startTag(rest)
			if !ok {
				return false
			}
			i += n
			switch {
			case name == "body":
				return true
			case name == "meta":
				raw.addMeta(attrs)
			case name == "title" || rawTextTags[name]:
				end := indexEndTag(b[i:], name)
				if name == "title" && !raw.hasTitle {
					raw.hasTitle = true
					if end < 0 {
						raw.title = b[i:]
					} else {
						raw.title = b[i : i+end]
					}
				}
				if end < 0 {
					return false
				}
				i += end
			}
		default:
			// A "<" that starts no tag is text.
			i++
		}
	}
	return false
}

// addMeta records one <meta> element: the first value of each key wins, as
// the first duplicate attribute does in HTML.
func (raw *rawHead) addMeta(attrs []attr) {
	get := func(name string) ([]byte, bool) {
		for _, a := range attrs {
			if a.name == name {
				return a.value, true
			}
		}
		return nil, false
	}
	if cs, ok := get("charset"); ok && raw.charset == "" {
		raw.charset = strings.TrimSpace(string(cs))
	}
	if eq, ok := get("http-equiv"); ok && raw.charset == "" && strings.EqualFold(strings.TrimSpace(string(eq)), "content-type") {
		if ct, ok := get("content"); ok {
			if _, params, err := mime.ParseMediaType(string(ct)); err == nil {
				raw.charset = params["charset"]
			}
		}
	}
	key, ok := get("property")
	if !ok {
		key, ok = get("name")
	}
	if !ok {
		return
	}
	k := strings.ToLower(strings.TrimSpace(string(key)))
	if !metaKeys[k] {
		return
	}
	if _, seen := raw.meta[k]; seen {
		return
	}
	if content, ok := get("content"); ok {
		raw.meta[k] = content
	}
}

type attr struct {
	name  string
	value []byte
}

// startTag parses the tag at the start of b ("<name ...>") and returns its
// lower-case name, its attributes, and the bytes it spans. ok is false when
// b ends inside the tag.
func startTag(b []byte) (name string, attrs []attr, n int, ok bool) {
	name, i := tagName(b[1:])
	i++
	for {
		for i < len(b) && (isSpace(b[i]) || b[i] == '/') {
			i++
		}
		if i >= len(b) {
			return "", nil, 0, false
		}
		if b[i] == '>' {
			return name, attrs, i + 1, true
		}
		// An attribute name runs to a space, "=", "/" or ">", except that
		// a leading "=" belongs to the name, as in HTML.
		start := i
		i++
		for i < len(b) && !isSpace(b[i]) && b[i] != '=' && b[i] != '/' && b[i] != '>' {
			i++
		}
		a := attr{name: strings.ToLower(string(b[start:i]))}
		j := i
		for j < len(b) && isSpace(b[j]) {
			j++
		}
		if j < len(b) && b[j] == '=' {
			j++
			for j < len(b) && isSpace(b[j]) {
				j++
			}
			if j >= len(b) {
				return "", nil, 0, false
			}
			if q := b[j]; q == '"' || q == '\'' {
				end := bytes.IndexByte(b[j+1:], q)
				if end < 0 {
					return "", nil, 0, false
				}
				a.value = b[j+1 : j+1+end]
				j += 1 + end + 1
			} else {
				v := j
				for j < len(b) && !isSpace(b[j]) && b[j] != '>' {
					j++
				}
				a.value = b[v:j]
			}
			i = j
		}
		attrs = append(attrs, a)
	}
}

// tagName returns the lower-case tag name at the start of b and its length.
func tagName(b []byte) (string, int) {
	i := 0
	for i < len(b) && !isSpace(b[i]) && b[i] != '/' && b[i] != '>' {
		i++
	}
	return strings.ToLower(string(b[:i])), i
}

// indexEndTag returns the offset in b of the end tag "</name" (any case)
// that closes a raw text element, or -1.
func indexEndTag(b []byte, name string) int {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("</"))
		if j < 0 {
			return -1
		}
		i += j
		rest := b[i+2:]
		if len(rest) >= len(name) && strings.EqualFold(string(rest[:len(name)]), name) &&
			(len(rest) == len(name) || isSpace(rest[len(name)]) || rest[len(name)] == '/' || rest[len(name)] == '>') {
			return i
		}
		i += 2
	}
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// cleanLine turns s into one line of plain text: runs of white space become
// one space, control and bidirectional override characters go, and the
// result is cut to limit characters, the last of them an ellipsis.
func cleanLine(s string, limit int) string {
	var sb strings.Builder
	space := false
	n := 0
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = sb.Len() > 0
			continue
		case dropped(r):
			continue
		}
		if space {
			sb.WriteByte(' ')
			n++
			space = false
		}
		sb.WriteRune(r)
		n++
		if n > limit {
			break
		}
	}
	out := sb.String()
	if n <= limit {
		return out
	}
	return cut(out, limit-1) + "…"
}

// cut returns the first n characters of s without trailing white space.
func cut(s string, n int) string {
	i := 0
	for k := range s {
		if i == n {
			s = s[:k]
			break
		}
		i++
	}
	return strings.TrimRightFunc(s, unicode.IsSpace)
}

// dropped reports characters that never reach a preview: controls (C0, DEL,
// C1), which have no business in a one-line text, and the bidirectional
// embeddings, overrides and isolates, which could make a title display as
// something other than what it is.
func dropped(r rune) bool {
	return unicode.IsControl(r) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// decoderFor returns a function that turns bytes of the named charset into
// valid UTF-8. Only UTF-8 and the windows-1252 family (which the web uses for
// every Latin-1 label) are known; anything else is read as UTF-8, where
// unknown bytes become U+FFFD rather than mojibake of control characters.
func decoderFor(charset string) func([]byte) string {
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "windows-1252", "cp1252", "x-cp1252", "iso-8859-1", "iso8859-1", "iso88591",
		"iso_8859-1", "iso_8859-1:1987", "iso-ir-100", "latin1", "l1", "cp819",
		"ibm819", "csisolatin1", "us-ascii", "ascii", "ansi_x3.4-1968":
		return decodeWindows1252
	}
	return func(b []byte) string { return strings.ToValidUTF8(string(b), "\uFFFD") }
}

// cp1252High maps bytes 0x80–0x9F of windows-1252; the five bytes the code
// page leaves undefined map to the C1 controls, which cleaning removes.
var cp1252High = [32]rune{
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
}

func decodeWindows1252(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		switch {
		case c < 0x80:
			sb.WriteByte(c)
		case c < 0xa0:
			sb.WriteRune(cp1252High[c-0x80])
		default:
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}
