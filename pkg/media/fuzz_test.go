package media

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSniffImage checks that hostile bytes never panic the sniffer, and that
// whatever it accepts has one of the four types and sides within bounds.
func FuzzSniffImage(f *testing.F) {
	f.Add(encodePNG(f, 3, 2), 16)
	f.Add(encodeJPEG(f, 3, 2), 16)
	f.Add(encodeGIF(f, 3, 2), 16)
	f.Add(riff(chunk("VP8 ", vp8Payload(3, 2))), 16)
	f.Add(riff(chunk("VP8L", vp8lPayload(3, 2))), 16)
	f.Add(riff(chunk("VP8X", vp8xPayload(3, 2))), 16)
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), 16)
	f.Add([]byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 16)
	f.Add([]byte{}, 0)
	f.Fuzz(func(t *testing.T, head []byte, maxSide int) {
		img, ok := SniffImage(head, maxSide)
		if !ok {
			if img != (Image{}) {
				t.Fatalf("refused with %+v", img)
			}
			return
		}
		switch img.ContentType {
		case "image/png", "image/jpeg", "image/gif", "image/webp":
		default:
			t.Fatalf("content type %q", img.ContentType)
		}
		if img.Width < 1 || img.Height < 1 || img.Width > maxSide || img.Height > maxSide {
			t.Fatalf("sides %dx%d outside 1..%d", img.Width, img.Height, maxSide)
		}
	})
}

// FuzzCleanName checks the promises a display name makes to everything that
// shows it, and that cleaning is idempotent, as re-cleaning a stored name
// must not change it.
func FuzzCleanName(f *testing.F) {
	for _, seed := range []string{
		"report.pdf", "../../etc/passwd", `C:\x\y.txt`, "evil\u202egpj.exe",
		"a\x00b\u0085c", " . . ", "...", "", "a\xffb", strings.Repeat("é", 250) + ".pdf",
		strings.Repeat("a", 199) + " b", `<>:"/\|?*`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := CleanName(name)
		if got == "" || !utf8.ValidString(got) || utf8.RuneCountInString(got) > MaxNameLen {
			t.Fatalf("CleanName(%q) = %q", name, got)
		}
		if strings.ContainsAny(got, `<>:"/\|?*`) {
			t.Fatalf("CleanName(%q) = %q keeps a reserved character", name, got)
		}
		for _, r := range got {
			if dropped(r) {
				t.Fatalf("CleanName(%q) = %q keeps %U", name, got, r)
			}
		}
		if strings.Trim(got, ". ") != got {
			t.Fatalf("CleanName(%q) = %q starts or ends with a dot or space", name, got)
		}
		if again := CleanName(got); again != got {
			t.Fatalf("CleanName(%q) = %q, but CleanName(%q) = %q", name, got, got, again)
		}
	})
}

// FuzzContentDisposition checks that any stored name yields a one-line ASCII
// header from which a standard parser recovers the name exactly.
func FuzzContentDisposition(f *testing.F) {
	for _, seed := range []string{"report.pdf", "naïve café.png", `a"b\c`, "a\r\nb", "100%", "😀"} {
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, name string, inline bool) {
		checkDisposition(t, inline, CleanName(name))
	})
}
