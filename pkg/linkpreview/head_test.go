package linkpreview

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseHead(t *testing.T) {
	for _, tc := range []struct {
		name, html, charset string
		want                pageMeta
		done                bool
	}{
		{
			name: "open graph",
			html: `<!DOCTYPE html><html><head>
				<meta property="og:title" content="OG title">
				<meta property="og:description" content="OG description">
				<meta property="og:site_name" content="Site">
				<meta property="og:image" content="/img.png">
				<title>Document title</title>
				<meta name="description" content="meta description">
				</head><body><meta property="og:title" content="body title">`,
			want: pageMeta{Title: "OG title", Description: "OG description", SiteName: "Site", Image: "/img.png"},
			done: true,
		},
		{
			name: "fallbacks",
			html: `<head><TITLE>  Document
				title </TITLE><META NAME="Description" CONTENT='meta description'>
				<meta name="twitter:image" content="https://cdn.example/x.png"></head>`,
			want: pageMeta{Title: "Document title", Description: "meta description", Image: "https://cdn.example/x.png"},
			done: true,
		},
		{
			name: "twitter before title",
			html: `<title>Doc</title><meta name="twitter:title" content="Tw"><meta name="twitter:description" content="TwD">`,
			want: pageMeta{Title: "Tw", Description: "TwD"},
		},
		{
			name: "empty og falls back",
			html: `<meta property="og:title" content="  "><title>Doc</title>`,
			want: pageMeta{Title: "Doc"},
		},
		{
			name: "first wins",
			html: `<meta property="og:title" content="one"><meta property="og:title" content="two">`,
			want: pageMeta{Title: "one"},
		},
		{
			name: "entities",
			html: `<title>Tom &amp; Jerry &#x1F600; &lt;b&gt;bold&lt;/b&gt; &eacute;&nbsp;x &#0; &#7;&#x202E;z</title>`,
			want: pageMeta{Title: "Tom & Jerry 😀 <b>bold</b> é x \uFFFD z"},
		},
		{
			name: "unquoted and odd attributes",
			html: `<meta property=og:title content=Plain/><meta / name = "description" content = "spaced" >`,
			want: pageMeta{Title: "Plain/", Description: "spaced"},
		},
		{
			name: "markup in comments and scripts is not seen",
			html: `<!-- <meta property="og:title" content="comment"> --><script>var s = '<meta property="og:title" content="script"></head>';</script>
				<style>/* <title>style</title> */</style><meta property="og:title" content="real">`,
			want: pageMeta{Title: "real"},
		},
		{
			name: "title text is not markup",
			html: `<title>a <b>b</b> &lt;c</title>`,
			want: pageMeta{Title: "a <b>b</b> <c"},
		},
		{
			name: "stops at body",
			html: `<title>t</title><body><meta name="description" content="late">`,
			want: pageMeta{Title: "t"},
			done: true,
		},
		{
			name: "cut inside a tag",
			html: `<title>t</title><meta name="description" content="unterminated`,
			want: pageMeta{Title: "t"},
		},
		{
			name: "unterminated title",
			html: `<title>half a title`,
			want: pageMeta{Title: "half a title"},
		},
		{
			name:    "windows-1252 from the header",
			html:    "<title>caf\xe9 \x93q\x94 \x80</title>",
			charset: "ISO-8859-1",
			want:    pageMeta{Title: "café “q” €"},
		},
		{
			name: "charset from meta, after the title",
			html: "<title>caf\xe9</title><meta charset=windows-1252>",
			want: pageMeta{Title: "café"},
		},
		{
			name: "charset from http-equiv",
			html: "<meta http-equiv=Content-Type content='text/html; charset=latin1'><title>caf\xe9</title>",
			want: pageMeta{Title: "café"},
		},
		{
			name:    "header beats meta",
			html:    "<meta charset=windows-1252><title>caf\xc3\xa9</title>",
			charset: "utf-8",
			want:    pageMeta{Title: "café"},
		},
		{
			name:    "BOM beats header",
			html:    "\xef\xbb\xbf<title>caf\xc3\xa9</title>",
			charset: "windows-1252",
			want:    pageMeta{Title: "café"},
		},
		{
			name: "invalid UTF-8",
			html: "<title>a\xffb</title>",
			want: pageMeta{Title: "a\uFFFDb"},
		},
		{
			name:    "unknown charset read as UTF-8",
			html:    "<title>\xe6\x97\xa5</title>",
			charset: "shift_jis",
			want:    pageMeta{Title: "日"},
		},
		{
			name: "image entity decoded, over-long image dropped",
			html: `<meta property="og:image" content="/a?x=1&amp;y=2"><meta name="twitter:image" content="/` + strings.Repeat("i", maxURLLength) + `">`,
			want: pageMeta{Image: "/a?x=1&y=2"},
		},
		{
			name: "over-long og:image falls to twitter:image",
			html: `<meta property="og:image" content="/` + strings.Repeat("i", maxURLLength) + `"><meta name="twitter:image" content="/t.png">`,
			want: pageMeta{Image: "/t.png"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, done := parseHead([]byte(tc.html), tc.charset)
			if got != tc.want || done != tc.done {
				t.Errorf("parseHead = %+v, %v\nwant %+v, %v", got, done, tc.want, tc.done)
			}
		})
	}
}

