// Package media decides what an uploaded file is and what it is called:
// whether its bytes are an image worth showing inline (attachments and
// avatars), which Content-Type a non-image file is stored with, the display
// name kept for it, and the Content-Disposition header of its download.
//
// Nothing here trusts the client: the declared type and the extension never
// make a file an image, and names are only ever shown, never used as paths.
package media

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
)

// SniffLen is how many leading bytes of a file callers hand to SniffImage
// (or the whole file when it is shorter). Headers that start beyond it, such
// as a JPEG frame header behind very large metadata segments, are not seen,
// and such a file is then not an image.
const SniffLen = 64 << 10

// MaxAttachmentSide is the largest width or height, in pixels, of an
// attachment that counts as an image.
const MaxAttachmentSide = 16384

// MaxAvatarSide is the largest width or height, in pixels, of an avatar.
const MaxAvatarSide = 4096

// Image describes a file whose bytes are a PNG, JPEG, GIF or WebP with a
// header that decodes.
type Image struct {
	// ContentType is image/png, image/jpeg, image/gif or image/webp.
	ContentType string
	// Width and Height are the pixel size the header declares.
	Width, Height int
}

// SniffImage reports whether head, the first SniffLen bytes of a file (or
// all of it when shorter), is a PNG, JPEG, GIF or WebP whose header decodes
// with both sides in 1..maxSide. Only the bytes decide: SVG, HTML and
// anything else are never images, whatever the file is called.
func SniffImage(head []byte, maxSide int) (Image, bool) {
	contentType, w, h, ok := sniff(head)
	if !ok || w < 1 || h < 1 || w > maxSide || h > maxSide {
		return Image{}, false
	}
	return Image{ContentType: contentType, Width: w, Height: h}, true
}

// sniff chooses the decoder by magic bytes alone, so a decoder never gets to
// be lenient about a file that does not even claim its format.
func sniff(head []byte) (contentType string, w, h int, ok bool) {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		w, h, ok = decodeConfig(png.DecodeConfig, head)
		return "image/png", w, h, ok
	case bytes.HasPrefix(head, []byte{0xff, 0xd8, 0xff}):
		w, h, ok = decodeConfig(jpeg.DecodeConfig, head)
		return "image/jpeg", w, h, ok
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		w, h, ok = decodeConfig(gif.DecodeConfig, head)
		return "image/gif", w, h, ok
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		w, h, ok = webpSize(head)
		return "image/webp", w, h, ok
	}
	return "", 0, 0, false
}

// decodeConfig uses the standard decoders' header-only mode: they read a
// bounded amount per segment and allocate nothing in proportion to the
// declared size, so a hostile header cannot make them use much memory.
func decodeConfig(decode func(io.Reader) (image.Config, error), head []byte) (w, h int, ok bool) {
	cfg, err := decode(bytes.NewReader(head))
	if err != nil {
		return 0, 0, false
	}
	return cfg.Width, cfg.Height, true
}

// webpSize reads the size from the first chunk of a WebP file, as laid out
// in RFC 9649: the simple lossy ("VP8 ") and lossless ("VP8L") forms, and
// the extended form ("VP8X") whose canvas size is what a viewer shows.
func webpSize(b []byte) (w, h int, ok bool) {
	const riffHeader, chunkHeader = 12, 8
	if len(b) < riffHeader+chunkHeader {
		return 0, 0, false
	}
	riffSize := binary.LittleEndian.Uint32(b[4:8])
	fourCC := string(b[12:16])
	size := binary.LittleEndian.Uint32(b[16:20])
	// The RIFF size counts "WEBP" and every chunk; a first chunk larger than
	// its container is a lie about the rest of the file.
	if uint64(size)+4+chunkHeader > uint64(riffSize) {
		return 0, 0, false
	}
	// Clipping the payload to the chunk size makes every length check below
	// cover both the chunk and the bytes actually present.
	p := b[riffHeader+chunkHeader:]
	if uint64(len(p)) > uint64(size) {
		p = p[:size]
	}
	switch fourCC {
	case "VP8 ":
		// Frame tag (3 bytes), start code (3), then 14-bit sides each
		// followed by a 2-bit upscaling hint that does not change the size.
		if len(p) < 10 {
			return 0, 0, false
		}
		tag := uint32(p[0]) | uint32(p[1])<<8 | uint32(p[2])<<16
		keyFrame := tag&1 == 0
		version := tag >> 1 & 7
		firstPartition := tag >> 5
		// A still image is a single key frame whose first partition fits
		// in the chunk after these 10 bytes.
		if !keyFrame || version > 3 || p[3] != 0x9d || p[4] != 0x01 || p[5] != 0x2a ||
			firstPartition > size-10 {
			return 0, 0, false
		}
		w = int(binary.LittleEndian.Uint16(p[6:8]) & 0x3fff)
		h = int(binary.LittleEndian.Uint16(p[8:10]) & 0x3fff)
		return w, h, true
	case "VP8L":
		// Signature byte, then width-1 and height-1 in 14 bits each, an
		// alpha hint bit and a 3-bit version that must be 0.
		if len(p) < 5 || p[0] != 0x2f {
			return 0, 0, false
		}
		bits := binary.LittleEndian.Uint32(p[1:5])
		if bits>>29 != 0 {
			return 0, 0, false
		}
		return int(bits&0x3fff) + 1, int(bits>>14&0x3fff) + 1, true
	case "VP8X":
		// Flags (1 byte), reserved (3), canvas width-1 and height-1 in 24
		// bits each; the format fixes the chunk at exactly 10 bytes.
		if size != 10 || len(p) < 10 {
			return 0, 0, false
		}
		return int(uint24(p[4:7])) + 1, int(uint24(p[7:10])) + 1, true
	}
	return 0, 0, false
}

func uint24(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
}
