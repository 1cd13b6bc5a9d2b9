package media

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"
)

// noise fills an image with random pixels so that the encoders produce
// files far longer than their headers, for the truncation cases.
func noise(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(r.Uint32())
	}
	return img
}

func encodePNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, noise(w, h)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, noise(w, h), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeGIF(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, noise(w, h), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func le32(n int) []byte {
	return binary.LittleEndian.AppendUint32(nil, uint32(n))
}

// riff wraps chunks into a WebP file with a correct RIFF size.
func riff(chunks ...[]byte) []byte {
	body := bytes.Join(chunks, nil)
	return bytes.Join([][]byte{[]byte("RIFF"), le32(4 + len(body)), []byte("WEBP"), body}, nil)
}

func chunk(fourCC string, payload []byte) []byte {
	c := append([]byte(fourCC), le32(len(payload))...)
	c = append(c, payload...)
	if len(payload)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

// vp8Payload is a key frame header with a two-byte first partition behind it.
func vp8Payload(w, h int) []byte {
	const firstPartition = 2
	tag := 1<<4 | firstPartition<<5 // key frame, version 0, shown
	p := []byte{byte(tag), byte(tag >> 8), byte(tag >> 16), 0x9d, 0x01, 0x2a}
	p = binary.LittleEndian.AppendUint16(p, uint16(w))
	p = binary.LittleEndian.AppendUint16(p, uint16(h))
	return append(p, 0, 0)
}

func vp8lPayload(w, h int) []byte {
	bits := uint32(w-1) | uint32(h-1)<<14 | 1<<28 // alpha used, version 0
	return append([]byte{0x2f}, binary.LittleEndian.AppendUint32(nil, bits)...)
}

func vp8xPayload(w, h int) []byte {
	p := []byte{0x10, 0, 0, 0} // alpha flag
	p = append(p, byte(w-1), byte((w-1)>>8), byte((w-1)>>16))
	return append(p, byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
}

// withPNGWidth rewrites the IHDR width and its CRC, so only the value is wrong.
func withPNGWidth(b []byte, w uint32) []byte {
	b = bytes.Clone(b)
	binary.BigEndian.PutUint32(b[16:20], w)
	binary.BigEndian.PutUint32(b[29:33], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// withJPEGSize rewrites the frame header's sides.
func withJPEGSize(t testing.TB, b []byte, w, h uint16) []byte {
	t.Helper()
	b = bytes.Clone(b)
	i := bytes.Index(b, []byte{0xff, 0xc0})
	if i < 0 {
		t.Fatal("no SOF0 marker")
	}
	binary.BigEndian.PutUint16(b[i+5:], h)
	binary.BigEndian.PutUint16(b[i+7:], w)
	return b
}

func withGIFWidth(b []byte, w uint16) []byte {
	b = bytes.Clone(b)
	binary.LittleEndian.PutUint16(b[6:8], w)
	return b
}

// bigMetadataJPEG puts two maximal APP1 segments in front of the frame header,
// as cameras with large EXIF blocks do, pushing it past SniffLen.
func bigMetadataJPEG(t testing.TB) []byte {
	t.Helper()
	img := encodeJPEG(t, 8, 8)
	app1 := append([]byte{0xff, 0xe1, 0xff, 0xff}, make([]byte, 0xffff-2)...)
	return bytes.Join([][]byte{img[:2], app1, app1, img[2:]}, nil)
}

func TestSniffImage(t *testing.T) {
	pngFile := encodePNG(t, 200, 100)
	jpegFile := encodeJPEG(t, 200, 100)
	gifFile := encodeGIF(t, 200, 100)
	sos := bytes.Index(jpegFile, []byte{0xff, 0xda})
	sof := bytes.Index(jpegFile, []byte{0xff, 0xc0})
	gct := 13 + 3<<(gifFile[10]&7+1)
	badCRC := bytes.Clone(pngFile)
	badCRC[30] ^= 1
	bigJPEG := bigMetadataJPEG(t)

	vp8 := riff(chunk("VP8 ", vp8Payload(200, 100)))
	nonKey := bytes.Clone(vp8)
	nonKey[20] |= 1
	badStart := bytes.Clone(vp8)
	badStart[23] = 0
	longPartition := riff(chunk("VP8 ", vp8Payload(200, 100)[:10]))
	badVersion := bytes.Clone(vp8)
	badVersion[20] |= 4 << 1
	vp8l := riff(chunk("VP8L", vp8lPayload(200, 100)))
	badSig := bytes.Clone(vp8l)
	badSig[20] = 0x2e
	vp8lVersion := bytes.Clone(vp8l)
	vp8lVersion[24] |= 1 << 5
	vp8x := riff(chunk("VP8X", vp8xPayload(200, 100)), chunk("VP8L", vp8lPayload(200, 100)))
	shortVP8X := riff(chunk("VP8X", vp8xPayload(200, 100)[:9]))
	lyingRIFF := bytes.Clone(vp8)
	binary.LittleEndian.PutUint32(lyingRIFF[4:8], 4+8+9)
	alphFirst := riff(chunk("ALPH", []byte{0, 0}), chunk("VP8 ", vp8Payload(200, 100)))
	wave := bytes.Clone(vp8)
	copy(wave[8:12], "WAVE")

	const side = 64
	tests := []struct {
		name    string
		head    []byte
		maxSide int
		want    Image
		ok      bool
	}{
		{"png", pngFile, 1000, Image{"image/png", 200, 100}, true},
		{"jpeg", jpegFile, 1000, Image{"image/jpeg", 200, 100}, true},
		{"gif", gifFile, 1000, Image{"image/gif", 200, 100}, true},
		{"webp lossy", vp8, 1000, Image{"image/webp", 200, 100}, true},
		{"webp lossless", vp8l, 1000, Image{"image/webp", 200, 100}, true},
		{"webp extended", vp8x, 1000, Image{"image/webp", 200, 100}, true},

		{"png at max", encodePNG(t, side, 1), side, Image{"image/png", side, 1}, true},
		{"png over max", encodePNG(t, side+1, 1), side, Image{}, false},
		{"png height over max", encodePNG(t, 1, side+1), side, Image{}, false},
		{"png zero width", withPNGWidth(pngFile, 0), side, Image{}, false},
		{"jpeg at max", encodeJPEG(t, 1, side), side, Image{"image/jpeg", 1, side}, true},
		{"jpeg over max", encodeJPEG(t, 1, side+1), side, Image{}, false},
		{"jpeg zero width", withJPEGSize(t, jpegFile, 0, 10), side, Image{}, false},
		{"jpeg zero height", withJPEGSize(t, jpegFile, 10, 0), side, Image{}, false},
		{"gif at max", encodeGIF(t, side, side), side, Image{"image/gif", side, side}, true},
		{"gif over max", encodeGIF(t, side+1, 1), side, Image{}, false},
		{"gif zero width", withGIFWidth(gifFile, 0), side, Image{}, false},
		{"vp8 at max", riff(chunk("VP8 ", vp8Payload(side, side))), side, Image{"image/webp", side, side}, true},
		{"vp8 over max", riff(chunk("VP8 ", vp8Payload(side+1, 1))), side, Image{}, false},
		{"vp8 zero width", riff(chunk("VP8 ", vp8Payload(0, 1))), side, Image{}, false},
		{"vp8 zero height", riff(chunk("VP8 ", vp8Payload(1, 0))), side, Image{}, false},
		{"vp8l at max", riff(chunk("VP8L", vp8lPayload(side, 1))), side, Image{"image/webp", side, 1}, true},
		{"vp8l over max", riff(chunk("VP8L", vp8lPayload(1, side+1))), side, Image{}, false},
		{"vp8x at max", riff(chunk("VP8X", vp8xPayload(side, side))), side, Image{"image/webp", side, side}, true},
		{"vp8x over max", riff(chunk("VP8X", vp8xPayload(side+1, side))), side, Image{}, false},
		{"vp8x huge", riff(chunk("VP8X", vp8xPayload(1<<24, 1<<24))), MaxAttachmentSide, Image{}, false},

		{"attachment limit", encodePNG(t, MaxAttachmentSide, 1), MaxAttachmentSide, Image{"image/png", MaxAttachmentSide, 1}, true},
		{"attachment limit exceeded", encodePNG(t, MaxAttachmentSide+1, 1), MaxAttachmentSide, Image{}, false},
		{"vp8l attachment limit", riff(chunk("VP8L", vp8lPayload(MaxAttachmentSide, MaxAttachmentSide))), MaxAttachmentSide, Image{"image/webp", MaxAttachmentSide, MaxAttachmentSide}, true},
		{"avatar limit", encodeJPEG(t, MaxAvatarSide, 1), MaxAvatarSide, Image{"image/jpeg", MaxAvatarSide, 1}, true},
		{"avatar limit exceeded", encodeGIF(t, MaxAvatarSide+1, 1), MaxAvatarSide, Image{}, false},
		{"max side zero", pngFile, 0, Image{}, false},
		{"max side negative", vp8l, -1, Image{}, false},

		{"png header only", pngFile[:33], 1000, Image{"image/png", 200, 100}, true},
		{"png truncated IHDR", pngFile[:30], 1000, Image{}, false},
		{"png bad CRC", badCRC, 1000, Image{}, false},
		{"png signature and garbage", []byte("\x89PNG\r\n\x1a\ngarbage garbage garbage garbage"), 1000, Image{}, false},
		{"png signature only", pngFile[:8], 1000, Image{}, false},
		{"jpeg through SOS header", jpegFile[:sos+4], 1000, Image{"image/jpeg", 200, 100}, true},
		{"jpeg truncated before SOF", jpegFile[:sof], 1000, Image{}, false},
		{"jpeg magic only", jpegFile[:3], 1000, Image{}, false},
		{"jpeg metadata within head", bigJPEG, 1000, Image{"image/jpeg", 8, 8}, true},
		{"jpeg frame beyond SniffLen", bigJPEG[:SniffLen], 1000, Image{}, false},
		{"gif through color table", gifFile[:gct], 1000, Image{"image/gif", 200, 100}, true},
		{"gif truncated", gifFile[:10], 1000, Image{}, false},
		{"webp truncated", vp8[:25], 1000, Image{}, false},
		{"webp chunk header only", vp8[:20], 1000, Image{}, false},
		{"vp8 not a key frame", nonKey, 1000, Image{}, false},
		{"vp8 bad start code", badStart, 1000, Image{}, false},
		{"vp8 bad version", badVersion, 1000, Image{}, false},
		{"vp8 partition beyond chunk", longPartition, 1000, Image{}, false},
		{"vp8l bad signature", badSig, 1000, Image{}, false},
		{"vp8l bad version", vp8lVersion, 1000, Image{}, false},
		{"vp8x wrong size", shortVP8X, 1000, Image{}, false},
		{"chunk larger than RIFF", lyingRIFF, 1000, Image{}, false},
		{"webp without image chunk first", alphFirst, 1000, Image{}, false},
		{"riff wave", wave, 1000, Image{}, false},

		{"empty", nil, 1000, Image{}, false},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>`), 1000, Image{}, false},
		{"svg with xml prolog", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>`), 1000, Image{}, false},
		{"html meant as png", []byte("<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"), 1000, Image{}, false},
		{"bmp", append([]byte("BM"), make([]byte, 64)...), 1000, Image{}, false},
		{"gif magic then html", []byte("GIF89a<html>"), 1000, Image{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := SniffImage(tt.head, tt.maxSide)
			if got != tt.want || ok != tt.ok {
				t.Errorf("SniffImage = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestSniffImagePaletted covers the PNG path that reads on to the first IDAT
// chunk, because a palette's colours come after the size.
func TestSniffImagePaletted(t *testing.T) {
	img := image.NewPaletted(image.Rect(0, 0, 3, 5), color.Palette{color.Black, color.White})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	idat := bytes.Index(b.Bytes(), []byte("IDAT"))
	got, ok := SniffImage(b.Bytes()[:idat+4], 10)
	if want := (Image{"image/png", 3, 5}); !ok || got != want {
		t.Errorf("SniffImage = %+v, %v; want %+v, true", got, ok, want)
	}
}