func TestCleanLine(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"  a \t\n b  ", 10, "a b"},
		{"a\x00b\x7fc\u0085d\u009be", 10, "abc de"},
		{"\u202eevil\u202c \u2066x\u2069", 10, "evil x"},
		{"abcdef", 6, "abcdef"},
		{"abcdefg", 6, "abcde…"},
		{"abcd efg", 6, "abcd…"},
		{"ééééééé", 3, "éé…"},
		{"a\u2028b\u00a0c", 10, "a b c"},
	} {
		if got := cleanLine(tc.in, tc.limit); got != tc.want {
			t.Errorf("cleanLine(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
	long := cleanLine(strings.Repeat("x", 1000), maxTitle)
	if n := utf8.RuneCountInString(long); n != maxTitle || !strings.HasSuffix(long, "…") {
		t.Errorf("cut title has %d characters: %q", n, long)
	}
}

func TestLineRange(t *testing.T) {
	for _, tc := range []struct {
		frag       string
		start, end int
	}{
		{"", 0, 0},
		{"L10", 10, 10},
		{"L10-L20", 10, 20},
		{"L10-20", 10, 20},
		{"lines-10", 10, 10},
		{"lines-10:20", 10, 20},
		{"10", 10, 10},
		{"10-20", 10, 20},
		{"L20-L10", 0, 0},
		{"L0", 0, 0},
		{"L-5", 0, 0},
		{"L10-L500", 10, 100},
		{"L101", 0, 0},
		{"readme", 0, 0},
		{"L99999999999999999999", 0, 0},
	} {
		if s, e := lineRange(tc.frag, 100); s != tc.start || e != tc.end {
			t.Errorf("lineRange(%q) = %d, %d; want %d, %d", tc.frag, s, e, tc.start, tc.end)
		}
	}
}

func TestIsCodeFile(t *testing.T) {
	for p, want := range map[string]bool{
		"/src/main.go":          true,
		"/a/B.PY":               true,
		"/Makefile":             true,
		"/makefile.inc":         true,
		"/GNUmakefile":          true,
		"/ci/Jenkinsfile.prod":  true,
		"/CMakeLists.txt":       true,
		"/a/image.png":          false,
		"/a/archive.tar.gz":     false,
		"/":                     false,
		"/README":               false,
		"/app.exe":              false,
		"/dir.go/":              true, // path.Base ignores the trailing slash
		"/no-extension.":        false,
		"/.bashrc":              false,
		"/x/settings.yaml":      true,
		"/x/Dockerfile":         false,
		"/x/schema.proto":       true,
		"/x/kernel.sv":          true,
		"/x/notes.markdown.bak": false,
	} {
		if got := isCodeFile(p); got != want {
			t.Errorf("isCodeFile(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestMayEndHead(t *testing.T) {
	for s, want := range map[string]bool{
		"":                  false,
		"<title>x</title>":  false,
		"x</HEAD>":          true,
		"<Body class=a>":    true,
		"</body>":           true,
		"</html>":           true,
		"< body>":           false,
		"<bodyless":         true, // a cheap test: parsing decides
		"<meta></he":        false,
		"<<<<<<<<<<<<<<<<<": false,
	} {
		if got := mayEndHead([]byte(s)); got != want {
			t.Errorf("mayEndHead(%q) = %v, want %v", s, got, want)
		}
	}
}
