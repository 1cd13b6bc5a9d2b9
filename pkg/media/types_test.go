package media

import (
	"strings"
	"testing"
)

func TestContentType(t *testing.T) {
	const text = "text/plain; charset=utf-8"
	tests := []struct {
		name, want string
	}{
		{"report.pdf", "application/pdf"},
		{"REPORT.PDF", "application/pdf"},
		{"notes.txt", text},
		{"README.md", text},
		{"server.log", text},
		{"data.csv", text},
		{"main.go", text},
		{"lib.c", text},
		{"lib.h", text},
		{"tool.py", text},
		{"style.css", text},
		{"data.json", "application/json"},
		{"a.zip", "application/zip"},
		{"archive.tar.gz", "application/gzip"},
		{"archive.tar", "application/x-tar"},
		{"archive.7z", "application/x-7z-compressed"},
		{"letter.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"sheet.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"slides.odp", "application/vnd.oasis.opendocument.presentation"},
		{"song.mp3", "audio/mpeg"},
		{"song.ogg", "audio/ogg"},
		{"song.wav", "audio/wav"},
		{"clip.mp4", "video/mp4"},
		{"clip.webm", "video/webm"},
		{"a.html.pdf", "application/pdf"},

		{"page.html", octetStream},
		{"page.HTML", octetStream},
		{"page.htm", octetStream},
		{"page.xhtml", octetStream},
		{"page.shtml", octetStream},
		{"page.mht", octetStream},
		{"drawing.svg", octetStream},
		{"drawing.SVG", octetStream},
		{"drawing.svgz", octetStream},
		{"feed.xml", octetStream},
		{"style.xsl", octetStream},
		{"style.xslt", octetStream},
		{"app.js", octetStream},
		{"app.mjs", octetStream},
		{"app.cjs", octetStream},
		{"app.jsx", octetStream},
		{"a.pdf.html", octetStream},
		{"a.txt.svg", octetStream},
		{"photo.png", octetStream},
		{"photo.jpg", octetStream},
		{"photo.gif", octetStream},
		{"photo.webp", octetStream},
		{"setup.exe", octetStream},
		{"README", octetStream},
		{"trailing.", octetStream},
		{"", octetStream},
		{"a.pdf ", octetStream},
		{"dir.pdf/x", octetStream},
	}
	for _, tt := range tests {
		if got := ContentType(tt.name); got != tt.want {
			t.Errorf("ContentType(%q) = %q; want %q", tt.name, got, tt.want)
		}
	}
}

// TestContentTypeTableInert guards the table itself: whatever is added later
// must not be a type a browser renders as a document or runs.
func TestContentTypeTableInert(t *testing.T) {
	for ext, ct := range extTypes {
		mt, _, _ := strings.Cut(ct, ";")
		if strings.HasPrefix(mt, "image/") || strings.HasSuffix(mt, "xml") ||
			strings.Contains(mt, "html") || strings.Contains(mt, "script") {
			t.Errorf("extension %q maps to %q", ext, ct)
		}
	}
}
