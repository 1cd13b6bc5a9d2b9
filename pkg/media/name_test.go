package media

import (
	"mime"
	"strings"
	"testing"
)

func TestCleanName(t *testing.T) {
	a := strings.Repeat
	tests := []struct {
		name, in, want string
	}{
		{"plain", "report.pdf", "report.pdf"},
		{"unicode kept", "отчёт 2026 😀.pdf", "отчёт 2026 😀.pdf"},
		{"windows path", `C:\Users\bob\report.pdf`, "report.pdf"},
		{"unix path", "/home/bob/report.pdf", "report.pdf"},
		{"mixed separators", `a/b\c/d.txt`, "d.txt"},
		{"traversal", "../../etc/passwd", "passwd"},
		{"windows traversal", `..\..\boot.ini`, "boot.ini"},
		{"trailing separator", "dir/", "file"},
		{"C0 DEL C1", "a\x00b\x1fc\x7fd\u0085e\u009f.txt", "abcde.txt"},
		{"newline and tab", "line\nbreak\r\tx.txt", "linebreakx.txt"},
		{"line and paragraph separators", "a\u2028b\u2029c.txt", "abc.txt"},
		{"bidi override", "evil\u202egpj.exe", "evilgpj.exe"},
		{"bidi embeddings", "\u202aa\u202bb\u202cc\u202dd.txt", "abcd.txt"},
		{"bidi isolates", "x\u2066y\u2067z\u2068w\u2069.txt", "xyzw.txt"},
		{"bidi marks", "a\u200eb\u200fc\u061cd.txt", "abcd.txt"},
		{"zero width joiner kept", "👩\u200d💻.txt", "👩\u200d💻.txt"},
		{"reserved", `a<b>c:d"e|f?g*h.txt`, "a_b_c_d_e_f_g_h.txt"},
		{"leading and trailing dots and spaces", " . .hidden. . ", "hidden"},
		{"inner dots and spaces kept", "a . b..c.txt", "a . b..c.txt"},
		{"trailing dots after extension", "a.pdf...", "a.pdf"},
		{"control between dots", ".\x00.a.\x00.", "a"},
		{"dots only", "...", "file"},
		{"dot dot", "..", "file"},
		{"empty", "", "file"},
		{"spaces", "   ", "file"},
		{"controls only", "\x00\x01\u202e", "file"},
		{"invalid UTF-8", "a\xffb\xc3.txt", "a\ufffdb\ufffd.txt"},
		{"long keeps extension", a("a", 300) + ".pdf", a("a", 196) + ".pdf"},
		{"exactly max", a("a", 196) + ".pdf", a("a", 196) + ".pdf"},
		{"counts code points", a("é", 300) + ".pdf", a("é", 196) + ".pdf"},
		{"long without extension", a("b", 300), a("b", 200)},
		{"long extension is name", "a." + a("b", 300), "a." + a("b", 198)},
		{"longest kept extension", a("a", 300) + "." + a("x", 15), a("a", 184) + "." + a("x", 15)},
		{"cut exposes trailing space", a("a", 199) + " " + a("b", 50), a("a", 199)},
		{"cut exposes trailing dot", a("a", 198) + ".." + a("b", 50), a("a", 198)},
		{"only the last extension kept", a("a", 300) + ".tar.gz", a("a", 197) + ".gz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CleanName(tt.in); got != tt.want {
				t.Errorf("CleanName(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestContentDisposition(t *testing.T) {
	tests := []struct {
		name   string
		inline bool
		in     string
		want   string
	}{
		{"ascii attachment", false, "report.pdf", `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`},
		{"ascii inline", true, "cat.png", `inline; filename="cat.png"; filename*=UTF-8''cat.png`},
		{"spaces", false, "my file.txt", `attachment; filename="my file.txt"; filename*=UTF-8''my%20file.txt`},
		{"non-ascii", true, "naïve café.png", `inline; filename="na_ve caf_.png"; filename*=UTF-8''na%C3%AFve%20caf%C3%A9.png`},
		{"emoji is one fallback character", false, "😀.txt", `attachment; filename="_.txt"; filename*=UTF-8''%F0%9F%98%80.txt`},
		{"quote and backslash", false, `a"b\c.txt`, `attachment; filename="a_b_c.txt"; filename*=UTF-8''a%22b%5Cc.txt`},
		{"header splitting", false, "a\r\nSet-Cookie: x.txt", `attachment; filename="a__Set-Cookie: x.txt"; filename*=UTF-8''a%0D%0ASet-Cookie%3A%20x.txt`},
		{"percent and separators", false, "100%;a=b,c.txt", `attachment; filename="100%;a=b,c.txt"; filename*=UTF-8''100%25%3Ba%3Db%2Cc.txt`},
		{"attr-chars unencoded", false, "!#$&+-.^_`|~", "attachment; filename=\"!#$&+-.^_`|~\"; filename*=UTF-8''!#$&+-.^_`|~"},
		{"invalid UTF-8", false, "a\xff.txt", `attachment; filename="a_.txt"; filename*=UTF-8''a%EF%BF%BD.txt`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ContentDisposition(tt.inline, tt.in); got != tt.want {
				t.Errorf("ContentDisposition(%v, %q) =\n%s\nwant\n%s", tt.inline, tt.in, got, tt.want)
			}
		})
	}
}

// TestContentDispositionParses checks the header against an independent
// RFC 2231/8187 parser: a client reading filename* gets the stored name back.
func TestContentDispositionParses(t *testing.T) {
	for _, name := range []string{"report.pdf", "naïve café.png", `a_b "quoted".txt`, "日本語のファイル.docx", "100% done.txt"} {
		checkDisposition(t, true, name)
		checkDisposition(t, false, name)
	}
}

func checkDisposition(t *testing.T, inline bool, name string) {
	t.Helper()
	h := ContentDisposition(inline, name)
	for i := 0; i < len(h); i++ {
		if h[i] < 0x20 || h[i] > 0x7e {
			t.Fatalf("ContentDisposition(%q) has byte %#x: %q", name, h[i], h)
		}
	}
	disposition, params, err := mime.ParseMediaType(h)
	if err != nil {
		t.Fatalf("ParseMediaType(%q): %v", h, err)
	}
	want := "attachment"
	if inline {
		want = "inline"
	}
	if disposition != want || params["filename"] != name {
		t.Fatalf("ParseMediaType(%q) = %q, filename %q; want %q, %q", h, disposition, params["filename"], want, name)
	}
}
